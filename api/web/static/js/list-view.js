// The camera list: filters in the address, cursor paging, export of the current filter.
import { getJson } from './api.js';
import { append, cameraHref, h, replace, routeHref } from './dom.js';
import { errorBox } from './feedback.js';
import { exportHref, filterForm, filtersFrom } from './filters.js';
import { formatBool, formatDateTime, formatNumber } from './format.js';
import { enumLabel, t } from './i18n.js';
import { navigate } from './router.js';

const PAGE_SIZES = [25, 50, 100];

function row(cam) {
  // The code is the keyboard link; a click anywhere else on the row opens the camera too.
  const open = (event) => {
    if (event.target.closest('a') || window.getSelection().toString()) return;
    navigate(cameraHref(cam.code));
  };
  return h(
    'tr',
    { class: 'clickable', onclick: open },
    h('td', {}, h('a', { href: cameraHref(cam.code), class: 'code' }, cam.code)),
    h('td', {}, cam.name),
    h('td', {}, cam.ward_name || cam.ward_code || t('value.none')),
    h('td', {}, h('span', { class: `badge badge-${cam.status}` }, enumLabel('status', cam.status))),
    h('td', {}, enumLabel('funding', cam.funding)),
    h('td', {}, formatBool(cam.consent)),
    h('td', { class: 'nowrap' }, formatDateTime(cam.updated_at)),
  );
}

function table(items) {
  const headers = ['field.code', 'field.name', 'field.ward_name', 'field.status', 'field.funding', 'field.consent', 'field.updated_at'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data camera-table' },
      h('thead', {}, h('tr', {}, headers.map((key) => h('th', { scope: 'col' }, t(key))))),
      h('tbody', {}, items.map(row)),
    ),
  );
}

function exportLinks(filters) {
  return h(
    'div',
    { class: 'export', role: 'group', 'aria-label': t('list.export') },
    h('span', { class: 'muted' }, `${t('list.export')}:`),
    ['csv', 'xlsx', 'geojson'].map((format) =>
      h('a', { class: 'btn btn-small', href: exportHref(format, filters), download: '' }, t(`list.export_${format}`)),
    ),
  );
}

/** Render the camera list. */
export async function listView(section, { query }) {
  const filters = filtersFrom(query);
  const size = PAGE_SIZES.includes(Number(query.size)) ? Number(query.size) : 50;
  const results = h('div', { class: 'list-results' });
  const cursors = [null];
  const sizePicker = h(
    'div',
    { class: 'page-size' },
    h('label', { for: 'page-size' }, t('list.page_size')),
    h(
      'select',
      { id: 'page-size', onchange: (e) => navigate(routeHref('/list', { ...filters, size: e.target.value })) },
      PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === size }, String(n))),
    ),
  );
  append(
    section,
    h('h1', {}, t('list.title')),
    filterForm(filters, (values) => navigate(routeHref('/list', { ...values, size: size === 50 ? null : size }))),
    h('div', { class: 'list-tools' }, exportLinks(filters), sizePicker),
    results,
  );

  async function load(pageIndex) {
    replace(results, h('p', { class: 'muted' }, t('app.loading')));
    const params = { ...filters, limit: size, cursor: cursors[pageIndex] };
    let page;
    try {
      page = await getJson('/cameras', params);
    } catch (error) {
      replace(results, errorBox(error, { onRetry: () => load(pageIndex) }));
      return;
    }
    const items = page.items || [];
    cursors[pageIndex + 1] = page.next_cursor || null;
    const first = pageIndex * size + 1;
    const last = pageIndex * size + items.length;
    let count;
    if (!items.length) count = t('list.empty');
    else if (typeof page.total === 'number') {
      count = t('list.count_total', { from: formatNumber(first), to: formatNumber(last), total: formatNumber(page.total) });
    } else if (!page.next_cursor) {
      count = t('list.count_total', { from: formatNumber(first), to: formatNumber(last), total: formatNumber(last) });
    } else {
      count = `${t('list.count', { from: formatNumber(first), to: formatNumber(last) })} ${t('list.count_more')}`;
    }
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': t('list.pages') },
      h('button', { type: 'button', class: 'btn', disabled: pageIndex === 0, onclick: () => load(pageIndex - 1) }, t('list.prev')),
      h('button', { type: 'button', class: 'btn', disabled: !page.next_cursor, onclick: () => load(pageIndex + 1) }, t('list.next')),
    );
    replace(results, 
      h('p', { class: 'count', id: 'list-count', 'aria-live': 'polite' }, count),
      items.length ? table(items) : null,
      items.length ? pager : null,
    );
  }

  await load(0);
}
