// The big map: clustered cameras by status, ward outlines, view cones, "who sees this point".
import { getJson } from './api.js';
import { append, cameraHref, clear, h, replace, routeHref } from './dom.js';
import { errorBox } from './feedback.js';
import { enumLabel, t } from './i18n.js';
import { formatField, formatNumber, formatPoint } from './format.js';
import {
  OLD_WARDS_DAY,
  STATUSES,
  cameraMarker,
  cameraPopup,
  clusterGroup,
  createMap,
  currentWards,
  loadAreaOutlines,
  loadCameraPoints,
  loadCameraViews,
  oldWards,
  viewStyle,
  wardLayer,
} from './map-layers.js';
import { navigate } from './router.js';
import { can } from './session.js';

const L = window.L;
const FOV_ZOOM = 16;
const RESULT_LIMIT = 200;
const VIEW_KEY = 'camreg.mapView';

function savedView() {
  try {
    return JSON.parse(window.sessionStorage.getItem(VIEW_KEY) || 'null');
  } catch {
    return null;
  }
}

function radioGroup(name, options, selected, onChange) {
  return options.map(([value, label]) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name, value, checked: value === selected, onchange: () => onChange(value) }),
      ' ',
      label,
    ),
  );
}

function checkbox(id, label, checked, onChange) {
  return h(
    'label',
    { class: 'choice', for: id },
    h('input', { type: 'checkbox', id, checked, onchange: (e) => onChange(e.target.checked) }),
    ' ',
    label,
  );
}

function legend(counts) {
  return h(
    'ul',
    { class: 'legend' },
    STATUSES.map((status) =>
      h(
        'li',
        {},
        h('span', { class: `swatch cam-${status}`, 'aria-hidden': 'true' }),
        `${enumLabel('status', status)} (${formatNumber(counts[status] || 0)})`,
      ),
    ),
  );
}

function resultList(items, showDistance) {
  if (!items.length) return h('p', { class: 'muted' }, t('map.no_result'));
  return h(
    'ol',
    { class: 'result-list' },
    items.map((cam) =>
      h(
        'li',
        {},
        h('a', { href: cameraHref(cam.code) }, h('strong', {}, cam.code), ' ', cam.name),
        ' ',
        h('span', { class: `badge badge-${cam.status}` }, enumLabel('status', cam.status)),
        showDistance && cam.distance_m !== null && cam.distance_m !== undefined
          ? h('span', { class: 'muted' }, ` · ${formatField('distance_m', cam.distance_m)}`)
          : null,
      ),
    ),
  );
}

/** Render the map view. */
export async function mapView(section, { query }) {
  const state = { mode: 'browse', radius: 200, showFov: false };
  const resultsBox = h('div', { class: 'results', 'aria-live': 'polite' });
  const hint = h('p', { class: 'hint', id: 'map-hint' }, t('map.click_hint.browse'));
  const legendBox = h('div', { class: 'legend-box' });
  const errorSlot = h('div');
  const radiusInput = h('input', {
    type: 'number',
    id: 'map-radius',
    min: '10',
    max: '5000',
    step: '10',
    value: String(state.radius),
    onchange: (e) => {
      state.radius = Math.max(10, Math.min(5000, Number(e.target.value) || 200));
    },
  });
  const modes = [
    ['browse', t('map.mode.browse')],
    ['sees', t('map.mode.sees')],
    ['radius', t('map.mode.radius')],
  ];
  if (can('camera:write')) modes.push(['create', t('map.mode.create')]);
  const radiusField = h('div', { class: 'field', hidden: true }, h('label', { for: 'map-radius' }, t('map.radius')), radiusInput);
  const pointInput = h('input', { id: 'map-point', type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: '10.3461, 107.0843', 'aria-describedby': 'map-point-error' });
  const pointError = h('p', { class: 'field-error', id: 'map-point-error', 'aria-live': 'polite' });
  const pointForm = h(
    'form',
    { class: 'point-form', hidden: true },
    h('label', { for: 'map-point' }, t('map.point_input')),
    h('div', { class: 'inline' }, pointInput, h('button', { type: 'submit', class: 'btn' }, t('map.point_search'))),
    pointError,
  );
  pointForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const match = /^\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(pointInput.value);
    const lat = match ? Number(match[1]) : NaN;
    const lon = match ? Number(match[2]) : NaN;
    if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) {
      pointError.textContent = t('map.point_invalid');
      pointInput.setAttribute('aria-invalid', 'true');
      return;
    }
    pointError.textContent = '';
    pointInput.removeAttribute('aria-invalid');
    const latlng = L.latLng(lat, lon);
    map.setView(latlng, Math.max(map.getZoom(), 16));
    search(latlng);
  });
  const mapElement = h('div', { class: 'map', id: 'map', role: 'region', 'aria-label': t('map.label') });
  const panel = h(
    'aside',
    { class: 'map-panel', 'aria-label': t('map.panel') },
    h('h1', { class: 'panel-title' }, t('map.title')),
    errorSlot,
    h(
      'fieldset',
      {},
      h('legend', {}, t('map.mode')),
      radioGroup('map-mode', modes, state.mode, (mode) => setMode(mode)),
    ),
    radiusField,
    hint,
    pointForm,
    resultsBox,
    h(
      'fieldset',
      {},
      h('legend', {}, t('map.layers')),
      checkbox('layer-wards', t('map.layer.wards'), true, (on) => toggleLayer(wards, on)),
      checkbox('layer-old-wards', t('map.layer.old_wards'), false, (on) => toggleOldWards(on)),
      checkbox('layer-fov', t('map.layer.fov'), false, (on) => {
        state.showFov = on;
        updateViews();
      }),
      h('p', { class: 'hint' }, t('map.fov_hint', { zoom: FOV_ZOOM })),
    ),
    h('h2', { class: 'panel-subtitle' }, t('map.legend')),
    legendBox,
  );
  append(section, h('div', { class: 'map-layout' }, panel, mapElement));
  section.classList.add('view-map');

  const saved = savedView();
  const center = query.lat && query.lon ? [Number(query.lat), Number(query.lon)] : saved && saved.center;
  const map = createMap(mapElement, { center, zoom: Number(query.zoom) || (saved && saved.zoom) });
  if (!can('camera:read')) return () => map.remove();
  const clusters = clusterGroup().addTo(map);
  const wards = L.layerGroup().addTo(map);
  const old = L.layerGroup();
  const views = L.layerGroup();
  const found = L.layerGroup().addTo(map);
  let viewsLoaded = false;

  function toggleLayer(layer, on) {
    if (on) layer.addTo(map);
    else layer.remove();
  }

  async function toggleOldWards(on) {
    toggleLayer(old, on);
    if (!on || old.getLayers().length) return;
    try {
      const [before, current] = await Promise.all([loadAreaOutlines(OLD_WARDS_DAY), loadAreaOutlines()]);
      wardLayer(oldWards(before, current), { old: true }).addTo(old);
    } catch (error) {
      append(clear(errorSlot), errorBox(error));
    }
  }

  async function updateViews() {
    const wanted = state.showFov || map.getZoom() >= FOV_ZOOM;
    toggleLayer(views, wanted);
    if (!wanted || viewsLoaded) return;
    viewsLoaded = true;
    try {
      const collection = await loadCameraViews();
      L.geoJSON(collection, {
        interactive: false,
        style: (feature) => viewStyle(feature.properties && feature.properties.status),
      }).addTo(views);
    } catch (error) {
      viewsLoaded = false;
      append(clear(errorSlot), errorBox(error));
    }
  }

  function setMode(mode) {
    state.mode = mode;
    radiusField.hidden = mode !== 'radius';
    pointForm.hidden = mode !== 'sees' && mode !== 'radius';
    hint.textContent = t(`map.click_hint.${mode}`);
    mapElement.classList.toggle('map-picking', mode !== 'browse');
  }

  async function search(latlng) {
    const point = formatPoint(latlng.lat, latlng.lng);
    const where = `${latlng.lat.toFixed(6)},${latlng.lng.toFixed(6)}`;
    found.clearLayers();
    L.circleMarker(latlng, { radius: 6, className: 'search-point' }).addTo(found);
    const params = { limit: RESULT_LIMIT };
    if (state.mode === 'sees') params.sees = where;
    else {
      params.near = where;
      params.radius = state.radius;
      L.circle(latlng, { radius: state.radius, className: 'search-radius', interactive: false }).addTo(found);
    }
    replace(resultsBox, h('p', { class: 'muted' }, t('app.loading')));
    try {
      const page = await getJson('/cameras', params);
      const items = page.items || [];
      for (const cam of items) {
        if (state.mode === 'sees' && cam.fov_polygon) {
          L.geoJSON(cam.fov_polygon, { style: () => ({ ...viewStyle(cam.status), className: 'fov fov-hit' }) }).addTo(found);
        }
        cameraMarker(cam.lat, cam.lon, cam, { highlight: true }).bindPopup(cameraPopup(cam)).addTo(found);
      }
      const heading =
        state.mode === 'sees'
          ? t('map.sees_result', { count: items.length, point })
          : t('map.radius_result', { count: items.length, radius: formatNumber(state.radius), point });
      replace(resultsBox, 
        h('h2', { class: 'panel-subtitle' }, t('map.results')),
        h('p', {}, heading),
        resultList(items, state.mode === 'radius'),
        page.next_cursor ? h('p', { class: 'hint' }, t('map.more_results')) : null,
        h('button', { type: 'button', class: 'btn btn-small', onclick: clearResults }, t('map.clear')),
      );
    } catch (error) {
      replace(resultsBox, errorBox(error));
    }
  }

  function clearResults() {
    found.clearLayers();
    clear(resultsBox);
  }

  map.on('click', (event) => {
    if (state.mode === 'sees' || state.mode === 'radius') search(event.latlng);
    else if (state.mode === 'create') {
      navigate(routeHref('/new', { lat: event.latlng.lat.toFixed(6), lon: event.latlng.lng.toFixed(6) }));
    }
  });
  map.on('zoomend', updateViews);
  map.on('moveend', () => {
    const c = map.getCenter();
    try {
      window.sessionStorage.setItem(VIEW_KEY, JSON.stringify({ center: [c.lat, c.lng], zoom: map.getZoom() }));
    } catch {
      // Storage may be unavailable; the map just opens at the default view next time.
    }
  });

  const [points, areas] = await Promise.allSettled([loadCameraPoints(), loadAreaOutlines()]);
  if (areas.status === 'fulfilled') wardLayer(currentWards(areas.value)).addTo(wards);
  else append(errorSlot, errorBox(areas.reason));
  if (points.status === 'fulfilled') {
    const counts = {};
    const markers = [];
    for (const feature of points.value.features || []) {
      const p = feature.properties || {};
      if (!feature.geometry || feature.geometry.type !== 'Point') continue;
      const [lon, lat] = feature.geometry.coordinates;
      counts[p.status] = (counts[p.status] || 0) + 1;
      markers.push(cameraMarker(lat, lon, p).bindPopup(() => cameraPopup(p)));
    }
    clusters.addLayers(markers);
    append(
      legendBox,
      legend(counts),
      h('p', { class: 'muted', id: 'map-count' }, t('map.count', { count: formatNumber(markers.length) })),
    );
    mapElement.dataset.cameras = String(markers.length);
  } else {
    append(errorSlot, errorBox(points.reason));
  }
  updateViews();
  mapElement.dataset.ready = 'true';
  return () => map.remove();
}
