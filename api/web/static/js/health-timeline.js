// One camera's states over a window: online, degraded, offline and unknown stretches on a track.
// Bars are positioned with CSSOM (el.style), which the Content-Security-Policy allows.
import { h } from './dom.js';
import { formatDateTime, formatNumber } from './format.js';
import { enumLabel, t } from './i18n.js';

export const STATES = ['online', 'degraded', 'offline', 'unknown'];
const AXIS_TICKS = 4;

function percent(value, start, length) {
  return Math.max(0, Math.min(100, ((value - start) / length) * 100));
}

function clock(ms) {
  return formatDateTime(new Date(ms).toISOString()).split(' ')[1].slice(0, 5);
}

/** Return the reasons of a state as words ("black, frozen"). */
export function reasonText(reasons) {
  return (reasons || []).map((reason) => enumLabel('health.reason', reason)).join(', ');
}

function stateBar(interval, start, length) {
  const state = STATES.includes(interval.state) ? interval.state : 'unknown';
  const reasons = reasonText(interval.reasons);
  const label = `${enumLabel('health.state', state)}${reasons ? ` (${reasons})` : ''}: ${formatDateTime(interval.start)} – ${formatDateTime(interval.end)}`;
  const bar = h('div', { class: `hl-span hl-${state}`, title: label, dataset: { state } });
  const left = percent(Date.parse(interval.start), start, length);
  const width = percent(Date.parse(interval.end), start, length) - left;
  bar.style.left = `${left}%`;
  // Short outages stay visible at the scale of a day.
  bar.style.width = `max(${state === 'online' || state === 'unknown' ? 0 : 3}px, ${Math.max(width, 0)}%)`;
  return bar;
}

/** Return the state timeline of a CameraTimeline ({camera, start, end, intervals}). */
export function healthTimeline(timeline) {
  const start = Date.parse(timeline.start);
  const end = Date.parse(timeline.end);
  const length = Math.max(end - start, 1);
  const intervals = timeline.intervals || [];
  const track = h(
    'div',
    { class: 'hl-track', role: 'img', 'aria-label': t('health.timeline_of', { camera: timeline.camera }) },
    intervals.map((interval) => stateBar(interval, start, length)),
  );
  const axis = h('div', { class: 'tl-axis', 'aria-hidden': 'true' });
  for (let i = 0; i <= AXIS_TICKS; i += 1) {
    const mark = h('span', { class: 'tl-axis-mark' }, clock(start + (length * i) / AXIS_TICKS));
    mark.style.left = `${(100 * i) / AXIS_TICKS}%`;
    axis.append(mark);
  }
  // The same stretches as a list, for screen readers and for reading exact times.
  const list = h(
    'ol',
    { class: 'hl-list' },
    intervals
      .filter((interval) => interval.state !== 'online')
      .slice(-12)
      .reverse()
      .map((interval) =>
        h(
          'li',
          { dataset: { state: interval.state } },
          h('span', { class: `health-dot health-${interval.state}`, 'aria-hidden': 'true' }),
          ' ',
          h('strong', {}, enumLabel('health.state', interval.state)),
          interval.reasons && interval.reasons.length ? ` (${reasonText(interval.reasons)})` : '',
          ` ${formatDateTime(interval.start)} – ${interval.ongoing ? t('health.ongoing') : formatDateTime(interval.end)}`,
        ),
      ),
  );
  return h('div', { class: 'health-timeline', dataset: { camera: timeline.camera } }, track, axis, list);
}

/**
 * Return a thin state band of a CameraTimeline, for laying beside another timeline of the same
 * window (each stretch carries its state, reasons and times as a tooltip).
 */
export function stateBand(timeline) {
  const start = Date.parse(timeline.start);
  const end = Date.parse(timeline.end);
  const length = Math.max(end - start, 1);
  return h(
    'div',
    { class: 'hl-track hl-band', role: 'img', 'aria-label': `${t('health.timeline_of', { camera: timeline.camera })}: ${stateSummary(timeline)}`, dataset: { camera: timeline.camera } },
    (timeline.intervals || []).map((interval) => stateBar(interval, start, length)),
  );
}

/** Return the share of a timeline's window in each state and the reasons seen in each. */
export function stateShares(timeline) {
  const length = Math.max(Date.parse(timeline.end) - Date.parse(timeline.start), 1);
  const shares = {};
  for (const state of STATES) shares[state] = { share: 0, reasons: [] };
  for (const interval of timeline.intervals || []) {
    const state = STATES.includes(interval.state) ? interval.state : 'unknown';
    shares[state].share += (Date.parse(interval.end) - Date.parse(interval.start)) / length;
    for (const reason of interval.reasons || []) {
      if (!shares[state].reasons.includes(reason)) shares[state].reasons.push(reason);
    }
  }
  // Time after "now" in a window reaching into the future is not covered by any stretch.
  const covered = STATES.reduce((sum, state) => sum + shares[state].share, 0);
  if (covered < 1) shares.unknown.share += 1 - covered;
  return shares;
}

/** Return one line such as "online 92 %, offline 8 % (unreachable)", largest share first. */
export function stateSummary(timeline) {
  const shares = stateShares(timeline);
  return STATES.filter((state) => shares[state].share >= 0.0005)
    .sort((a, b) => shares[b].share - shares[a].share)
    .map((state) => {
      const { share, reasons } = shares[state];
      const pct = share > 0.999 ? '100' : formatNumber(100 * share, share < 0.01 ? 1 : 0);
      return t('health.share', { state: t(`health.state_lower.${state}`), pct }) + (reasons.length ? ` (${reasonText(reasons)})` : '');
    })
    .join(', ');
}

/** Return the legend of the state colours. */
export function stateLegend(counts) {
  return h(
    'ul',
    { class: 'legend health-legend' },
    STATES.map((state) =>
      h(
        'li',
        { dataset: { state } },
        h('span', { class: `health-dot health-${state}`, 'aria-hidden': 'true' }),
        ' ',
        enumLabel('health.state', state),
        counts ? h('span', { class: 'health-count' }, ` (${counts[state] || 0})`) : null,
      ),
    ),
  );
}
