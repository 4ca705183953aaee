// The log-in form: one message for every failure, so it never tells which part was wrong.
import { append, h } from './dom.js';
import { t } from './i18n.js';
import { logIn } from './session.js';

/** Render the log-in form; `onDone()` runs after a successful log-in. */
export function loginView(section, { query }, onDone) {
  const message = h('div', { class: 'login-message', 'aria-live': 'assertive' });
  const username = h('input', { id: 'login-username', name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'login-form card', novalidate: true },
    h('h1', {}, t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    query.expired ? h('p', { class: 'alert alert-info' }, t('login.expired')) : null,
    message,
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, t('login.username')), username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), password),
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.replaceChildren();
    if (!username.value.trim() || !password.value) {
      message.append(h('p', { class: 'alert alert-error', role: 'alert' }, t('login.required')));
      return;
    }
    button.disabled = true;
    button.textContent = t('login.busy');
    try {
      await logIn(username.value.trim(), password.value);
      onDone();
    } catch (error) {
      const text = error.status === 0 ? t('error.network') : t('login.failed');
      message.append(h('p', { class: 'alert alert-error', role: 'alert', id: 'login-error' }, text));
      password.value = '';
      password.focus();
    } finally {
      button.disabled = false;
      button.textContent = t('login.submit');
    }
  });
  append(section, h('div', { class: 'login-wrap' }, form));
  section.classList.add('view-login');
  username.focus();
}
