// Bulk import: dry run first (what would change, every error with its line), then the import.
import { request } from './api.js';
import { append, cameraHref, clear, h, replace } from './dom.js';
import { errorBox } from './feedback.js';
import { formatNumber } from './format.js';
import { t } from './i18n.js';
import { invalidateCameras } from './map-layers.js';
import { can, session } from './session.js';

function megabytes(bytes) {
  return `${formatNumber(bytes / 1_000_000, 1)} MB`;
}

function codeList(codes) {
  return h(
    'ul',
    { class: 'code-list' },
    codes.map((item) => {
      const code = typeof item === 'string' ? item : item.code;
      return h('li', {}, h('a', { href: cameraHref(code) }, code));
    }),
  );
}

function group(id, title, items, render) {
  if (!items || !items.length) return null;
  return h('details', { class: 'import-group', id, open: items.length <= 50 }, h('summary', {}, title), render(items));
}

function report(result) {
  const created = result.created || [];
  const updated = result.updated || [];
  const unchanged = result.unchanged || [];
  const warnings = result.warnings || [];
  return h(
    'div',
    { class: 'import-report', id: 'import-report' },
    h('div', { class: `alert ${result.dry_run ? 'alert-info' : 'alert-success'}`, role: 'status' }, result.dry_run ? t('import.dry_ok') : t('import.done')),
    h(
      'ul',
      { class: 'summary-counts' },
      typeof result.rows === 'number' ? h('li', {}, t('import.rows', { rows: formatNumber(result.rows) })) : null,
      h('li', { id: 'count-created' }, t('import.created', { count: created.length })),
      h('li', { id: 'count-updated' }, t('import.updated', { count: updated.length })),
      h('li', { id: 'count-unchanged' }, t('import.unchanged', { count: unchanged.length })),
    ),
    group('import-created', t('import.created', { count: created.length }), created, codeList),
    group('import-updated', t('import.updated', { count: updated.length }), updated, codeList),
    group('import-unchanged', t('import.unchanged', { count: unchanged.length }), unchanged, codeList),
    group('import-warnings', t('import.warnings', { count: warnings.length }), warnings, (items) =>
      h('ul', { class: 'warnings' }, items.map((w) => h('li', {}, typeof w === 'string' ? w : w.message || JSON.stringify(w)))),
    ),
  );
}

function errorTable(error) {
  const rows = error.fieldErrors;
  const box = h('div', { class: 'import-errors', id: 'import-errors' });
  // With a table of errors the detail (a summary of the same errors) would only repeat it.
  const detail = !rows.length && error.problem.detail ? h('p', {}, error.problem.detail) : null;
  append(box, h('div', { class: 'alert alert-error', role: 'alert' }, h('strong', {}, t('import.rejected')), detail));
  if (!rows.length) return box;
  const sorted = [...rows].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  append(
    box,
    h('h2', {}, t('import.errors', { count: rows.length })),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data error-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('import.line')), h('th', { scope: 'col' }, t('import.field')), h('th', { scope: 'col' }, t('import.message')))),
        h(
          'tbody',
          {},
          sorted.map((item) => h('tr', {}, h('td', { class: 'num' }, item.line ?? ''), h('td', {}, item.field || ''), h('td', {}, item.message || ''))),
        ),
      ),
    ),
  );
  return box;
}

/** Render the bulk import page. */
export async function importView(section) {
  append(section, h('h1', {}, t('import.title')));
  if (!can('camera:write')) {
    section.append(h('p', { class: 'alert' }, t('import.forbidden')));
    return;
  }
  const output = h('div', { class: 'import-output', 'aria-live': 'polite' });
  const maxBytes = session.config.max_upload_bytes || 20_000_000;
  const fileInput = h('input', { type: 'file', id: 'import-file', name: 'file', accept: '.csv,.xlsx,.geojson,.json,text/csv,application/geo+json', required: true });
  const dryButton = h('button', { type: 'submit', class: 'btn btn-primary', id: 'import-dry-run' }, t('import.dry_run'));
  const runButton = h('button', { type: 'button', class: 'btn btn-danger', id: 'import-run', disabled: true }, t('import.run'));
  const form = h(
    'form',
    { class: 'import-form card', 'aria-describedby': 'import-intro' },
    h('p', { id: 'import-intro', class: 'intro' }, t('import.intro')),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'import-file' }, t('import.file')),
      fileInput,
      h('p', { class: 'hint', id: 'import-limit' }, t('import.limit', { size: megabytes(maxBytes) })),
    ),
    h('div', { class: 'form-actions' }, dryButton, runButton),
  );

  async function send(dryRun) {
    const file = fileInput.files[0];
    if (!file) {
      replace(output, h('p', { class: 'alert alert-error', role: 'alert' }, t('import.choose_file')));
      return;
    }
    if (file.size > maxBytes) {
      replace(output, h('p', { class: 'alert alert-error', role: 'alert' }, t('import.too_large', { size: megabytes(maxBytes) })));
      return;
    }
    const body = new FormData();
    body.append('file', file, file.name);
    dryButton.disabled = true;
    runButton.disabled = true;
    replace(output, h('p', { class: 'muted' }, t('import.busy')));
    try {
      const { data } = await request('POST', '/cameras/import', { params: { dry_run: dryRun ? 'true' : 'false' }, form: body });
      replace(output, report(data));
      runButton.disabled = !dryRun;
      if (!dryRun) invalidateCameras();
    } catch (error) {
      replace(output, error.fieldErrors.length || error.status === 422 ? errorTable(error) : errorBox(error));
    } finally {
      dryButton.disabled = false;
    }
  }

  fileInput.addEventListener('change', () => {
    runButton.disabled = true;
    clear(output);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send(true);
  });
  runButton.addEventListener('click', () => send(false));
  append(section, form, output);
}
