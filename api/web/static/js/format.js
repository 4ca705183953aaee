// Show times in the display time zone, dates as written, numbers in the user's locale.
import { enumLabel, locale, t } from './i18n.js';

let timeZone = 'Asia/Ho_Chi_Minh';

/** Set the zone in which times are shown (from web-config.json). */
export function setTimeZone(zone) {
  timeZone = zone || timeZone;
}

/** Return the display time zone. */
export function displayTimeZone() {
  return timeZone;
}

/** Format an ISO timestamp in the display zone as dd/mm/yyyy hh:mm:ss (24-hour clock). */
export function formatDateTime(iso) {
  if (!iso) return t('value.none');
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  const parts = {};
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  for (const part of format.formatToParts(when)) parts[part.type] = part.value;
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Format a calendar date (YYYY-MM-DD) without shifting it through a time zone. */
export function formatDate(value) {
  if (!value) return t('value.none');
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
  if (!match) return String(value);
  const when = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale(), {
    timeZone: 'UTC',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(when);
}

/** Format a number with the locale's separators. */
export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || value === '') return t('value.none');
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(Number(value));
}

/** Format a latitude/longitude pair, latitude first. */
export function formatPoint(lat, lon) {
  return `${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}`;
}

/** Format a yes/no/unknown value. */
export function formatBool(value) {
  if (value === null || value === undefined) return t('value.unknown');
  return t(value ? 'bool.true' : 'bool.false');
}

const ENUM_FIELDS = { status: 'status', funding: 'funding', owner_kind: 'owner_kind' };
const DATE_FIELDS = new Set(['consent_since', 'installed_on']);
const TIME_FIELDS = new Set(['created_at', 'updated_at']);
const BOOL_FIELDS = new Set([
  'consent',
  'live_access',
  'has_credentials',
  'fov_explicit',
  'personal_data_hidden',
  'credentials_changed',
]);

/** Format any camera field's value for display (enums, dates, booleans, numbers, lists). */
export function formatField(name, value) {
  if (name in ENUM_FIELDS) return enumLabel(ENUM_FIELDS[name], value);
  if (BOOL_FIELDS.has(name)) return formatBool(value);
  if (value === null || value === undefined || value === '') return t('value.none');
  if (DATE_FIELDS.has(name)) return formatDate(value);
  if (TIME_FIELDS.has(name)) return formatDateTime(value);
  if (name === 'cost_vnd') return `${formatNumber(value)} ₫`;
  if (name === 'range_m' || name === 'distance_m') return `${formatNumber(value, 1)} m`;
  if (name === 'heading_deg' || name === 'fov_deg') return `${formatNumber(value, 1)}°`;
  if (name === 'lat' || name === 'lon') return Number(value).toFixed(6);
  if (name === 'expected_width' || name === 'expected_height') return `${value} px`;
  if (name === 'expected_fps') return `${formatNumber(value, 2)} fps`;
  if (name === 'fov_polygon') return t('value.polygon');
  if (Array.isArray(value)) return value.length ? value.join(', ') : t('value.none');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
