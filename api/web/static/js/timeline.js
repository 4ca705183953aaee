// One camera's timeline in a time window: recorded spans, gaps (no footage), unknown time, event ticks.
// Bars are positioned with CSSOM (el.style), which the Content-Security-Policy allows.
import { h } from './dom.js';
import { formatDateTime } from './format.js';
import { t } from './i18n.js';

const KINDS = ['recorded', 'gap', 'unknown'];
const AXIS_TICKS = 4;

function percent(value, start, length) {
  return Math.max(0, Math.min(100, ((value - start) / length) * 100));
}

/** Return the time of day (HH:MM) of an instant in the display zone. */
function clock(ms) {
  return formatDateTime(new Date(ms).toISOString()).split(' ')[1].slice(0, 5);
}

function spanBar(span, start, length) {
  const kind = KINDS.includes(span.kind) ? span.kind : 'unknown';
  const from = Date.parse(span.start);
  const to = Date.parse(span.end);
  const label = `${t(`events.span.${kind}`)}: ${formatDateTime(span.start)} – ${formatDateTime(span.end)}`;
  const bar = h(
    'div',
    { class: `tl-span tl-${kind}`, title: span.reason ? `${label} (${span.reason})` : label, dataset: { kind } },
    // A gap says so in words, not only by colour.
    kind === 'gap' ? h('span', { class: 'tl-gap-text' }, t('events.span.gap')) : null,
  );
  const left = percent(from, start, length);
  const width = percent(to, start, length) - left;
  bar.style.left = `${left}%`;
  // Short recordings stay visible at the scale of a long window.
  bar.style.width = `max(${kind === 'unknown' ? 0 : 3}px, ${Math.max(width, 0)}%)`;
  return bar;
}

function eventTick(event, start, length, onEvent) {
  const label = `${event.camera} ${formatDateTime(event.start)} · ${t('events.score')} ${Number(event.score).toFixed(2)}`;
  const tick = h('button', {
    type: 'button',
    class: 'tl-event',
    title: label,
    'aria-label': label,
    dataset: { event: event.id },
    onclick: () => onEvent(event),
  });
  const left = percent(Date.parse(event.start), start, length);
  const width = percent(Date.parse(event.end), start, length) - left;
  tick.style.left = `${left}%`;
  tick.style.width = `max(4px, ${Math.max(width, 0)}%)`;
  return tick;
}

/**
 * Return the timeline of one camera: `coverage` is a CoverageRead, `events` that camera's events,
 * `window` {start, end} as ISO strings, `onEvent(event)` is called when an event tick is chosen.
 */
export function timeline(coverage, events, window, onEvent) {
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  const length = Math.max(end - start, 1);
  const track = h(
    'div',
    { class: 'tl-track', role: 'group', 'aria-label': t('events.timeline_of', { camera: coverage.camera }) },
    (coverage.spans || []).map((span) => spanBar(span, start, length)),
    events.map((event) => eventTick(event, start, length, onEvent)),
  );
  const axis = h('div', { class: 'tl-axis', 'aria-hidden': 'true' });
  for (let i = 0; i <= AXIS_TICKS; i += 1) {
    const mark = h('span', { class: 'tl-axis-mark' }, clock(start + (length * i) / AXIS_TICKS));
    mark.style.left = `${(100 * i) / AXIS_TICKS}%`;
    axis.append(mark);
  }
  return h('div', { class: 'timeline', dataset: { camera: coverage.camera } }, track, axis);
}

/** Return the legend of the timeline's colours. */
export function timelineLegend() {
  return h(
    'ul',
    { class: 'tl-legend' },
    KINDS.map((kind) => h('li', {}, h('span', { class: `tl-swatch tl-${kind}`, 'aria-hidden': 'true' }), t(`events.span.${kind}`))),
    h('li', {}, h('span', { class: 'tl-swatch tl-swatch-event', 'aria-hidden': 'true' }), t('events.legend.event')),
  );
}
