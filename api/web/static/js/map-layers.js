// Leaflet building blocks shared by the big map, the camera page and the form's position picker.
import { getJson } from './api.js';
import { append, cameraHref, h } from './dom.js';
import { enumLabel, t } from './i18n.js';
import { session } from './session.js';

const L = window.L;

export const STATUSES = ['active', 'maintenance', 'planned', 'decommissioned'];
export const OLD_WARDS_UNTIL = '2025-07-01';
export const OLD_WARDS_DAY = '2025-06-30';

const cache = new Map();

function cached(key, load) {
  if (!cache.has(key)) {
    cache.set(
      key,
      load().catch((error) => {
        cache.delete(key);
        throw error;
      }),
    );
  }
  return cache.get(key);
}

/** Forget cached camera layers after a write, so maps show the change. */
export function invalidateCameras() {
  cache.delete('cameras');
  cache.delete('fov');
}

/** Return every page of a GeoJSON listing merged into one FeatureCollection. */
async function allPages(params) {
  const features = [];
  let cursor = null;
  const limit = session.config.max_page_size || 1000;
  do {
    const page = await getJson('/cameras', { ...params, limit, cursor });
    features.push(...(page.features || []));
    cursor = page.next_cursor || null;
  } while (cursor);
  return { type: 'FeatureCollection', features };
}

/** Return every camera as a GeoJSON FeatureCollection of points (cached). */
export function loadCameraPoints() {
  return cached('cameras', () => allPages({ format: 'geojson' }));
}

/** Return every camera's field of view as GeoJSON polygons (cached). */
export function loadCameraViews() {
  return cached('fov', () => allPages({ format: 'geojson', geometry: 'fov' }));
}

/** Return the ward outlines valid on a day (default today) as GeoJSON (cached). */
export function loadAreaOutlines(at) {
  const params = { format: 'geojson' };
  if (at) params.at = at;
  return cached(`areas:${at || ''}`, () => getJson('/areas', params));
}

function isWardLevel(feature) {
  const level = feature.properties && feature.properties.level;
  return !level || level === 'ward';
}

/** Return the features of wards valid today. */
export function currentWards(collection) {
  const today = new Date().toISOString().slice(0, 10);
  return (collection.features || []).filter((f) => {
    const p = f.properties || {};
    return isWardLevel(f) && (!p.valid_to || p.valid_to >= today) && (!p.valid_from || p.valid_from <= today);
  });
}

/** Return the wards of the day before the 1 July 2025 reorganisation that no longer exist. */
export function oldWards(before, current) {
  // Codes were reused (26506 was Phường 1, now Phường Vũng Tàu): compare code and name.
  const key = (f) => `${f.properties && f.properties.code}|${f.properties && f.properties.name}`;
  const today = new Set((current.features || []).map(key));
  return (before.features || []).filter((f) => {
    const p = f.properties || {};
    if (!isWardLevel(f)) return false;
    if (p.valid_to) return p.valid_to < OLD_WARDS_UNTIL;
    return !today.has(key(f));
  });
}

function escapeText(text) {
  const span = document.createElement('span');
  span.textContent = text;
  return span.innerHTML;
}

/** Create a Leaflet map with the configured view and tiles (none when tile_url is empty). */
export function createMap(element, options = {}) {
  const settings = session.config.map;
  const map = L.map(element, {
    center: options.center || settings.center,
    zoom: options.zoom || settings.zoom,
    minZoom: 8,
    maxZoom: 19,
    zoomSnap: 0.5,
    scrollWheelZoom: options.scrollWheelZoom !== false,
    attributionControl: true,
    // Small maps on pages that re-render often are kept still: no animation outlives the map.
    zoomAnimation: !options.still,
    fadeAnimation: !options.still,
    markerZoomAnimation: !options.still,
  });
  map.attributionControl.setPrefix(false);
  if (settings.tile_url) {
    // The attribution comes from the operator's settings; it is shown as text, never as HTML.
    L.tileLayer(settings.tile_url, {
      maxZoom: 19,
      attribution: escapeText(settings.tile_attribution || ''),
    }).addTo(map);
  } else {
    element.classList.add('no-tiles');
  }
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

/** Return a marker for a camera, coloured by status. */
export function cameraMarker(lat, lon, props, options = {}) {
  const status = STATUSES.includes(props.status) ? props.status : 'planned';
  const icon = L.divIcon({
    className: `cam-marker cam-${status}${options.highlight ? ' cam-highlight' : ''}`,
    iconSize: options.highlight ? [20, 20] : [16, 16],
  });
  const label = `${props.code} – ${props.name || ''} (${enumLabel('status', status)})`;
  return L.marker([lat, lon], { icon, title: label, alt: label, keyboard: true, riseOnHover: true });
}

/** Return the popup content of a camera: code, name, status, address and a link. */
export function cameraPopup(props) {
  const status = props.status || 'planned';
  const box = h('div', { class: 'cam-popup' });
  append(
    box,
    h('div', { class: 'cam-popup-code' }, props.code),
    h('div', { class: 'cam-popup-name' }, props.name || ''),
    h('div', {}, h('span', { class: `badge badge-${status}` }, enumLabel('status', status))),
    props.address ? h('div', { class: 'cam-popup-address' }, props.address) : null,
    props.ward_name ? h('div', { class: 'muted' }, props.ward_name) : null,
    h('a', { href: cameraHref(props.code), class: 'cam-popup-link' }, t('map.open_camera')),
  );
  return box;
}

/** Return the style of a field-of-view polygon. */
export function viewStyle(status) {
  return {
    className: `fov fov-${status || 'planned'}`,
    weight: 1,
    fillOpacity: 0.18,
    opacity: 0.7,
  };
}

/** Return the GeoJSON polygon of a view sector (heading 0 = north, clockwise; range in m). */
export function sectorPolygon(lat, lon, heading, fov, range) {
  const metresPerDegreeLat = 111_320;
  const metresPerDegreeLon = 111_320 * Math.cos((lat * Math.PI) / 180);
  const steps = Math.max(4, Math.ceil(fov / 5));
  const ring = fov >= 360 ? [] : [[lon, lat]];
  for (let i = 0; i <= steps; i += 1) {
    const angle = ((heading - fov / 2 + (fov * i) / steps) * Math.PI) / 180;
    ring.push([lon + (range * Math.sin(angle)) / metresPerDegreeLon, lat + (range * Math.cos(angle)) / metresPerDegreeLat]);
  }
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

/** Return a clustered layer of cluster icons showing counts. */
export function clusterGroup() {
  return L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 50,
    disableClusteringAtZoom: 17,
    chunkedLoading: true,
    iconCreateFunction(cluster) {
      const count = cluster.getChildCount();
      const size = count < 10 ? 'small' : count < 100 ? 'medium' : 'large';
      const inner = h('div', {}, h('span', {}, String(count)));
      return L.divIcon({
        html: inner,
        className: `marker-cluster cam-cluster marker-cluster-${size}`,
        iconSize: L.point(40, 40),
      });
    },
  });
}

/** Return a GeoJSON layer of ward outlines with name labels. */
export function wardLayer(features, { old = false, labels = true } = {}) {
  return L.geoJSON(
    { type: 'FeatureCollection', features },
    {
      interactive: labels,
      style: () => ({
        className: old ? 'ward ward-old' : 'ward',
        weight: old ? 1.5 : 2,
        fill: !old,
        fillOpacity: old ? 0 : 0.04,
        dashArray: old ? '6 5' : null,
      }),
      onEachFeature(feature, layer) {
        const p = feature.properties || {};
        if (!labels || !p.name) return;
        const text = old && p.valid_to ? `${p.name} (→ ${p.valid_to})` : p.name;
        layer.bindTooltip(h('span', {}, text), {
          permanent: !old,
          direction: 'center',
          className: old ? 'ward-label ward-label-old' : 'ward-label',
          sticky: old,
        });
      },
    },
  );
}
