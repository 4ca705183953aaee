// The health dashboard: a map of cameras coloured by state, problems longest first, a camera panel
// with its timeline of states, its snapshots and its reference picture.
import { getJson, request } from './api.js';
import { append, cameraHref, clear, h, replace, routeHref } from './dom.js';
import { confirmDialog, errorBox, toast } from './feedback.js';
import { displayTimeZone, formatDate, formatDateTime, formatNumber } from './format.js';
import { healthTimeline, reasonText, stateLegend, STATES } from './health-timeline.js';
import { enumLabel, t } from './i18n.js';
import { timeline as coverageTimeline } from './timeline.js';
import { createMap } from './map-layers.js';
import { can } from './session.js';

const L = window.L;
// Cameras expected to work; planned and decommissioned ones are not checked.
const WATCHED = ['active', 'maintenance'];
const SNAPSHOTS_SHOWN = 6;
// Worst first: a cluster takes the colour of its worst camera.
const SEVERITY = { offline: 3, degraded: 2, unknown: 1, online: 0 };

/** Return a duration in words: "2 d 3 h", "1 h 05 min", "7 min". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return t('value.none');
  const minutes = Math.floor(Number(seconds) / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days) return t('health.duration_dh', { d: days, h: hours });
  if (hours) return t('health.duration_hm', { h: hours, m: String(rest).padStart(2, '0') });
  return t('health.duration_m', { m: rest });
}

function stateBadge(state) {
  return h('span', { class: `health-badge health-${state}`, dataset: { state } }, enumLabel('health.state', state));
}

function marker(feature) {
  const p = feature.properties || {};
  const [lon, lat] = feature.geometry.coordinates;
  const state = STATES.includes(p.state) ? p.state : 'unknown';
  const icon = L.divIcon({ className: `health-marker health-${state}`, iconSize: [16, 16] });
  const label = `${p.camera} – ${p.name || ''} (${enumLabel('health.state', state)})`;
  const m = L.marker([lat, lon], { icon, title: label, alt: label, keyboard: true, riseOnHover: true });
  m.options.healthState = state;
  return m;
}

function clusters() {
  return L.markerClusterGroup({
    showCoverageOnHover: false,
    maxClusterRadius: 40,
    disableClusteringAtZoom: 16,
    chunkedLoading: true,
    iconCreateFunction(cluster) {
      let worst = 'online';
      for (const child of cluster.getAllChildMarkers()) {
        const state = child.options.healthState || 'unknown';
        if (SEVERITY[state] > SEVERITY[worst]) worst = state;
      }
      const inner = h('div', {}, h('span', {}, String(cluster.getChildCount())));
      return L.divIcon({ html: inner, className: `marker-cluster health-cluster health-cluster-${worst}`, iconSize: L.point(38, 38) });
    },
  });
}

function problemItem(p, onPick) {
  return h(
    'li',
    { class: 'health-problem', dataset: { camera: p.camera, state: p.state } },
    h(
      'button',
      { type: 'button', class: 'health-problem-button', onclick: () => onPick(p.camera) },
      h('span', { class: 'health-problem-head' }, stateBadge(p.state), ' ', h('strong', {}, p.camera), ' ', p.name || ''),
      h(
        'span',
        { class: 'health-problem-info' },
        p.reasons && p.reasons.length ? h('span', { class: 'health-reasons' }, reasonText(p.reasons)) : null,
        h(
          'span',
          { class: 'health-duration' },
          p.since ? t('health.for', { duration: formatDuration(p.duration_s) }) : t('health.never_checked'),
        ),
      ),
    ),
  );
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Return today's date (YYYY-MM-DD) in the display zone. */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: displayTimeZone(), year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/** Return a calendar date moved by whole days (no time zone involved). */
function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Return a date from the route if it is a real one, else null (the last 24 hours). */
function routeDay(value) {
  if (!DAY_RE.test(value || '')) return null;
  return addDays(value, 0) === value ? value : null;
}

function definition(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

/** Render the health dashboard. */
export async function healthView(section, { query }) {
  section.classList.add('view-map', 'view-health');
  const errorSlot = h('div');
  const updated = h('p', { class: 'muted', id: 'health-updated' });
  const legendBox = h('div', { class: 'legend-box', id: 'health-legend' });
  const cameraBox = h('div', { id: 'health-camera', 'aria-live': 'polite' });
  const problemsBox = h('div', { id: 'health-problems' });
  const mapElement = h('div', { class: 'map', id: 'health-map', role: 'region', 'aria-label': t('health.map_label') });
  const panel = h(
    'aside',
    { class: 'map-panel health-panel', 'aria-label': t('health.panel_label') },
    h('div', { class: 'health-title-row' }, h('h1', { class: 'panel-title' }, t('health.title')), h('button', { type: 'button', class: 'btn btn-small', id: 'health-refresh', onclick: () => load() }, t('health.refresh'))),
    updated,
    errorSlot,
    legendBox,
    cameraBox,
    h('h2', { class: 'panel-subtitle' }, t('health.problems')),
    problemsBox,
  );
  append(section, h('div', { class: 'map-layout health-layout' }, panel, mapElement));
  const map = createMap(mapElement);
  const group = clusters().addTo(map);
  const markers = new Map();
  let shown = null;
  // The day shown in the camera panel (display zone), or null for the last 24 hours.
  let day = routeDay(query.day);

  function remember(code) {
    const target = routeHref('/health', code ? { camera: code, day } : {});
    // replaceState does not fire hashchange, so the dashboard stays as it is.
    window.history.replaceState(null, '', target);
  }

  async function showCamera(code, { pan = true } = {}) {
    shown = code;
    remember(code);
    replace(cameraBox, h('p', { class: 'muted' }, t('app.loading')));
    const shownDay = day;
    let detail;
    let states;
    try {
      // A picked day runs from midnight to midnight in the display zone: naive times are read
      // in that zone by the API.
      [detail, states] = await Promise.all([
        getJson(`/cameras/${encodeURIComponent(code)}/health`),
        shownDay ? getJson(`/cameras/${encodeURIComponent(code)}/health/intervals`, { from: `${shownDay}T00:00:00`, to: `${addDays(shownDay, 1)}T00:00:00` }) : null,
      ]);
    } catch (error) {
      if (shown === code && day === shownDay) replace(cameraBox, errorBox(error));
      return;
    }
    const timelineShown = states || detail.timeline;
    // State and footage side by side over the same window (footage needs the event permission).
    const shownWindow = { from: timelineShown.start, to: timelineShown.end };
    const [report, coverage] = await Promise.allSettled([
      getJson('/health/availability', { ...shownWindow, camera: code }),
      can('event:read') ? getJson(`/cameras/${encodeURIComponent(code)}/coverage`, shownWindow) : Promise.reject(new Error('no permission')),
    ]);
    if (shown !== code || day !== shownDay) return;
    const cur = detail.current;
    const found = markers.get(code);
    if (pan && found) {
      // No animation: a language switch may remove the map while it would still be moving.
      map.setView(found.getLatLng(), Math.max(map.getZoom(), 16), { animate: false });
    }
    const snapshots = (detail.checks || []).filter((c) => c.snapshot).slice(0, SNAPSHOTS_SHOWN);
    const card = h(
      'section',
      { class: 'card health-card', dataset: { camera: code, state: cur.state } },
      h(
        'div',
        { class: 'health-card-head' },
        h('h2', {}, h('span', {}, code), ' ', h('span', { class: 'muted' }, cur.name)),
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: closeCamera, 'aria-label': t('health.close') }, '×'),
      ),
      h('p', {}, stateBadge(cur.state), ' ', cur.reasons.length ? reasonText(cur.reasons) : ''),
      h(
        'dl',
        { class: 'health-dl' },
        definition(t('health.since_label'), cur.since ? `${formatDateTime(cur.since)} (${formatDuration(cur.duration_s)})` : t('health.never_checked')),
        definition(t('health.last_check'), formatDateTime(cur.last_check_at)),
        definition(t('health.latency'), cur.latency_ms === null || cur.latency_ms === undefined ? t('value.none') : `${formatNumber(cur.latency_ms)} ms`),
        cur.live ? definition(t('health.live'), t('health.live_info', { fps: formatNumber(cur.live.fps, 1), when: formatDateTime(cur.live.last_frame_at) })) : null,
        cur.ward_name ? definition(t('field.ward_name'), cur.ward_name) : null,
      ),
      h('a', { href: cameraHref(code), class: 'health-camera-link' }, t('health.open_camera')),
      h('h3', { id: 'health-window-title' }, shownDay ? t('health.timeline_day', { day: formatDate(shownDay) }) : t('health.timeline')),
      dayPicker(shownDay),
      report.status === 'fulfilled' && report.value.cameras.length ? daySummary(report.value.cameras[0]) : null,
      healthTimeline(timelineShown),
      coverage.status === 'fulfilled'
        ? h('div', { class: 'health-coverage' }, h('h4', {}, t('health.footage')), coverageTimeline(coverage.value, [], { start: shownWindow.from, end: shownWindow.to }, () => {}))
        : null,
      h('h3', {}, t('health.snapshots')),
      snapshots.length
        ? h('ul', { class: 'health-snapshots' }, snapshots.map((check) => snapshotItem(code, check)))
        : h('p', { class: 'muted' }, t('health.no_snapshots')),
      h('h3', {}, t('health.reference')),
      referenceBox(code, cur),
    );
    replace(cameraBox, card);
    // The panel sits above the problems list: a camera picked far down the list must not open
    // out of sight.
    cameraBox.scrollIntoView({ block: 'start' });
  }

  function pickDay(next) {
    day = next ? routeDay(next) : null;
    if (day && day > today()) day = today();
    if (shown) showCamera(shown, { pan: false });
  }

  function dayPicker(current) {
    const latest = today();
    const input = h('input', { type: 'date', id: 'health-day-input', max: latest, value: current || '' });
    input.addEventListener('change', () => {
      if (input.value) pickDay(input.value);
    });
    return h(
      'div',
      { class: 'health-day-picker', role: 'group', 'aria-label': t('health.window') },
      h('button', { type: 'button', class: 'btn btn-small', id: 'health-prev-day', onclick: () => pickDay(addDays(current || latest, -1)) }, t('health.prev_day')),
      h('label', { class: 'visually-hidden', for: 'health-day-input' }, t('health.day_input')),
      input,
      h('button', { type: 'button', class: 'btn btn-small', id: 'health-next-day', disabled: !current || current >= latest, onclick: () => pickDay(addDays(current, 1)) }, t('health.next_day')),
      h('button', { type: 'button', class: 'btn btn-small', id: 'health-last-day', disabled: !current, onclick: () => pickDay(null) }, t('health.last_day')),
    );
  }

  function daySummary(row) {
    const pct = (value) => `${formatNumber(100 * (Number(value) || 0), 1)} %`;
    return h(
      'p',
      { class: 'health-day', id: 'health-day' },
      t('health.day_summary', {
        online: pct(row.share.online),
        offline: pct(row.share.offline),
        degraded: pct(row.share.degraded),
        recorded: pct(row.recorded_share),
        incidents: row.incidents,
        count: row.incidents, // "1 incident" in English
      }),
    );
  }

  function snapshotItem(code, check) {
    const when = formatDateTime(check.checked_at);
    return h(
      'li',
      { class: 'health-snapshot', dataset: { check: String(check.id) } },
      h('img', { src: check.snapshot, alt: t('health.snapshot_alt', { camera: code, when }), loading: 'lazy', width: '160', height: '90' }),
      h('span', { class: 'health-snapshot-when' }, when, check.reasons.length ? ` · ${reasonText(check.reasons)}` : ''),
      can('health:manage')
        ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => setReference(code, check.id) }, t('health.set_reference'))
        : null,
    );
  }

  function referenceBox(code, cur) {
    if (!cur.has_reference) return h('p', { class: 'muted', id: 'health-no-reference' }, t('health.no_reference'));
    const version = encodeURIComponent(cur.reference_set_at || '');
    return h(
      'div',
      { class: 'health-reference', id: 'health-reference' },
      h('img', { src: `/api/v1/cameras/${encodeURIComponent(code)}/health/reference?v=${version}`, alt: t('health.reference_alt', { camera: code }), width: '160', height: '90' }),
      h('p', { class: 'muted' }, t('health.reference_by', { who: cur.reference_set_by || '', when: formatDateTime(cur.reference_set_at) })),
      can('health:manage')
        ? h('button', { type: 'button', class: 'btn btn-small btn-danger', id: 'health-clear-reference', onclick: () => clearReference(code) }, t('health.clear_reference'))
        : null,
    );
  }

  async function setReference(code, checkId) {
    try {
      await request('PUT', `/cameras/${encodeURIComponent(code)}/health/reference`, { json: { check_id: checkId } });
      toast(t('health.reference_set'), 'success');
      await showCamera(code, { pan: false });
    } catch (error) {
      append(clear(errorSlot), errorBox(error));
    }
  }

  async function clearReference(code) {
    if (!(await confirmDialog(t('health.clear_reference_confirm', { camera: code }), { danger: true }))) return;
    try {
      await request('DELETE', `/cameras/${encodeURIComponent(code)}/health/reference`);
      toast(t('health.reference_cleared'), 'success');
      await showCamera(code, { pan: false });
    } catch (error) {
      append(clear(errorSlot), errorBox(error));
    }
  }

  function closeCamera() {
    shown = null;
    remember(null);
    clear(cameraBox);
  }

  async function load() {
    clear(errorSlot);
    let collection;
    try {
      collection = await getJson('/health/cameras', { format: 'geojson', status: WATCHED });
    } catch (error) {
      append(errorSlot, errorBox(error));
      return;
    }
    group.clearLayers();
    markers.clear();
    const features = (collection.features || []).filter((f) => f.geometry && f.geometry.type === 'Point');
    const list = [];
    for (const feature of features) {
      const p = feature.properties || {};
      const m = marker(feature);
      m.on('click', () => showCamera(p.camera, { pan: false }));
      markers.set(p.camera, m);
      list.push(m);
    }
    group.addLayers(list);
    replace(legendBox, h('h2', { class: 'visually-hidden' }, t('health.legend')), stateLegend(collection.counts || {}));
    updated.textContent = t('health.updated', { when: formatDateTime(collection.at) });
    // The API sorts problems first, longest lasting first.
    const problems = features.map((f) => f.properties).filter((p) => p.state !== 'online');
    replace(
      problemsBox,
      problems.length
        ? h('ol', { class: 'health-problems' }, problems.map((p) => problemItem(p, (code) => showCamera(code))))
        : h('p', { class: 'muted' }, t('health.no_problems')),
    );
    mapElement.dataset.cameras = String(features.length);
    mapElement.dataset.ready = 'true';
  }

  await load();
  if (query.camera) await showCamera(query.camera);
  section.dataset.ready = 'true';
  return () => map.remove();
}
