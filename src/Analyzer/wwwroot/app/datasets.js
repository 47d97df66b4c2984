// Datasets: the catalog with a CSV upload, and one dataset's page: columns, DDL, a map when it has coordinates,
// and its rows with filters, sort, pages, and edit/delete/restore.
import { api, apiText, upload } from './api.js';
import { announce, clear, emptyState, field, formatTime, h, problemBox, progressBar, showFieldErrors, table } from './dom.js';
import { worldMap } from './map.js';

const enc = encodeURIComponent;

export async function datasetsPage(main) {
  const list = h('div', { id: 'datasets-list' });
  clear(main, h('h1', {}, 'Datasets'), uploadCsvForm(),
    h('section', { 'aria-labelledby': 'catalog-title' }, h('h2', { id: 'catalog-title' }, 'Catalog'), list));
  const catalog = await api('GET', '/datasets');
  if (catalog.data.length === 0) {
    clear(list, emptyState('No datasets yet. Upload a CSV file above: the service infers a typed table from it.'));
    return;
  }
  clear(list, table('Datasets', ['Name', 'Rows', 'Columns', 'Updated'], catalog.data.map(d => h('tr', {},
    h('td', {}, h('a', { href: `#/datasets/${enc(d.name)}` }, d.name)),
    h('td', { class: 'num' }, d.row_count), h('td', { class: 'num' }, d.columns.length), h('td', {}, formatTime(d.updated_at))))));
}

function uploadCsvForm() {
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.dat,.txt,text/csv', required: true });
  const name = h('input', { name: 'name', placeholder: 'from the file name' });
  const header = h('input', { type: 'checkbox', name: 'header', checked: true });
  const columns = h('input', { name: 'columns', placeholder: 'a,b,c' });
  const nullMarker = h('input', { name: 'null', placeholder: '\\N' });
  const mode = h('select', { name: 'mode' }, ['create', 'replace', 'append'].map(m => h('option', { value: m }, m)));
  const progress = progressBar('Upload progress');
  const result = h('div');
  const form = h('form', { class: 'card', id: 'upload-csv', 'aria-labelledby': 'upload-csv-title' },
    h('h2', { id: 'upload-csv-title' }, 'Upload a CSV dataset'),
    h('div', { class: 'grid' },
      field('CSV file', file),
      field('Name', name, 'Letters, digits and _; the file name when empty.'),
      field('Columns', columns, 'Names for a file without a header, comma separated.'),
      field('Null marker', nullMarker, 'A cell that means "no value" (an empty cell always does).'),
      field('Mode', mode)),
    h('div', { class: 'field checkbox' }, header, h('label', { for: header.id || (header.id = 'csv-header') }, 'The first line is a header')),
    h('button', { type: 'submit' }, 'Upload CSV'),
    progress.element, result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clear(result);
    const chosen = file.files[0];
    if (!chosen) return;
    const query = new URLSearchParams();
    query.set('name', name.value.trim() || chosen.name.replace(/\.[^.]*$/, ''));
    query.set('header', header.checked ? 'true' : 'false');
    if (columns.value.trim()) query.set('columns', columns.value.trim());
    if (nullMarker.value) query.set('null', nullMarker.value);
    query.set('mode', mode.value);
    try {
      const answer = await upload('POST', `/datasets?${query}`, chosen, 'text/csv', fraction => progress.set(fraction));
      progress.done('stored');
      announce(`Dataset ${answer.data.name} stored: ${answer.data.row_count} rows.`);
      location.hash = `#/datasets/${enc(answer.data.name)}`;
    } catch (e) {
      progress.hide();
      showFieldErrors(form, e.problem && e.problem.errors);
      clear(result, problemBox(e));
    }
  });
  return form;
}

/** The coordinate columns the service names in the catalog entry (`"geo": {"lat": COL, "lon": COL}` or null). */
export function coordinateColumns(dataset) {
  const geo = dataset.geo;
  return geo && geo.lat && geo.lon ? { lat: geo.lat, lon: geo.lon } : null;
}

export async function datasetPage(main, name) {
  const dataset = (await api('GET', `/datasets/${enc(name)}`)).data;
  const coordinates = coordinateColumns(dataset);
  const state = { name, dataset, filters: [], orderBy: null, limit: 25, includeDeleted: false, pages: [], coordinates };
  const rowsSection = h('section', { class: 'card', 'aria-labelledby': 'rows-title' });
  const ddl = h('pre', { class: 'ddl', id: 'ddl' }, dataset.ddl);
  clear(main,
    h('p', {}, h('a', { href: '#/datasets' }, '← All datasets')),
    h('h1', {}, dataset.name),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Rows'), h('dd', { id: 'fact-rows' }, dataset.row_count)),
      h('div', {}, h('dt', {}, 'Columns'), h('dd', {}, dataset.columns.length)),
      h('div', {}, h('dt', {}, 'Updated'), h('dd', {}, formatTime(dataset.updated_at)))),
    h('details', { class: 'card' }, h('summary', {}, 'Columns and DDL'),
      table('Columns', ['Column', 'Type', 'Nullable'], dataset.columns.map(c => h('tr', {}, h('td', {}, c.name), h('td', {}, c.type), h('td', {}, c.nullable ? 'yes' : 'no')))),
      ddl),
    coordinates ? await mapSection(state) : null,
    rowsSection);
  apiText(`/datasets/${enc(name)}/ddl`).then(text => { ddl.textContent = text; }, () => {});
  await showRows(rowsSection, state, null);
}

// ---- the map: every row's point, and the rows within a radius of a clicked point (GET rows?near=LAT,LON&within_km=KM)

async function mapSection(state) {
  const { lat: latColumn, lon: lonColumn } = state.coordinates;
  const holder = h('div', { class: 'map' });
  const lat = h('input', { name: 'lat', inputmode: 'decimal', value: '64.13' });
  const lon = h('input', { name: 'lon', inputmode: 'decimal', value: '-21.94' });
  const km = h('input', { name: 'within_km', inputmode: 'decimal', value: '300' });
  const found = h('div', { id: 'near-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'near', id: 'near-form', 'aria-label': 'Rows near a point' },
    field('Latitude', lat), field('Longitude', lon), field('Radius (km)', km),
    h('button', { type: 'submit' }, 'Find rows nearby'));
  const section = h('section', { class: 'card', 'aria-labelledby': 'map-title' },
    h('h2', { id: 'map-title' }, 'Map'),
    h('p', { class: 'hint' }, `Points from ${latColumn}, ${lonColumn}. Click the map (or type a point) to find the rows within the radius.`),
    holder, form, found);
  let map;
  const search = async () => {
    const point = [Number(lat.value), Number(lon.value)];
    const radius = Number(km.value);
    clear(found, h('p', { class: 'muted' }, 'Searching…'));
    try {
      const answer = await api('GET', `/datasets/${enc(state.name)}/rows?near=${enc(`${point[0]},${point[1]}`)}&within_km=${enc(km.value)}&limit=1000`);
      const rows = answer.data;
      map.showRadius(point[0], point[1], radius, rows.map(r => [r[latColumn], r[lonColumn]]));
      const label = state.dataset.columns.find(c => c.type === 'text')?.name;
      clear(found, h('p', { id: 'near-count' }, `${rows.length}${answer.next ? '+' : ''} ${rows.length === 1 && !answer.next ? 'row' : 'rows'} within ${radius} km of ${point[0]}, ${point[1]}`),
        rows.length ? h('ol', { class: 'near-list', 'aria-label': 'Nearest first' }, rows.slice(0, 50).map(r => h('li', { 'data-row': r.id, 'data-km': r.distance_km },
          h('span', { class: 'near-name' }, label ? r[label] ?? `row ${r.id}` : `row ${r.id}`),
          typeof r.distance_km === 'number' ? h('span', { class: 'near-km' }, `${r.distance_km.toFixed(1)} km`) : null))) : null,
        rows.length > 50 ? h('p', { class: 'muted' }, `The nearest 50 are listed; every one is drawn on the map.`) : null);
    } catch (e) {
      map.showRadius(point[0], point[1], radius, []);
      clear(found, problemBox(e));
    }
  };
  form.addEventListener('submit', event => { event.preventDefault(); search(); });
  map = await worldMap(holder, `Map of ${state.name}`, (pickedLat, pickedLon) => {
    lat.value = pickedLat;
    lon.value = pickedLon;
    search();
  });
  loadPoints(state, map, latColumn, lonColumn).catch(e => section.append(problemBox(e)));
  return section;
}

async function loadPoints(state, map, latColumn, lonColumn) {
  const points = [];
  let url = `/datasets/${enc(state.name)}/rows?limit=10000`;
  while (url && points.length < 50000) {
    const page = await api('GET', url);
    for (const row of page.data) {
      const lat = row[latColumn];
      const lon = row[lonColumn];
      if (typeof lat === 'number' && typeof lon === 'number' && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) points.push([lat, lon]);
    }
    url = page.next;
  }
  map.setPoints(points);
}

// ---- rows

function rowsUrl(state, after) {
  const query = new URLSearchParams();
  query.set('limit', String(state.limit));
  for (const [column, value] of state.filters) query.append(column, value);
  if (state.orderBy) query.set('order_by', state.orderBy);
  if (state.includeDeleted) query.set('include_deleted', 'true');
  return `/datasets/${enc(state.name)}/rows?${query}${after ? `&${after}` : ''}`;
}

async function showRows(section, state, url) {
  const current = url || rowsUrl(state);
  let page;
  const editor = h('div', { id: 'row-editor' });
  const controls = rowControls(section, state);
  try {
    page = await api('GET', current);
  } catch (e) {
    clear(section, h('h2', { id: 'rows-title' }, 'Rows'), controls, problemBox(e));
    return;
  }
  const columns = ['id', ...state.dataset.columns.map(c => c.name)];
  const sortHeader = column => {
    const sorted = state.orderBy === column ? 'ascending' : state.orderBy === `-${column}` ? 'descending' : 'none';
    return h('th', { scope: 'col', 'aria-sort': sorted },
      h('button', { type: 'button', class: 'sort', onclick: () => {
        state.orderBy = state.orderBy === column ? `-${column}` : column;
        state.pages = [];
        showRows(section, state, null);
      } }, column, sorted === 'ascending' ? ' ▲' : sorted === 'descending' ? ' ▼' : ''));
  };
  const rows = page.data.map(row => h('tr', { 'data-row': row.id, class: row.deleted_at ? 'deleted' : null },
    columns.map(column => h('td', { class: typeof row[column] === 'number' ? 'num' : null }, row[column] === null ? '∅' : String(row[column]))),
    h('td', { class: 'row-actions' },
      row.deleted_at
        ? h('button', { type: 'button', class: 'small', 'aria-label': `Restore row ${row.id}`, onclick: () => rowAction(section, state, current, 'POST', `${row.id}/restore`, `Row ${row.id} restored.`) }, 'Restore')
        : [
          h('button', { type: 'button', class: 'small', 'aria-label': `Edit row ${row.id}`, onclick: () => editRow(editor, section, state, current, row) }, 'Edit'),
          h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete row ${row.id}`, onclick: () => rowAction(section, state, current, 'DELETE', `${row.id}`, `Row ${row.id} deleted (restore it with "include deleted").`) }, 'Delete'),
        ])));
  clear(section,
    h('h2', { id: 'rows-title' }, 'Rows'),
    controls,
    page.data.length === 0
      ? emptyState(state.filters.length ? 'No rows match these filters.' : 'This dataset has no rows.')
      : table(`Rows of ${state.name}`, [...columns.map(sortHeader), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))], rows, 'rows'),
    h('nav', { class: 'pager', 'aria-label': 'Row pages' },
      h('button', { type: 'button', disabled: state.pages.length === 0, onclick: () => showRows(section, state, state.pages.pop()) }, '← Previous'),
      h('button', { type: 'button', disabled: !page.next, onclick: () => { state.pages.push(current); showRows(section, state, page.next); } }, 'Next →')),
    editor);
}

function rowControls(section, state) {
  const column = h('select', { name: 'filter_column' }, state.dataset.columns.map(c => h('option', { value: c.name }, c.name)));
  const value = h('input', { name: 'filter_value', placeholder: 'value (empty: no value)' });
  const deleted = h('input', { type: 'checkbox', id: 'include-deleted', checked: state.includeDeleted });
  const limit = h('select', { name: 'limit' }, [25, 50, 100, 500].map(n => h('option', { value: n, selected: n === state.limit }, n)));
  const refresh = () => { state.pages = []; showRows(section, state, null); };
  deleted.addEventListener('change', () => { state.includeDeleted = deleted.checked; refresh(); });
  limit.addEventListener('change', () => { state.limit = Number(limit.value); refresh(); });
  const form = h('form', { class: 'filters', id: 'filter-form', 'aria-label': 'Filter rows' },
    field('Column', column), field('Equals', value), field('Rows per page', limit),
    h('button', { type: 'submit' }, 'Add filter'),
    h('div', { class: 'field checkbox' }, deleted, h('label', { for: 'include-deleted' }, 'Include deleted rows')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    state.filters.push([column.value, value.value]);
    refresh();
  });
  const chips = h('ul', { class: 'chips', 'aria-label': 'Active filters' }, state.filters.map(([c, v], index) => h('li', {},
    `${c} = ${v === '' ? '∅' : v}`,
    h('button', { type: 'button', class: 'small', 'aria-label': `Remove filter ${c}`, onclick: () => { state.filters.splice(index, 1); refresh(); } }, '×'))));
  return h('div', {}, form, state.filters.length ? chips : null);
}

async function rowAction(section, state, current, method, path, message) {
  try {
    await api(method, `/datasets/${enc(state.name)}/rows/${path}`);
    announce(message);
    await showRows(section, state, current);
  } catch (e) {
    section.prepend(problemBox(e));
  }
}

function editRow(editor, section, state, current, row) {
  const inputs = state.dataset.columns.map(c => {
    const input = c.type === 'boolean'
      ? h('select', { name: c.name }, ['', 'true', 'false'].map(v => h('option', { value: v, selected: String(row[c.name] ?? '') === v }, v || '∅')))
      : h('input', { name: c.name, value: row[c.name] ?? '', inputmode: c.type === 'integer' || c.type === 'float' ? 'decimal' : null });
    return [c, input];
  });
  const result = h('div');
  const form = h('form', { class: 'card editor', id: 'row-form', 'aria-labelledby': 'row-editor-title', novalidate: true },
    h('h3', { id: 'row-editor-title' }, `Edit row ${row.id}`),
    h('div', { class: 'grid' }, inputs.map(([c, input]) => field(`${c.name} (${c.type}${c.nullable ? ', may be empty' : ''})`, input))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save'), h('button', { type: 'button', class: 'secondary', onclick: () => clear(editor) }, 'Cancel')),
    result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const patch = {};
    for (const [c, input] of inputs) {
      const value = typed(c, input.value);
      if (value !== row[c.name]) patch[c.name] = value;
    }
    if (Object.keys(patch).length === 0) {
      clear(result, h('p', { class: 'muted' }, 'Nothing changed.'));
      return;
    }
    try {
      await api('PATCH', `/datasets/${enc(state.name)}/rows/${row.id}`, patch);
      announce(`Row ${row.id} saved.`);
      await showRows(section, state, current);
    } catch (e) {
      const unplaced = showFieldErrors(form, e.problem && e.problem.errors);
      clear(result, problemBox(e.problem ? { ...e, problem: { ...e.problem, errors: Object.keys(unplaced).length ? unplaced : undefined } } : e));
    }
  });
  clear(editor, form);
  inputs[0][1].focus();
}

/** A field's text as the column's JSON value: empty is null, numbers and booleans as such when they parse; else the text (the service names what is wrong). */
function typed(column, text) {
  if (text === '') return null;
  if ((column.type === 'integer' || column.type === 'float') && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  if (column.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}
