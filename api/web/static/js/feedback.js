// Messages to the user: error banners from problem JSON, field errors, toasts, confirmation.
import { append, clear, h } from './dom.js';
import { t } from './i18n.js';

/** Return an alert box for an error (problem title, detail and any field-less errors). */
export function errorBox(error, { onRetry } = {}) {
  const problem = error && error.problem ? error.problem : { title: String(error) };
  const box = h('div', { class: 'alert alert-error', role: 'alert' });
  const title = problem.title || t('error.title');
  append(box, h('strong', { text: title }));
  if (problem.detail && problem.detail !== title) append(box, h('p', { text: problem.detail }));
  if (onRetry) append(box, h('button', { type: 'button', class: 'btn', onclick: onRetry }, t('error.retry')));
  return box;
}

/** Replace the contents of `slot` with an error box (or nothing when error is null). */
export function showError(slot, error, options) {
  clear(slot);
  if (error) append(slot, errorBox(error, options));
}

/** Return the form field a problem's `field` names ('body.lat', 'lat', 'tags.0' → lat/tags). */
export function fieldOf(problemField, known) {
  const parts = String(problemField || '')
    .split(/[.[\]/]/)
    .filter(Boolean);
  return parts.find((part) => known.has(part)) || null;
}

/** Show a short message that disappears by itself (announced to screen readers). */
export function toast(message, kind = 'info') {
  const area = document.getElementById('toast');
  if (!area) return;
  const item = h('div', { class: `toast toast-${kind}` }, message);
  area.append(item);
  window.setTimeout(() => item.remove(), 6000);
}

/** Ask for confirmation in a modal dialog; resolve to true or false. */
export function confirmDialog(message, { okLabel, danger = false } = {}) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-text' });
    const ok = h(
      'button',
      { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', value: 'ok' },
      okLabel || t('confirm.ok'),
    );
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, t('confirm.cancel'));
    append(
      dialog,
      h('p', { id: 'confirm-text', text: message }),
      h('div', { class: 'actions' }, cancel, ok),
    );
    const finish = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    ok.addEventListener('click', () => finish(true));
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
