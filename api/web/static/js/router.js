// Hash routes (#/map, #/camera/VT-0001 …): each view renders into a fresh section element.
import { replace } from './dom.js';

const routes = [];
let notFound = null;
let guard = null;
let main = null;
let current = { cleanup: null };

/** Register a view for a pattern such as '/camera/:code/edit'. */
export function route(pattern, view) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (match, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, view });
}

/** Register the view shown for unknown routes. */
export function fallback(view) {
  notFound = view;
}

/** Register `guard(path) → path|null`: return another path to redirect (e.g. to log-in). */
export function setGuard(fn) {
  guard = fn;
}

/** Parse the current hash into {path, query}. */
export function currentLocation() {
  const hash = window.location.hash.replace(/^#/, '') || '/map';
  const [path, search = ''] = hash.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

/** Go to a route ('/camera/X' or '#/camera/X'). */
export function navigate(target) {
  const hash = target.startsWith('#') ? target : `#${target}`;
  if (window.location.hash === hash) render();
  else window.location.hash = hash;
}

/** Re-render the current route (after a language switch or log-in). */
export function refresh() {
  render();
}

async function render() {
  if (typeof current.cleanup === 'function') current.cleanup();
  current = { cleanup: null };
  const here = current;
  const location = currentLocation();
  const redirect = guard ? guard(location.path) : null;
  if (redirect && redirect !== location.path) {
    navigate(redirect);
    return;
  }
  let match = null;
  for (const candidate of routes) {
    const found = candidate.regex.exec(location.path);
    if (found) {
      const params = {};
      candidate.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]);
      });
      match = { view: candidate.view, params };
      break;
    }
  }
  const section = document.createElement('section');
  section.className = 'view';
  replace(main, section);
  const view = match ? match.view : notFound;
  const cleanup = await view(section, { params: match ? match.params : {}, query: location.query });
  if (current === here) here.cleanup = cleanup;
  else if (typeof cleanup === 'function') cleanup();
}

/** Start routing into the given main element. */
export function start(mainElement) {
  main = mainElement;
  window.addEventListener('hashchange', () => {
    render().then(() => {
      const heading = main.querySelector('h1');
      if (heading) {
        heading.setAttribute('tabindex', '-1');
        heading.focus({ preventScroll: false });
      }
    });
  });
  return render();
}
