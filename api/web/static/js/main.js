// Start the page: settings, language, who is logged in, the header, then the routes.
import { cameraView } from './camera-view.js';
import { editView, newView } from './camera-form.js';
import { append, clear, h, replace } from './dom.js';
import { eventsView } from './events-view.js';
import { errorBox, toast } from './feedback.js';
import { setTimeZone } from './format.js';
import { healthView } from './health-view.js';
import { currentLanguage, enumLabel, onLanguageChange, rememberedLanguage, setLanguage, t } from './i18n.js';
import { importView } from './import-view.js';
import { listView } from './list-view.js';
import { loginView } from './login-view.js';
import { mapView } from './map-view.js';
import { currentLocation, fallback, navigate, refresh, route, setGuard, start } from './router.js';
import { can, displayName, loadConfig, loadMe, logOut, role, session } from './session.js';

let afterLogin = '/map';

function navLinks() {
  const { path } = currentLocation();
  const links = [
    ['/map', 'nav.map', true],
    ['/list', 'nav.list', true],
    ['/events', 'nav.events', can('event:read')],
    ['/health', 'nav.health', can('health:read')],
    ['/new', 'nav.new', can('camera:write')],
    ['/import', 'nav.import', can('camera:write')],
  ];
  return links
    .filter(([, , shown]) => shown)
    .map(([href, key]) =>
      h('a', { href: `#${href}`, class: 'nav-link', 'aria-current': path === href || path.startsWith(`${href}/`) ? 'page' : null, dataset: { nav: href.slice(1) } }, t(key)),
    );
}

function languagePicker() {
  const select = h(
    'select',
    { id: 'language', onchange: (e) => setLanguage(e.target.value, { remember: true }) },
    h('option', { value: 'vi', selected: currentLanguage() === 'vi', lang: 'vi' }, 'Tiếng Việt'),
    h('option', { value: 'en', selected: currentLanguage() === 'en', lang: 'en' }, 'English'),
  );
  return h('div', { class: 'language' }, h('label', { for: 'language', class: 'visually-hidden' }, t('app.language')), select);
}

function renderHeader() {
  const header = clear(document.getElementById('topbar'));
  append(header, h('a', { class: 'brand', href: '#/map' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), t('app.brand')));
  if (session.me) append(header, h('nav', { class: 'nav', 'aria-label': t('nav.label') }, navLinks()));
  const right = h('div', { class: 'session' });
  if (session.me) {
    append(
      right,
      h('span', { class: 'who', id: 'who' }, h('span', { class: 'who-name' }, displayName()), ' ', h('span', { class: 'role-badge', id: 'who-role' }, enumLabel('role', role()))),
      h('button', { type: 'button', class: 'btn btn-ghost', id: 'logout', onclick: onLogout }, t('session.logout')),
    );
  }
  append(right, languagePicker());
  append(header, right);
  document.title = t('app.title');
}

async function onLogout() {
  try {
    await logOut();
  } catch {
    // The session is dropped locally either way.
  }
  toast(t('session.logged_out'));
  renderHeader();
  navigate('/login');
}

function guard(path) {
  if (!session.me && path !== '/login') {
    afterLogin = path === '/' ? '/map' : path;
    return '/login';
  }
  if (session.me && path === '/login') return '/map';
  return null;
}

function wireRoutes() {
  route('/map', mapView);
  route('/list', listView);
  route('/camera/:code', cameraView);
  route('/camera/:code/edit', editView);
  route('/new', newView);
  route('/import', importView);
  route('/events', eventsView);
  route('/health', healthView);
  route('/login', (section, context) =>
    loginView(section, context, () => {
      if (session.me && session.me.language && !rememberedLanguage()) setLanguage(session.me.language);
      renderHeader();
      navigate(afterLogin);
    }),
  );
  fallback((section) => {
    section.append(h('h1', {}, t('error.page_not_found')), h('p', {}, h('a', { href: '#/map' }, t('nav.map'))));
  });
  setGuard(guard);
}

async function boot() {
  const main = document.getElementById('main');
  const skip = document.getElementById('skip-link');
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  let config;
  try {
    config = await loadConfig();
    await loadMe();
  } catch (error) {
    replace(main, errorBox(error, { onRetry: () => window.location.reload() }));
    return;
  }
  setTimeZone(config.time_zone);
  const me = session.me;
  setLanguage(rememberedLanguage() || (me && me.language) || config.language || 'vi');
  onLanguageChange(() => {
    renderHeader();
    refresh();
  });
  window.addEventListener('hashchange', renderHeader);
  window.addEventListener('camreg:unauthenticated', () => {
    if (!session.me) return;
    session.me = null;
    renderHeader();
    navigate('/login?expired=1');
  });
  wireRoutes();
  renderHeader();
  await start(main);
  document.body.dataset.ready = 'true';
}

boot();
