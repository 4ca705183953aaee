// The camera filter form shared by the list and the export links.
import { apiUrl } from './api.js';
import { h } from './dom.js';
import { enumLabel, t } from './i18n.js';
import { loadAreas } from './session.js';

export const FILTER_KEYS = ['q', 'ward', 'status', 'funding', 'consent', 'tag'];
const STATUSES = ['planned', 'active', 'maintenance', 'decommissioned'];
const FUNDINGS = ['social', 'state', 'private'];

/** Return the filter values present in a route query. */
export function filtersFrom(query) {
  const filters = {};
  for (const key of FILTER_KEYS) if (query[key]) filters[key] = query[key];
  return filters;
}

function select(id, label, options, value) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h(
      'select',
      { id, name: id.replace('filter-', '') },
      h('option', { value: '' }, t('value.any')),
      options.map(([optionValue, optionLabel]) =>
        h('option', { value: optionValue, selected: optionValue === value }, optionLabel),
      ),
    ),
  );
}

function areaList(data) {
  const items = Array.isArray(data) ? data : (data && data.items) || [];
  const today = new Date().toISOString().slice(0, 10);
  return items
    .filter((a) => (!a.level || a.level === 'ward') && (!a.valid_to || a.valid_to >= today))
    .sort((a, b) => a.name.localeCompare(b.name, 'vi'));
}

/** Return the filter form; `onSubmit(filters)` gets the non-empty values. */
export function filterForm(filters, onSubmit) {
  const wardField = select('filter-ward', t('list.ward'), [], filters.ward);
  loadAreas()
    .then((data) => {
      const selectEl = wardField.querySelector('select');
      for (const area of areaList(data)) {
        selectEl.append(h('option', { value: area.code, selected: area.code === filters.ward }, area.name));
      }
    })
    .catch(() => {
      // Without the area list the ward filter only offers "any"; the rest still works.
    });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': t('list.filters') },
    h(
      'div',
      { class: 'field field-wide' },
      h('label', { for: 'filter-q' }, t('list.q')),
      h('input', {
        id: 'filter-q',
        name: 'q',
        type: 'search',
        value: filters.q || '',
        placeholder: t('list.q_hint'),
        autocomplete: 'off',
      }),
    ),
    wardField,
    select('filter-status', t('status.label'), STATUSES.map((s) => [s, enumLabel('status', s)]), filters.status),
    select('filter-funding', t('field.funding'), FUNDINGS.map((f) => [f, enumLabel('funding', f)]), filters.funding),
    select(
      'filter-consent',
      t('field.consent'),
      [
        ['true', t('bool.true')],
        ['false', t('bool.false')],
      ],
      filters.consent,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'filter-tag' }, t('list.tag')),
      h('input', { id: 'filter-tag', name: 'tag', type: 'text', value: filters.tag || '' }),
    ),
    h(
      'div',
      { class: 'field field-buttons' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('list.apply')),
      h('button', { type: 'reset', class: 'btn' }, t('list.reset')),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = {};
    for (const [key, value] of new FormData(form)) if (String(value).trim()) values[key] = String(value).trim();
    onSubmit(values);
  });
  form.addEventListener('reset', () => window.setTimeout(() => onSubmit({}), 0));
  return form;
}

/** Return the export download link of a format for the given filters. */
export function exportHref(format, filters) {
  return apiUrl('/cameras/export', { ...filters, format });
}
