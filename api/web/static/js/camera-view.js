// One camera: every field grouped, a mini map with its view cone, lifecycle actions, history.
import { request } from './api.js';
import { append, h, replace, routeHref } from './dom.js';
import { confirmDialog, errorBox, toast } from './feedback.js';
import { GROUPS } from './fields.js';
import { formatBool, formatField } from './format.js';
import { renderHistory } from './history.js';
import { enumLabel, t } from './i18n.js';
import {
  cameraMarker,
  createMap,
  currentWards,
  invalidateCameras,
  loadAreaOutlines,
  viewStyle,
  wardLayer,
} from './map-layers.js';
import { refresh } from './router.js';
import { can } from './session.js';

const L = window.L;

// Lifecycle: planned → active ↔ maintenance → decommissioned (retiring is its own button).
const NEXT = {
  planned: [['active', 'camera.to.active']],
  active: [['maintenance', 'camera.to.maintenance']],
  maintenance: [['active', 'camera.to.active_again']],
  decommissioned: [],
};

function definition(name, value) {
  return [h('dt', {}, t(`field.${name}`)), h('dd', { dataset: { field: name } }, value)];
}

function tagList(tags) {
  if (!tags || !tags.length) return t('value.none');
  return h('ul', { class: 'tags' }, tags.map((tag) => h('li', { class: 'tag' }, tag)));
}

function groupBody(group, cam) {
  if (group.key === 'owner' && cam.personal_data_hidden) {
    return [
      h('dl', {}, definition('owner_kind', formatField('owner_kind', cam.owner_kind))),
      h('p', { class: 'note', id: 'personal-hidden' }, t('camera.personal_hidden')),
    ];
  }
  const items = [];
  for (const field of group.fields) {
    if (field.formOnly) continue;
    const value = field.name === 'tags' ? tagList(cam.tags) : formatField(field.name, cam[field.name]);
    items.push(definition(field.name, value));
    if (field.name === 'ward_code') items.push(definition('ward_name', formatField('ward_name', cam.ward_name)));
  }
  if (group.key === 'streams') {
    items.push(definition('has_credentials', formatBool(Boolean(cam.has_credentials))));
  }
  if (group.key === 'fov') items.push(definition('fov_explicit', formatBool(Boolean(cam.fov_explicit))));
  const extra = [];
  if (group.key === 'streams') extra.push(h('p', { class: 'hint' }, t('camera.credentials_note')));
  if (group.key === 'fov' && !cam.fov_polygon) extra.push(h('p', { class: 'hint' }, t('camera.no_fov')));
  return [h('dl', {}, items), ...extra];
}

function miniMap(element, cam) {
  const map = createMap(element, { center: [cam.lat, cam.lon], zoom: 17, scrollWheelZoom: false, still: true });
  loadAreaOutlines()
    .then((areas) => wardLayer(currentWards(areas), { labels: false }).addTo(map))
    .catch(() => {
      // The outline is only context; the camera and its cone are drawn regardless.
    });
  if (cam.fov_polygon) {
    const cone = L.geoJSON(cam.fov_polygon, { style: () => viewStyle(cam.status) }).addTo(map);
    map.fitBounds(cone.getBounds().extend([cam.lat, cam.lon]), { padding: [20, 20], maxZoom: 18, animate: false });
  }
  cameraMarker(cam.lat, cam.lon, cam).addTo(map);
  return map;
}

async function changeStatus(cam, etag, status) {
  try {
    await request('POST', `/cameras/${encodeURIComponent(cam.code)}/status`, { json: { status }, ifMatch: etag });
    invalidateCameras();
    toast(t('camera.status_changed', { code: cam.code, status: enumLabel('status', status) }), 'success');
  } catch (error) {
    toast(error.status === 412 ? t('form.conflict') : error.message, 'error');
  }
  refresh();
}

async function retire(cam, etag) {
  const ok = await confirmDialog(t('camera.retire_confirm', { code: cam.code, name: cam.name }), {
    okLabel: t('camera.retire'),
    danger: true,
  });
  if (!ok) return;
  try {
    await request('DELETE', `/cameras/${encodeURIComponent(cam.code)}`, { ifMatch: etag });
    invalidateCameras();
    toast(t('camera.retired', { code: cam.code }), 'success');
  } catch (error) {
    toast(error.status === 412 ? t('form.conflict') : error.message, 'error');
  }
  refresh();
}

function actions(cam, etag) {
  if (!can('camera:write')) return null;
  const buttons = [
    h('a', { class: 'btn btn-primary', href: `#/camera/${encodeURIComponent(cam.code)}/edit`, id: 'edit-camera' }, t('camera.edit')),
  ];
  for (const [status, label] of NEXT[cam.status] || []) {
    buttons.push(
      h('button', { type: 'button', class: 'btn', dataset: { status }, onclick: () => changeStatus(cam, etag, status) }, t(label)),
    );
  }
  if (cam.status !== 'decommissioned') {
    buttons.push(h('button', { type: 'button', class: 'btn btn-danger', id: 'retire-camera', onclick: () => retire(cam, etag) }, t('camera.retire')));
  }
  return h('div', { class: 'actions', role: 'group', 'aria-label': t('camera.actions') }, buttons);
}

/** Render the camera page. */
export async function cameraView(section, { params }) {
  const code = params.code;
  append(section, h('p', { class: 'muted' }, t('app.loading')));
  let response;
  try {
    response = await request('GET', `/cameras/${encodeURIComponent(code)}`);
  } catch (error) {
    replace(section, 
      h('a', { href: routeHref('/list'), class: 'back' }, t('camera.back')),
      h('h1', {}, code),
      error.status === 404 ? h('p', { class: 'alert' }, t('camera.not_found', { code })) : errorBox(error),
    );
    return undefined;
  }
  const cam = response.data;
  document.title = `${cam.code} – ${t('app.title')}`;
  const mapElement = h('div', { class: 'minimap', role: 'img', 'aria-label': t('camera.minimap') });
  const historyBox = h('div', { id: 'history' });
  replace(section, 
    h('a', { href: routeHref('/list'), class: 'back' }, t('camera.back')),
    h(
      'header',
      { class: 'camera-head' },
      h(
        'div',
        {},
        h('h1', {}, h('span', { class: 'code' }, cam.code), ' ', h('span', { id: 'camera-name' }, cam.name)),
        h(
          'p',
          { class: 'subtitle' },
          h('span', { class: `badge badge-${cam.status}`, id: 'camera-status' }, enumLabel('status', cam.status)),
          ' ',
          cam.ward_name || cam.ward_code || '',
          can('health:read') ? [' · ', h('a', { href: routeHref('/health', { camera: cam.code }), id: 'camera-health-link' }, t('camera.health_link'))] : null,
        ),
      ),
      actions(cam, response.etag),
    ),
    h(
      'div',
      { class: 'camera-layout' },
      h(
        'div',
        { class: 'camera-groups' },
        GROUPS.map((group) =>
          h('section', { class: 'card', dataset: { group: group.key } }, h('h2', {}, t(`group.${group.key}`)), groupBody(group, cam)),
        ),
        h(
          'section',
          { class: 'card', dataset: { group: 'record' } },
          h('h2', {}, t('group.record')),
          h('dl', {}, ['status', 'version', 'created_at', 'updated_at'].flatMap((n) => definition(n, formatField(n, cam[n])))),
        ),
      ),
      h('div', { class: 'camera-side' }, mapElement),
    ),
    can('history:read') ? h('section', { class: 'card history-card' }, h('h2', {}, t('camera.history')), historyBox) : null,
  );
  const map = miniMap(mapElement, cam);
  if (can('history:read')) await renderHistory(historyBox, cam.code);
  section.dataset.ready = 'true';
  return () => map.remove();
}
