// Draw a search area on a Leaflet map with plain clicks: each click adds a corner; "Close" makes it
// a polygon; "Clear" starts over; "Use the map view" takes the visible box.
import { h, replace } from './dom.js';
import { t } from './i18n.js';

const L = window.L;
const MIN_CORNERS = 3;

/**
 * Attach drawing to `map`. `initial` is a list of [lat, lon] corners (a closed area) or null;
 * `onChange(area)` receives the GeoJSON polygon (lon/lat) or null.
 * Returns {element (the buttons and status), area(), clear()}.
 */
export function areaDraw(map, { initial = null, onChange = () => {} } = {}) {
  const layer = L.layerGroup().addTo(map);
  let corners = initial ? initial.map(([lat, lon]) => L.latLng(lat, lon)) : [];
  let closed = Boolean(initial && initial.length >= MIN_CORNERS);
  const status = h('p', { class: 'hint', id: 'area-status', 'aria-live': 'polite' });
  const closeButton = h('button', { type: 'button', class: 'btn btn-small', id: 'area-close', onclick: close }, t('area.close'));
  const clearButton = h('button', { type: 'button', class: 'btn btn-small', id: 'area-clear', onclick: clearArea }, t('area.clear'));
  const viewButton = h('button', { type: 'button', class: 'btn btn-small', id: 'area-view', onclick: useView }, t('area.use_view'));
  // Without a mouse: move the map with the arrow keys, then add its centre as a corner.
  const centreButton = h('button', { type: 'button', class: 'btn btn-small', id: 'area-centre', onclick: () => addCorner(map.getCenter()) }, t('area.add_centre'));
  const element = h(
    'div',
    { class: 'area-draw' },
    h('p', { class: 'hint' }, t('area.hint')),
    h('div', { class: 'area-buttons' }, centreButton, closeButton, clearButton, viewButton),
    status,
  );

  function area() {
    if (!closed) return null;
    const ring = corners.map((c) => [Number(c.lng.toFixed(7)), Number(c.lat.toFixed(7))]);
    ring.push(ring[0]);
    return { type: 'Polygon', coordinates: [ring] };
  }

  function draw() {
    layer.clearLayers();
    if (closed) {
      L.polygon(corners, { className: 'area-shape', interactive: false }).addTo(layer);
    } else if (corners.length > 1) {
      L.polyline(corners, { className: 'area-line', interactive: false }).addTo(layer);
    }
    for (const corner of corners) {
      L.circleMarker(corner, { radius: 5, className: 'area-corner', interactive: false }).addTo(layer);
    }
    closeButton.disabled = closed || corners.length < MIN_CORNERS;
    clearButton.disabled = corners.length === 0;
    let text;
    if (closed) text = t('area.closed', { count: corners.length });
    else if (corners.length === 0) text = t('area.empty');
    else text = t('area.drawing', { count: corners.length, min: MIN_CORNERS });
    replace(status, text);
    element.dataset.state = closed ? 'closed' : corners.length ? 'drawing' : 'empty';
  }

  function changed() {
    draw();
    onChange(area());
  }

  function close() {
    if (corners.length < MIN_CORNERS) return;
    closed = true;
    changed();
  }

  function clearArea() {
    corners = [];
    closed = false;
    changed();
  }

  function useView() {
    const bounds = map.getBounds();
    corners = [bounds.getSouthWest(), bounds.getSouthEast(), bounds.getNorthEast(), bounds.getNorthWest()];
    closed = true;
    changed();
  }

  function addCorner(latlng) {
    // A corner after closing starts a new area.
    if (closed) {
      corners = [];
      closed = false;
    }
    corners.push(latlng);
    changed();
  }

  map.on('click', (event) => addCorner(event.latlng));
  map.getContainer().classList.add('map-picking');
  draw();
  return {
    element,
    area,
    corners: () => (closed ? corners.map((c) => [c.lat, c.lng]) : null),
    clear: clearArea,
  };
}
