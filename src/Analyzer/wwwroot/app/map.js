// A world map in SVG: Natural Earth's land (vendored world-atlas, drawn with topojson-client) in an equirectangular
// projection (x = longitude, y = -latitude), a dataset's points, and a radius around a chosen point.

const SVG = 'http://www.w3.org/2000/svg';
let landPath = null;

async function land() {
  if (landPath) return landPath;
  if (!window.topojson) throw new Error('topojson-client did not load (/vendor/topojson-client.min.js)');
  const response = await fetch('/vendor/land-110m.json');
  const topology = await response.json();
  const geometry = window.topojson.feature(topology, topology.objects.land);
  const parts = [];
  for (const feature of geometry.features || [geometry]) {
    const shape = feature.geometry;
    const polygons = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates;
    for (const polygon of polygons) for (const ring of polygon) parts.push(ringPath(ring));
  }
  landPath = parts.join('');
  return landPath;
}

/** A ring as SVG path data; a jump across the antimeridian starts a new piece instead of a line across the map. */
function ringPath(ring) {
  let data = '';
  let previous = null;
  for (const [lon, lat] of ring) {
    const jump = previous === null || Math.abs(lon - previous) > 180;
    data += `${jump ? 'M' : 'L'}${lon.toFixed(2)},${(-lat).toFixed(2)}`;
    previous = lon;
  }
  return data + 'Z';
}

function svg(tag, attributes = {}) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** The points a radius of km around (lat, lon) reaches on a sphere, every 5 degrees of bearing. */
export function circlePoints(lat, lon, km) {
  const radius = 6371.0088;
  const distance = km / radius;
  const φ1 = lat * Math.PI / 180;
  const λ1 = lon * Math.PI / 180;
  const points = [];
  for (let bearing = 0; bearing <= 360; bearing += 5) {
    const θ = bearing * Math.PI / 180;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(distance) + Math.cos(φ1) * Math.sin(distance) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(distance) * Math.cos(φ1), Math.cos(distance) - Math.sin(φ1) * Math.sin(φ2));
    points.push([((λ2 * 180 / Math.PI + 540) % 360) - 180, φ2 * 180 / Math.PI]);
  }
  return points;
}

/**
 * Draws the map into container and returns { setPoints, showRadius, clearRadius }. onPick(lat, lon) is called when
 * the map is clicked.
 */
export async function worldMap(container, label, onPick) {
  const map = svg('svg', { viewBox: '-180 -90 360 180', class: 'world', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  map.append(svg('rect', { x: -180, y: -90, width: 360, height: 180, class: 'sea' }));
  for (let lon = -150; lon < 180; lon += 30) map.append(svg('line', { x1: lon, y1: -90, x2: lon, y2: 90, class: 'graticule' }));
  for (let lat = -60; lat < 90; lat += 30) map.append(svg('line', { x1: -180, y1: -lat, x2: 180, y2: -lat, class: 'graticule' }));
  map.append(svg('path', { d: await land(), class: 'land' }));
  const points = svg('path', { class: 'points', 'data-count': 0 });
  const radiusLayer = svg('g', { class: 'radius' });
  map.append(points, radiusLayer);
  map.addEventListener('click', event => {
    const box = map.getScreenCTM();
    if (!box) return;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(box.inverse());
    onPick(Math.round(-point.y * 1000) / 1000, Math.round(point.x * 1000) / 1000);
  });
  container.replaceChildren(map);
  return {
    element: map,
    setPoints(list) {
      // One path of tiny squares: thousands of points stay one DOM node.
      const size = list.length < 500 ? 2.4 : 0.6; // a few points must stay visible on a phone; thousands must not cover the land
      points.setAttribute('d', list.map(([lat, lon]) => `M${(lon - size / 2).toFixed(3)},${(-lat - size / 2).toFixed(3)}h${size}v${size}h-${size}z`).join(''));
      points.setAttribute('data-count', list.length);
    },
    showRadius(lat, lon, km, found) {
      radiusLayer.replaceChildren();
      const ring = circlePoints(lat, lon, km);
      radiusLayer.append(svg('path', { class: 'radius-area', d: ringPath(ring), 'data-km': km }));
      radiusLayer.append(svg('circle', { class: 'radius-centre', cx: lon, cy: -lat, r: 1.2 }));
      for (const [flat, flon] of found) radiusLayer.append(svg('circle', { class: 'found', cx: flon, cy: -flat, r: 0.9 }));
    },
    clearRadius() { radiusLayer.replaceChildren(); },
  };
}
