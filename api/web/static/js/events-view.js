// The investigator's page: a time window and a drawn area → the cameras that cover it, their
// footage timeline (recorded / no footage / unknown), their motion events, thumbnails and clips.
import { ApiError, apiUrl, request } from './api.js';
import { areaDraw } from './area-draw.js';
import { append, cameraHref, clear, h, replace } from './dom.js';
import { errorBox } from './feedback.js';
import { stateBand, stateLegend, stateSummary } from './health-timeline.js';
import { displayTimeZone, formatDateTime, formatNumber } from './format.js';
import { t } from './i18n.js';
import { clusterGroup, cameraMarker, cameraPopup, createMap, loadCameraPoints } from './map-layers.js';
import { can, role, session } from './session.js';
import { timeline, timelineLegend } from './timeline.js';

const CASE_KEY = 'camreg.caseNumber';
const PAGE_SIZE = 200;
const PRE_ROLL_MS = 5000;
const POST_ROLL_MS = 5000;
const DEFAULT_HOURS = 1;
// Cameras per request of their health states (the API's cap).
const HEALTH_BATCH = 200;
// What the form held and the last results, kept while the page is open (a language switch
// re-renders the view) for the same user only.
const kept = { user: null, from: null, to: null, minScore: '', corners: null, last: null };

function keptFor(user) {
  if (kept.user !== user) Object.assign(kept, { user, from: null, to: null, minScore: '', corners: null, last: null });
  return kept;
}

function rememberedCase() {
  try {
    return window.sessionStorage.getItem(CASE_KEY) || '';
  } catch {
    return '';
  }
}

function rememberCase(value) {
  try {
    if (value) window.sessionStorage.setItem(CASE_KEY, value);
    else window.sessionStorage.removeItem(CASE_KEY);
  } catch {
    // Storage may be unavailable; the number is still sent with this search.
  }
}

/** Return the parts (year … second) of an instant in the display zone. */
function zoneParts(ms) {
  const parts = {};
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: displayTimeZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = part.value;
  return parts;
}

/** Return an instant as the value of a datetime-local input, in the display zone. */
function localInput(ms) {
  const p = zoneParts(ms);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** Return the display zone's UTC offset ('+07:00') at about the given local time. */
function zoneOffset(localValue) {
  const guess = Date.parse(`${localValue}:00Z`);
  if (Number.isNaN(guess)) return '+07:00';
  const p = zoneParts(guess);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const minutes = Math.round((asUtc - guess) / 60000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Return a datetime-local value ('2026-03-12T21:00') as ISO with the zone's offset, or null. */
function toIso(localValue) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(localValue || '')) return null;
  const withSeconds = localValue.length === 16 ? `${localValue}:00` : localValue;
  return `${withSeconds}${zoneOffset(localValue.slice(0, 16))}`;
}

function shiftIso(iso, ms) {
  return new Date(Date.parse(iso) + ms).toISOString();
}

/** Return the URL of a clip of an event with pre- and post-roll, carrying the case number. */
function clipUrl(event, caseNumber) {
  return apiUrl(`/cameras/${encodeURIComponent(event.camera)}/clip`, {
    from: shiftIso(event.start, -PRE_ROLL_MS),
    to: shiftIso(event.end, POST_ROLL_MS),
    case: caseNumber,
  });
}

/** Return a stored URL (thumbnail) with the case number added. */
function withCase(url, caseNumber) {
  if (!url || !caseNumber) return url;
  return `${url}${url.includes('?') ? '&' : '?'}case=${encodeURIComponent(caseNumber)}`;
}

function durationText(seconds) {
  const s = Math.round(Number(seconds) || 0);
  if (s < 60) return t('events.seconds', { n: formatNumber(s) });
  const h_ = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h_ ? t('events.hours_minutes', { h: h_, m }) : t('events.minutes', { m, s: s % 60 });
}

/** Return a clear message for a refused search, from the problem JSON. */
function problemMessage(error) {
  if (!(error instanceof ApiError)) return null;
  const detail = `${error.problem.detail || ''} ${error.fieldErrors.map((f) => f.message).join(' ')}`;
  if (/end must come after/.test(detail)) return t('events.error.order');
  const longer = /longer than (\d+) h/.exec(detail);
  if (longer) return t('events.error.too_long', { hours: longer[1] });
  if (error.status === 403) return t('events.error.forbidden');
  return null;
}

/** Return 'dd/mm/yyyy hh:mm:ss – hh:mm:ss', repeating the date only when the day changes. */
function timeRange(start, end) {
  const [startDay] = formatDateTime(start).split(' ');
  const [endDay, endTime] = formatDateTime(end).split(' ');
  return `${formatDateTime(start)} – ${endDay === startDay ? endTime : formatDateTime(end)}`;
}

function field(id, label, input, hint) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

/** Render the events page. */
export async function eventsView(section, { query = {} } = {}) {
  section.classList.add('view-events');
  append(section, h('h1', {}, t('events.title')));
  if (!can('event:read')) {
    append(section, h('div', { class: 'alert alert-error', role: 'alert' }, t('events.error.forbidden')));
    return null;
  }
  const now = Date.now();
  keptFor(session.me ? session.me.name || session.me.username : null);
  const caseRequired = role() === 'investigator';
  const caseInput = h('input', {
    id: 'ev-case',
    type: 'text',
    maxlength: '64',
    autocomplete: 'off',
    required: caseRequired,
    value: rememberedCase(),
    placeholder: 'HS-2026-0001',
  });
  const fromInput = h('input', { id: 'ev-from', type: 'datetime-local', required: true, value: kept.from || localInput(now - DEFAULT_HOURS * 3600_000) });
  const toInput = h('input', { id: 'ev-to', type: 'datetime-local', required: true, value: kept.to || localInput(now) });
  const scoreInput = h('input', { id: 'ev-min-score', type: 'number', min: '0', max: '1', step: '0.05', value: kept.minScore, placeholder: '0–1' });
  const formError = h('div', { id: 'ev-error', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ev-search' }, t('events.search'));
  const mapElement = h('div', { class: 'map events-map', id: 'events-map', role: 'region', 'aria-label': t('events.map_label') });
  const form = h(
    'form',
    { class: 'events-form card', novalidate: true },
    field('ev-case', caseRequired ? `${t('events.case')} *` : t('events.case'), caseInput, t('events.case_hint')),
    h('div', { class: 'events-times' }, field('ev-from', t('events.from'), fromInput), field('ev-to', t('events.to'), toInput)),
    h('p', { class: 'hint' }, t('events.zone_hint', { zone: displayTimeZone() })),
    field('ev-min-score', t('events.min_score'), scoreInput),
    formError,
  );
  const results = h('div', { class: 'events-results', id: 'ev-results', 'aria-live': 'polite' });
  const player = h('div', { class: 'events-player', id: 'ev-player' });
  const detailBox = h('div', { class: 'events-detail', id: 'ev-detail' });
  const layout = h('div', { class: 'events-layout' }, form, mapElement);
  const side = h('aside', { class: 'events-side', 'aria-label': t('events.side_label') }, player, detailBox);
  append(section, layout, h('div', { class: 'events-main' }, results, side));

  const center = query.lat && query.lon ? [Number(query.lat), Number(query.lon)] : session.config.map.center;
  const map = createMap(mapElement, { center, zoom: Number(query.zoom) || undefined, still: true });
  const cameras = clusterGroup().addTo(map);
  const found = window.L.layerGroup().addTo(map);
  const drawing = areaDraw(map, {
    initial: kept.corners,
    onChange: () => {
      kept.corners = drawing.corners();
    },
  });
  append(form, h('fieldset', { class: 'area-fieldset' }, h('legend', {}, t('events.area')), drawing.element), h('div', { class: 'field-buttons' }, submit));
  if (kept.corners && !query.lat) {
    map.fitBounds(window.L.latLngBounds(kept.corners), { padding: [30, 30] });
  }
  const points = {};
  loadCameraPoints()
    .then((collection) => {
      const markers = [];
      for (const feature of collection.features || []) {
        const p = feature.properties || {};
        if (!feature.geometry || feature.geometry.type !== 'Point') continue;
        const [lon, lat] = feature.geometry.coordinates;
        points[p.code] = { lat, lon, props: p };
        markers.push(cameraMarker(lat, lon, p).bindPopup(() => cameraPopup(p)));
      }
      cameras.addLayers(markers);
      if (last) renderResults();
      mapElement.dataset.ready = 'true';
    })
    .catch((error) => append(formError, errorBox(error)));

  let last = kept.last; // {body, headers, window, caseNumber, cameras, events, next, health}

  function showDetail(event) {
    for (const item of results.querySelectorAll('.event-item.selected')) item.classList.remove('selected');
    const item = results.querySelector(`.event-item[data-event="${CSS.escape(event.id)}"]`);
    if (item) {
      item.classList.add('selected');
      item.scrollIntoView({ block: 'nearest' });
    }
    replace(detailBox, h('p', { class: 'muted' }, t('app.loading')));
    request('GET', `/events/${encodeURIComponent(event.id)}`, { headers: last.headers })
      .then(({ data }) => {
        const rows = [
          [t('events.camera'), data.camera],
          [t('events.when'), `${formatDateTime(data.start)} – ${formatDateTime(data.end)}`],
          [t('events.duration'), durationText(data.duration_s)],
          [t('events.score'), `${Number(data.score).toFixed(2)} (${t('events.mean')} ${Number(data.mean_score).toFixed(2)})`],
          [t('events.area_fraction'), `${formatNumber(data.area_fraction * 100, 1)} %`],
          [t('events.zones'), data.zones.length ? data.zones.join(', ') : t('value.none')],
          [t('events.source'), data.source],
          [t('events.track'), t('events.track_seconds', { count: data.track.length })],
        ];
        replace(
          detailBox,
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'ev-detail-title' },
            h('div', { class: 'events-detail-head' },
              h('h2', { id: 'ev-detail-title' }, t('events.detail_title', { id: data.id })),
              h('button', { type: 'button', class: 'btn btn-small', onclick: () => clear(detailBox) }, t('events.close'))),
            h('dl', { class: 'events-dl' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
            h('div', { class: 'events-actions' }, playButton(event), downloadLink(event)),
          ),
        );
      })
      .catch((error) => replace(detailBox, errorBox(error)));
  }

  function play(event) {
    const url = clipUrl(event, last.caseNumber);
    const note = h('p', { class: 'field-error', id: 'ev-video-error', 'aria-live': 'polite' });
    const video = h('video', { id: 'ev-video', controls: true, autoplay: true, muted: true, playsinline: true, preload: 'auto', src: url });
    video.muted = true;
    video.addEventListener('error', () => {
      replace(note, t('events.clip_failed'));
    });
    replace(
      player,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'ev-player-title' },
        h('div', { class: 'events-detail-head' },
          h('h2', { id: 'ev-player-title' }, t('events.playing', { camera: event.camera, when: formatDateTime(event.start) })),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => clear(player) }, t('events.close'))),
        video,
        note,
        h('p', { class: 'hint' }, t('events.clip_hint'), ' ', downloadLink(event)),
      ),
    );
    player.scrollIntoView({ block: 'nearest' });
  }

  function playButton(event) {
    return h('button', { type: 'button', class: 'btn btn-small btn-primary ev-play', onclick: () => play(event) }, t('events.play'));
  }

  function downloadLink(event) {
    return h('a', { class: 'btn btn-small ev-download', href: clipUrl(event, last.caseNumber), download: '' }, t('events.download'));
  }

  function eventItem(event) {
    const thumb = event.thumbnail
      ? h('img', { class: 'ev-thumb', src: withCase(event.thumbnail, last.caseNumber), alt: t('events.thumb_alt', { camera: event.camera }), loading: 'lazy', width: '160', height: '90' })
      : h('div', { class: 'ev-thumb ev-thumb-none' }, t('events.no_thumbnail'));
    const name = (points[event.camera] && points[event.camera].props.name) || '';
    return h(
      'li',
      { class: 'event-item', dataset: { event: event.id, camera: event.camera } },
      thumb,
      h(
        'div',
        { class: 'ev-body' },
        h('p', { class: 'ev-camera' }, h('a', { href: cameraHref(event.camera) }, h('strong', {}, event.camera)), name ? ` ${name}` : ''),
        h('p', { class: 'ev-when' }, timeRange(event.start, event.end)),
        h(
          'p',
          { class: 'muted' },
          `${t('events.score')} ${Number(event.score).toFixed(2)} · ${durationText(event.duration_s)}`,
          event.zones && event.zones.length ? ` · ${t('events.zones')}: ${event.zones.join(', ')}` : '',
        ),
        h(
          'div',
          { class: 'events-actions' },
          playButton(event),
          downloadLink(event),
          h('button', { type: 'button', class: 'btn btn-small ev-detail', onclick: () => showDetail(event) }, t('events.details')),
        ),
      ),
    );
  }

  // Health states of the covering cameras over the search window: one request per 200 cameras,
  // not one per camera. Roles without the health permission simply see no band.
  async function loadHealth(current) {
    if (!can('health:read') || !current.cameras.length) return;
    const codes = current.cameras.map((c) => c.camera);
    const batches = [];
    for (let i = 0; i < codes.length; i += HEALTH_BATCH) batches.push(codes.slice(i, i + HEALTH_BATCH));
    try {
      const answers = await Promise.all(
        batches.map((camera) => request('GET', '/health/intervals', { params: { from: current.window.start, to: current.window.end, camera }, headers: current.headers })),
      );
      const health = {};
      for (const { data } of answers) for (const item of data.cameras || []) health[item.camera] = item;
      current.health = health;
    } catch (error) {
      current.health = { error };
    }
    // A newer search may have replaced the results meanwhile.
    if (last === current) renderResults();
  }

  function healthRow(code) {
    if (!last.health || last.health.error) return null;
    const item = last.health[code];
    if (!item) return null;
    return h(
      'div',
      { class: 'coverage-health', dataset: { camera: code } },
      h('p', { class: 'hint coverage-health-sum' }, t('events.health_summary', { summary: stateSummary(item) })),
      stateBand(item),
    );
  }

  function cameraRow(coverage) {
    const events = last.events.filter((e) => e.camera === coverage.camera);
    const fraction = Number(coverage.covered_fraction) || 0;
    return h(
      'li',
      { class: 'coverage-item', dataset: { camera: coverage.camera } },
      h(
        'div',
        { class: 'coverage-head' },
        h('a', { href: cameraHref(coverage.camera) }, h('strong', {}, coverage.camera)),
        ` ${coverage.name || ''}`,
        h('span', { class: fraction < 1 ? 'coverage-pct coverage-partial' : 'coverage-pct' }, t('events.covered', { pct: formatNumber(fraction * 100, 1) })),
      ),
      h(
        'p',
        { class: 'hint coverage-sums' },
        `${t('events.span.recorded')}: ${durationText(coverage.recorded_s)} · `,
        h('span', { class: coverage.gap_s > 0 ? 'coverage-gap-sum' : null }, `${t('events.span.gap')}: ${durationText(coverage.gap_s)}`),
        ` · ${t('events.span.unknown')}: ${durationText(coverage.unknown_s)} · ${t('events.event_count', { count: events.length })}`,
      ),
      healthRow(coverage.camera),
      timeline(coverage, events, last.window, showDetail),
    );
  }

  // Cameras with events or footage first; those with nothing known in the window last.
  function ranked(coverages) {
    const busy = new Set(last.events.map((e) => e.camera));
    const weight = (c) => (busy.has(c.camera) ? 0 : c.recorded_s > 0 || c.gap_s > 0 ? 1 : 2);
    return coverages.map((c, i) => [weight(c), i, c]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , c]) => c);
  }

  function healthLegend() {
    if (!last.health) return null;
    if (last.health.error) {
      return h('p', { class: 'hint', id: 'ev-health-error' }, t('events.health_failed'), ' ', last.health.error.problem?.detail || '');
    }
    return h('div', { class: 'ev-health-legend', id: 'ev-health-legend' }, h('span', { class: 'hint' }, t('events.health_legend')), stateLegend(null));
  }

  function renderResults() {
    found.clearLayers();
    for (const coverage of last.cameras) {
      const point = points[coverage.camera];
      if (point) cameraMarker(point.lat, point.lon, point.props, { highlight: true }).bindPopup(() => cameraPopup(point.props)).addTo(found);
    }
    const summary = t('events.summary', {
      cameras: last.cameras.length,
      events: last.events.length,
      from: formatDateTime(last.window.start),
      to: formatDateTime(last.window.end),
    });
    replace(
      results,
      h('p', { class: 'events-summary', id: 'ev-summary' }, summary),
      h('h2', {}, t('events.cameras_title')),
      last.cameras.length
        ? [
            timelineLegend(),
            healthLegend(),
            h('ol', { class: 'coverage-list', id: 'ev-cameras' }, ranked(last.cameras).map(cameraRow)),
          ]
        : h('p', { class: 'muted' }, t('events.no_cameras')),
      h('h2', {}, t('events.events_title')),
      last.events.length
        ? h('ol', { class: 'event-list', id: 'ev-events' }, last.events.map(eventItem))
        : h('p', { class: 'muted' }, t('events.no_events')),
      last.next
        ? h('button', { type: 'button', class: 'btn', id: 'ev-more', onclick: more }, t('events.more'))
        : null,
    );
  }

  async function more() {
    try {
      const { data } = await request('POST', '/events/search', { json: { ...last.body, cursor: last.next }, headers: last.headers });
      last.events = last.events.concat(data.events || []);
      last.next = data.next_cursor || null;
      renderResults();
    } catch (error) {
      append(results, errorBox(error));
    }
  }

  function setInvalid(input, invalid) {
    if (invalid) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  async function search(event) {
    event.preventDefault();
    clear(formError);
    for (const input of [caseInput, fromInput, toInput, scoreInput]) setInvalid(input, false);
    const caseNumber = caseInput.value.trim();
    const from = toIso(fromInput.value);
    const to = toIso(toInput.value);
    kept.from = fromInput.value;
    kept.to = toInput.value;
    kept.minScore = scoreInput.value;
    const problems = [];
    if (caseRequired && !caseNumber) {
      problems.push(t('events.error.case'));
      setInvalid(caseInput, true);
    }
    if (!from || !to) {
      problems.push(t('events.error.times'));
      setInvalid(from ? toInput : fromInput, true);
    }
    const area = drawing.area();
    if (!area) problems.push(t('events.error.area'));
    if (problems.length) {
      replace(formError, h('div', { class: 'alert alert-error', role: 'alert' }, h('ul', {}, problems.map((p) => h('li', {}, p)))));
      return;
    }
    rememberCase(caseNumber);
    const body = { from, to, area, limit: Math.min(PAGE_SIZE, session.config.max_page_size || PAGE_SIZE) };
    if (scoreInput.value !== '') body.min_score = Number(scoreInput.value);
    const headers = caseNumber ? { 'X-Case-Number': caseNumber } : {};
    submit.disabled = true;
    replace(results, h('p', { class: 'muted' }, t('app.loading')));
    try {
      const { data } = await request('POST', '/events/search', { json: body, headers });
      last = { body, headers, caseNumber, window: { start: from, end: to }, cameras: data.cameras || [], events: data.events || [], next: data.next_cursor || null, health: null };
      kept.last = last;
      clear(player);
      clear(detailBox);
      renderResults();
      loadHealth(last);
    } catch (error) {
      clear(results);
      const message = problemMessage(error);
      if (message && /to|from/.test(JSON.stringify(error.fieldErrors))) setInvalid(toInput, true);
      replace(formError, message ? h('div', { class: 'alert alert-error', role: 'alert' }, h('strong', {}, message), error.problem.detail ? h('p', {}, error.problem.detail) : null) : errorBox(error));
    } finally {
      submit.disabled = false;
    }
  }

  form.addEventListener('submit', search);
  if (last) renderResults();
  return () => map.remove();
}
