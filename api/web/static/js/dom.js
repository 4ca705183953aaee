// Build DOM nodes safely: text always goes in as text nodes, never as HTML.

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'multiple']);

/** Append children (nodes, strings, numbers, nested arrays; null and false are skipped). */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/** Create an element: h('a', {href: '#/map', class: 'x', onclick: fn}, 'text', child). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  return append(el, children);
}

/** Remove every child of an element. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Replace an element's children (null and false children are skipped, as in append). */
export function replace(el, ...children) {
  return append(clear(el), ...children);
}

/** Return a '#/…' link target for a route and optional query parameters. */
export function routeHref(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, value);
  }
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

/** Return the link to a camera page. */
export function cameraHref(code) {
  return `#/camera/${encodeURIComponent(code)}`;
}
