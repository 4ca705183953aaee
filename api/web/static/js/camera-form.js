// Create and edit forms: only changed fields are sent (PATCH with If-Match), errors beside fields.
import { request } from './api.js';
import { append, cameraHref, clear, h } from './dom.js';
import { errorBox, fieldOf, toast } from './feedback.js';
import { FORM_FIELDS, GROUPS } from './fields.js';
import { formatBool } from './format.js';
import { enumLabel, t } from './i18n.js';
import {
  createMap,
  currentWards,
  invalidateCameras,
  loadAreaOutlines,
  sectorPolygon,
  viewStyle,
  wardLayer,
} from './map-layers.js';
import { navigate } from './router.js';
import { can } from './session.js';

const L = window.L;

function inputFor(field, value, disabled) {
  const id = `f-${field.name}`;
  const common = { id, name: field.name, disabled, 'aria-describedby': `err-${field.name} hint-${field.name}` };
  if (field.kind === 'enum' || field.kind === 'bool') {
    const options =
      field.kind === 'bool'
        ? [
            ['true', t('bool.true')],
            ['false', t('bool.false')],
          ]
        : field.options.map((o) => [o, enumLabel(field.name, o)]);
    const current = value === null || value === undefined ? '' : String(value);
    return h(
      'select',
      common,
      h('option', { value: '' }, field.kind === 'bool' ? t('value.unknown') : t('value.none')),
      options.map(([v, label]) => h('option', { value: v, selected: v === current }, label)),
    );
  }
  if (field.kind === 'textarea') return h('textarea', { ...common, rows: 4, maxlength: field.max }, value || '');
  const types = { number: 'number', date: 'date', url: 'text', tel: 'tel', email: 'email', secret: 'text' };
  const props = {
    ...common,
    type: field.name === 'stream_password' ? 'password' : types[field.kind] || 'text',
    value: field.kind === 'tags' ? (value || []).join(', ') : value === null || value === undefined ? '' : String(value),
    maxlength: field.max,
    step: field.step,
    min: field.min,
    max: field.kind === 'number' ? field.max : undefined,
    required: field.required,
    autocomplete: field.autocomplete || (field.kind === 'secret' ? 'off' : undefined),
    inputmode: field.kind === 'number' ? 'decimal' : undefined,
  };
  if (field.kind === 'number') delete props.maxlength;
  return h('input', props);
}

function hintFor(field) {
  if (field.kind === 'tags') return t('form.tags_hint');
  if (field.kind === 'secret') return t('form.password_hint');
  if (field.name === 'code') return t('form.code_hint');
  return '';
}

function fieldBlock(field, value, disabled) {
  return h(
    'div',
    { class: `field field-${field.kind}`, dataset: { field: field.name } },
    h('label', { for: `f-${field.name}`, class: field.required ? 'is-required' : null }, t(`field.${field.name}`)),
    inputFor(field, value, disabled),
    h('p', { class: 'hint', id: `hint-${field.name}` }, hintFor(field)),
    h('p', { class: 'field-error', id: `err-${field.name}`, 'aria-live': 'polite' }),
  );
}

function readValue(form, field) {
  const el = form.elements.namedItem(field.name);
  if (!el || el.disabled) return { skip: true };
  if (el.validity && el.validity.badInput) return { error: t('form.not_number') };
  const raw = el.value.trim();
  if (field.kind === 'secret') return raw ? { value: raw } : { skip: true };
  if (raw === '') return { value: field.kind === 'tags' ? [] : null };
  if (field.kind === 'number') {
    const number = Number(raw.replace(',', '.'));
    return Number.isFinite(number) ? { value: number } : { error: t('form.not_number') };
  }
  if (field.kind === 'bool') return { value: raw === 'true' };
  if (field.kind === 'tags') {
    return { value: [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))].sort() };
  }
  return { value: raw };
}

function same(a, b) {
  const norm = (v) => (Array.isArray(v) ? [...v].sort() : v ?? null);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

function clearErrors(form, summary) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  clear(summary);
}

function markError(form, name, message) {
  const slot = form.querySelector(`#err-${name}`);
  if (!slot) return false;
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  const input = form.elements.namedItem(name);
  if (input && input.setAttribute) input.setAttribute('aria-invalid', 'true');
  return true;
}

function showProblem(form, summary, error) {
  const loose = [];
  for (const item of error.fieldErrors) {
    const name = fieldOf(item.field, FORM_FIELDS);
    if (!name || !markError(form, name, item.message)) loose.push(item);
  }
  const box = errorBox(error);
  if (loose.length) box.append(h('ul', {}, loose.map((item) => h('li', {}, item.field ? `${item.field}: ${item.message}` : item.message))));
  summary.append(box);
  const invalid = form.querySelector('[aria-invalid="true"]');
  (invalid || summary).focus?.();
}

function numberIn(form, name) {
  const el = form.elements.namedItem(name);
  const value = el && el.value !== '' ? Number(el.value) : NaN;
  return Number.isFinite(value) ? value : null;
}

function positionPicker(form, cam) {
  const element = h('div', { class: 'minimap picker', role: 'application', 'aria-label': t('form.pick_on_map') });
  const lat = Number(cam.lat);
  const lon = Number(cam.lon);
  const start = cam.lat !== null && cam.lat !== undefined && Number.isFinite(lat) && Number.isFinite(lon) ? [lat, lon] : null;
  const mount = () => {
    const map = createMap(element, { center: start || undefined, zoom: start ? 17 : undefined, scrollWheelZoom: false, still: true });
    loadAreaOutlines()
      .then((areas) => wardLayer(currentWards(areas), { labels: false }).addTo(map))
      .catch(() => {
        // Outlines are context only.
      });
    const cone = L.layerGroup().addTo(map);
    const icon = L.divIcon({ className: `cam-marker cam-${cam.status || 'planned'} cam-highlight`, iconSize: [20, 20] });
    const marker = L.marker(start || map.getCenter(), { draggable: true, icon, keyboard: true });
    if (start) marker.addTo(map);
    // Preview the view as typed; an explicit (hand-drawn) polygon is shown as stored.
    const drawCone = () => {
      cone.clearLayers();
      const a = numberIn(form, 'lat');
      const b = numberIn(form, 'lon');
      const heading = numberIn(form, 'heading_deg');
      const fov = numberIn(form, 'fov_deg');
      const range = numberIn(form, 'range_m');
      let shape = null;
      if (cam.fov_explicit && cam.fov_polygon) shape = cam.fov_polygon;
      else if (a !== null && b !== null && heading !== null && fov && range) shape = sectorPolygon(a, b, heading, fov, range);
      if (shape) L.geoJSON(shape, { interactive: false, style: () => viewStyle(cam.status) }).addTo(cone);
    };
    const set = (latlng) => {
      marker.setLatLng(latlng).addTo(map);
      form.elements.namedItem('lat').value = latlng.lat.toFixed(6);
      form.elements.namedItem('lon').value = latlng.lng.toFixed(6);
      drawCone();
    };
    map.on('click', (e) => set(e.latlng));
    marker.on('dragend', () => set(marker.getLatLng()));
    const sync = () => {
      const a = numberIn(form, 'lat');
      const b = numberIn(form, 'lon');
      if (a !== null && b !== null) marker.setLatLng([a, b]).addTo(map);
      drawCone();
    };
    for (const name of ['lat', 'lon', 'heading_deg', 'fov_deg', 'range_m']) {
      form.elements.namedItem(name).addEventListener('input', sync);
    }
    drawCone();
    return map;
  };
  return { element, mount };
}

function buildForm(cam, { creating }) {
  const form = h('form', { class: 'camera-form', novalidate: true });
  const summary = h('div', { class: 'form-summary', tabindex: '-1' });
  append(form, summary);
  if (creating) {
    const fields = [
      { name: 'code', kind: 'text', required: true, max: 32 },
      { name: 'status', kind: 'enum', options: ['planned', 'active'] },
    ];
    append(form, h('fieldset', { class: 'card' }, h('legend', {}, t('group.record')), h('div', { class: 'field-grid' }, fields.map((f) => fieldBlock(f, cam[f.name], false)))));
  }
  for (const group of GROUPS) {
    const hidden = group.key === 'owner' && cam.personal_data_hidden;
    const blocks = group.fields.map((f) => fieldBlock(f, cam[f.name], hidden && f.personal));
    if (group.key === 'streams' && !creating) {
      blocks.push(
        h('p', { class: 'hint' }, `${t('field.has_credentials')}: ${formatBool(Boolean(cam.has_credentials))}`),
        cam.has_credentials
          ? h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'clear_credentials', id: 'f-clear_credentials' }), ' ', t('field.clear_credentials'))
          : null,
      );
    }
    if (hidden) blocks.push(h('p', { class: 'note' }, t('camera.personal_hidden')));
    append(form, h('fieldset', { class: 'card', dataset: { group: group.key } }, h('legend', {}, t(`group.${group.key}`)), h('div', { class: 'field-grid' }, blocks)));
  }
  return { form, summary };
}

function collect(form, cam, creating) {
  const payload = {};
  const errors = [];
  const fields = GROUPS.flatMap((g) => g.fields);
  if (creating) fields.unshift({ name: 'code', kind: 'text', required: true }, { name: 'status', kind: 'enum' });
  for (const field of fields) {
    const read = readValue(form, field);
    if (read.skip) continue;
    if (read.error) {
      errors.push([field.name, read.error]);
      continue;
    }
    if (field.required && (read.value === null || read.value === '')) {
      errors.push([field.name, t('form.required')]);
      continue;
    }
    if (creating ? read.value !== null && !(Array.isArray(read.value) && !read.value.length) : !same(read.value, cam[field.name])) {
      payload[field.name] = read.value;
    }
  }
  const width = readValue(form, { name: 'expected_width', kind: 'number' }).value;
  const height = readValue(form, { name: 'expected_height', kind: 'number' }).value;
  if ((width === null) !== (height === null)) {
    errors.push([width === null ? 'expected_width' : 'expected_height', t('form.size_pair')]);
  }
  const clearBox = form.elements.namedItem('clear_credentials');
  if (clearBox && clearBox.checked) {
    payload.stream_username = null;
    payload.stream_password = null;
  }
  if (!creating && ('lat' in payload || 'lon' in payload)) {
    payload.lat = readValue(form, { name: 'lat', kind: 'number' }).value;
    payload.lon = readValue(form, { name: 'lon', kind: 'number' }).value;
  }
  // The server takes a picture size only whole, so a changed width or height sends both.
  if ('expected_width' in payload || 'expected_height' in payload) {
    payload.expected_width = readValue(form, { name: 'expected_width', kind: 'number' }).value;
    payload.expected_height = readValue(form, { name: 'expected_height', kind: 'number' }).value;
  }
  return { payload, errors };
}

function conflictBox(code) {
  return h(
    'div',
    { class: 'alert alert-error', role: 'alert', id: 'conflict' },
    h('strong', {}, t('form.conflict')),
    ' ',
    h('a', { class: 'btn', href: `#/camera/${encodeURIComponent(code)}/edit`, onclick: (e) => { e.preventDefault(); navigate(`/camera/${encodeURIComponent(code)}/edit`); } }, t('form.reload')),
  );
}

async function submit(form, summary, cam, etag, creating) {
  clearErrors(form, summary);
  const { payload, errors } = collect(form, cam, creating);
  if (errors.length) {
    for (const [name, message] of errors) markError(form, name, message);
    summary.append(h('div', { class: 'alert alert-error', role: 'alert' }, t('form.invalid')));
    summary.focus();
    return;
  }
  if (!creating && !Object.keys(payload).length) {
    toast(t('form.nothing_changed'));
    return;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  button.textContent = t('form.saving');
  try {
    const path = creating ? '/cameras' : `/cameras/${encodeURIComponent(cam.code)}`;
    const { data } = await request(creating ? 'POST' : 'PATCH', path, { json: payload, ifMatch: creating ? null : etag });
    invalidateCameras();
    const code = (data && data.code) || payload.code || cam.code;
    toast(t(creating ? 'form.created' : 'form.saved', { code }), 'success');
    navigate(cameraHref(code));
  } catch (error) {
    button.disabled = false;
    button.textContent = t(creating ? 'form.create' : 'form.save');
    if (error.status === 412) summary.append(conflictBox(cam.code));
    else showProblem(form, summary, error);
    if (error.status === 412) summary.focus();
  }
}

async function renderForm(section, cam, etag, creating) {
  const { form, summary } = buildForm(cam, { creating });
  const picker = positionPicker(form, cam);
  const cancelHref = creating ? '#/map' : cameraHref(cam.code);
  append(
    form,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t(creating ? 'form.create' : 'form.save')),
      h('a', { class: 'btn', href: cancelHref }, t('form.cancel')),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(form, summary, cam, etag, creating);
  });
  append(
    section,
    h('a', { class: 'back', href: cancelHref }, creating ? t('nav.map') : cam.code),
    h('h1', {}, creating ? t('form.new_title') : t('form.edit_title', { code: cam.code })),
    creating ? null : h('p', { class: 'hint' }, t('form.status_note')),
    h('div', { class: 'form-layout' }, form, h('div', { class: 'form-side' }, picker.element, h('p', { class: 'hint' }, t('form.pick_on_map')))),
  );
  const map = picker.mount();
  section.dataset.ready = 'true';
  return () => map.remove();
}

/** Render the edit form of a camera. */
export async function editView(section, { params }) {
  if (!can('camera:write')) {
    section.append(h('h1', {}, params.code), h('p', { class: 'alert' }, t('error.forbidden')));
    return undefined;
  }
  let response;
  try {
    response = await request('GET', `/cameras/${encodeURIComponent(params.code)}`);
  } catch (error) {
    section.append(h('h1', {}, params.code), errorBox(error));
    return undefined;
  }
  return renderForm(section, response.data, response.etag, false);
}

/** Render the new-camera form (lat/lon may come from a click on the map). */
export async function newView(section, { query }) {
  if (!can('camera:write')) {
    section.append(h('h1', {}, t('form.new_title')), h('p', { class: 'alert' }, t('error.forbidden')));
    return undefined;
  }
  const cam = { lat: query.lat ? Number(query.lat) : null, lon: query.lon ? Number(query.lon) : null, funding: 'social', tags: [] };
  return renderForm(section, cam, null, true);
}
