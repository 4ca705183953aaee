// The change history of a camera: who, when, what changed (before → after).
import { getJson } from './api.js';
import { append, clear, h, replace } from './dom.js';
import { errorBox } from './feedback.js';
import { displayTimeZone, formatDateTime, formatField } from './format.js';
import { enumLabel, has, t } from './i18n.js';

const HIDDEN = new Set(['version', 'created_at', 'updated_at']);

function actionLabel(action) {
  const text = String(action || '');
  if (text.startsWith('status:')) return t('action.status', { status: enumLabel('status', text.slice(7)) });
  return has(`action.${text}`) ? t(`action.${text}`) : text;
}

function fieldLabel(name) {
  return has(`field.${name}`) ? t(`field.${name}`) : name;
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

const DERIVED_FLAGS = new Set(['fov_explicit', 'has_credentials']);

function isEmpty(name, value) {
  if (DERIVED_FLAGS.has(name) && value === false) return true;
  return value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length);
}

/** Return [[field, before, after]] of what an entry changed (a creation lists what was set). */
export function changes(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((n) => !HIDDEN.has(n));
  return names
    .filter((name) => !same(before[name], after[name]))
    .filter((name) => entry.before || !isEmpty(name, after[name]))
    .map((name) => [name, before[name], after[name]]);
}

function shown(name, value) {
  if (value === '***') return h('span', { class: 'muted' }, t('field.personal_data_hidden'));
  return formatField(name, value);
}

function diffTable(rows, hasBefore) {
  const head = [t('camera.history_field'), ...(hasBefore ? [t('camera.history_before'), t('camera.history_after')] : [t('camera.history_value')])];
  return h(
    'table',
    { class: 'data diff' },
    h('thead', {}, h('tr', {}, head.map((label) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      rows.map(([name, before, after]) =>
        h(
          'tr',
          { dataset: { field: name } },
          h('th', { scope: 'row' }, fieldLabel(name)),
          hasBefore ? h('td', { class: 'diff-before' }, shown(name, before)) : null,
          h('td', { class: 'diff-after' }, shown(name, after)),
        ),
      ),
    ),
  );
}

function entryView(entry) {
  const rows = changes(entry);
  return h(
    'li',
    { class: 'history-entry' },
    h(
      'div',
      { class: 'history-head' },
      h('time', { datetime: entry.at }, formatDateTime(entry.at)),
      h('span', { class: 'history-action' }, actionLabel(entry.action)),
      h(
        'span',
        { class: 'history-actor' },
        t('camera.history_by', { actor: entry.actor, role: enumLabel('role', entry.role) }),
      ),
    ),
    rows.length && entry.before ? diffTable(rows, true) : null,
    rows.length && !entry.before
      ? h('details', { class: 'history-initial' }, h('summary', {}, t('camera.history_initial', { count: rows.length })), diffTable(rows, false))
      : null,
    entry.request_id ? h('div', { class: 'muted small' }, t('camera.history_request', { id: entry.request_id })) : null,
  );
}

/** Load and render a camera's history into `box`, newest first. */
export async function renderHistory(box, code) {
  replace(box, h('p', { class: 'muted' }, t('app.loading')));
  let entries;
  try {
    const data = await getJson(`/cameras/${encodeURIComponent(code)}/history`);
    entries = Array.isArray(data) ? data : data.items || [];
  } catch (error) {
    replace(box, 
      error.status === 403 ? h('p', { class: 'muted' }, t('camera.history_forbidden')) : errorBox(error),
    );
    return;
  }
  clear(box);
  if (!entries.length) {
    box.append(h('p', { class: 'muted' }, t('camera.history_empty')));
    return;
  }
  const ordered = [...entries].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  append(
    box,
    h('p', { class: 'muted small' }, t('app.timezone_note', { zone: displayTimeZone() })),
    h('ol', { class: 'history' }, ordered.map(entryView)),
  );
}
