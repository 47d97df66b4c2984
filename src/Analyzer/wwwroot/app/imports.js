// Imports: the list with an upload, and one import's page: birthdays and age charts, courses by channel, demand, citizens with an edit form, deletion.
import { api, upload } from './api.js';
import { announce, clear, emptyState, field, formatTime, h, problemBox, progressBar, showFieldErrors, table } from './dom.js';
import { barChart, horizontalBarChart, rangeChart } from './charts.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const PAGE_SIZE = 20;

export async function importsPage(main) {
  const list = h('div', { id: 'imports-list' });
  clear(main,
    h('h1', {}, 'Imports'),
    uploadImportForm(),
    h('section', { 'aria-labelledby': 'imports-title' }, h('h2', { id: 'imports-title' }, 'Stored imports'), list));
  await showImports(list, '/imports?limit=50', true);
}

async function showImports(list, url, first) {
  const page = await api('GET', url);
  if (first && page.data.length === 0) {
    clear(list, emptyState('No imports yet. Upload a JSON file of citizens above ({"citizens": [...]}, as POST /imports takes it).'));
    return;
  }
  const rows = page.data.map(entry => h('tr', {},
    h('td', {}, h('a', { href: `#/imports/${entry.import_id}` }, `Import ${entry.import_id}`)),
    h('td', {}, formatTime(entry.created_at)),
    h('td', { class: 'num' }, entry.citizens),
    h('td', { class: 'num' }, entry.towns),
    h('td', { class: 'num' }, entry.version)));
  if (first) {
    clear(list, table('Stored imports, newest first', ['Import', 'Stored', 'Citizens', 'Towns', 'Version'], rows, 'imports'));
  } else {
    list.querySelector('tbody').append(...rows);
  }
  list.querySelector('.more')?.remove();
  if (page.next) {
    list.append(h('button', { type: 'button', class: 'more', onclick: () => showImports(list, page.next, false) }, 'Show older imports'));
  }
}

function uploadImportForm() {
  const file = h('input', { type: 'file', name: 'file', accept: '.json,application/json', required: true });
  const progress = progressBar('Upload progress');
  const result = h('div');
  const form = h('form', { class: 'card', id: 'upload-import', 'aria-labelledby': 'upload-import-title' },
    h('h2', { id: 'upload-import-title' }, 'Upload an import'),
    field('Import file (JSON)', file, 'Every citizen with its nine fields; nothing is stored unless all of it is valid.'),
    h('button', { type: 'submit' }, 'Upload import'),
    progress.element, result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clear(result);
    if (!file.files[0]) return;
    try {
      const answer = await upload('POST', '/imports', file.files[0], 'application/json', fraction => progress.set(fraction));
      progress.done('stored');
      announce(`Import ${answer.data.import_id} stored.`);
      location.hash = `#/imports/${answer.data.import_id}`;
    } catch (e) {
      progress.hide();
      clear(result, problemBox(e));
    }
  });
  return form;
}

export async function importPage(main, importId) {
  const summary = await api('GET', `/imports/${importId}`);
  const state = { importId, citizens: [], page: 0 };
  const sections = {
    summary: h('section', { 'aria-labelledby': 'summary-title' }),
    birthdays: h('section', { class: 'card', 'aria-labelledby': 'birthdays-title' }),
    ages: h('section', { class: 'card', 'aria-labelledby': 'ages-title' }),
    courses: h('section', { class: 'card', id: 'courses-panel', 'aria-labelledby': 'courses-title' }),
    demand: h('section', { class: 'card', id: 'demand-panel', 'aria-labelledby': 'demand-title' }),
    citizens: h('section', { class: 'card', 'aria-labelledby': 'citizens-title' }),
    danger: deleteSection(importId),
  };
  clear(main, h('p', {}, h('a', { href: '#/imports' }, '← All imports')), h('h1', {}, `Import ${importId}`), Object.values(sections));
  showSummary(sections.summary, summary.data);
  const demand = demandPanel(sections.demand, importId);
  const reload = async () => {
    const fresh = await api('GET', `/imports/${importId}`);
    showSummary(sections.summary, fresh.data);
    await Promise.all([showBirthdays(sections.birthdays, state), showAges(sections.ages, importId), showCourses(sections.courses, importId), demand.refresh()]);
  };
  state.reload = reload;
  await Promise.all([showBirthdays(sections.birthdays, state), showAges(sections.ages, importId), showCitizens(sections.citizens, state),
    showCourses(sections.courses, importId), demand.refresh()]);
}

function showSummary(section, data) {
  clear(section,
    h('h2', { id: 'summary-title', class: 'visually-hidden' }, 'Summary'),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Stored'), h('dd', {}, formatTime(data.created_at))),
      h('div', {}, h('dt', {}, 'Citizens'), h('dd', { id: 'fact-citizens' }, data.citizens)),
      h('div', {}, h('dt', {}, 'Towns'), h('dd', {}, data.towns)),
      h('div', {}, h('dt', {}, 'Version'), h('dd', { id: 'fact-version' }, data.version))),
    data.town_citizens.length ? h('p', { class: 'muted' }, data.town_citizens.map(t => `${t.town}: ${t.citizens}`).join(' · ')) : null);
}

async function showBirthdays(section, state) {
  const answer = await api('GET', `/imports/${state.importId}/citizens/birthdays`);
  const byMonth = MONTHS.map((_, index) => answer.data[String(index + 1)] || []);
  const presents = byMonth.map(buyers => buyers.reduce((sum, buyer) => sum + buyer.presents, 0));
  const detail = h('div', { id: 'month-detail', 'aria-live': 'polite' });
  const showMonth = index => {
    const names = new Map(state.citizens.map(c => [c.citizen_id, c.name]));
    const buyers = byMonth[index];
    clear(detail, h('h3', {}, `${MONTHS[index]}: ${presents[index]} presents`),
      buyers.length === 0
        ? emptyState('Nobody buys presents this month.')
        : table(`Buyers in ${MONTHS[index]}`, ['Citizen', 'Name', 'Presents'], buyers.map(buyer => h('tr', {},
          h('td', { class: 'num' }, buyer.citizen_id), h('td', {}, names.get(buyer.citizen_id) ?? ''), h('td', { class: 'num' }, buyer.presents)))));
  };
  const canvas = h('canvas', { id: 'birthdays-chart', role: 'img', 'aria-label': `Presents per month: ${presents.map((p, i) => `${MONTHS[i]} ${p}`).join(', ')}` });
  clear(section,
    h('h2', { id: 'birthdays-title' }, 'Birthdays: presents per month'),
    h('p', { class: 'hint' }, 'Click a bar, or choose a month below, to see who buys presents then.'),
    h('div', { class: 'chart' }, canvas),
    h('div', { class: 'months', role: 'group', 'aria-label': 'Months' },
      MONTHS.map((month, index) => h('button', { type: 'button', 'data-month': index + 1, 'data-presents': presents[index], onclick: () => showMonth(index) },
        `${month.slice(0, 3)} ${presents[index]}`))),
    detail);
  barChart(canvas, MONTHS.map(m => m.slice(0, 3)), presents, 'Presents', index => showMonth(index));
}

async function showAges(section, importId) {
  const answer = await api('GET', `/imports/${importId}/towns/stat/percentile/age`);
  const towns = answer.data;
  clear(section, h('h2', { id: 'ages-title' }, 'Ages by town: percentiles 50, 75 and 99'));
  if (towns.length === 0) {
    section.append(emptyState('No citizens, so no ages.'));
    return;
  }
  const canvas = h('canvas', { id: 'ages-chart', role: 'img', 'aria-label': 'Age percentiles per town, as ranges from p50 to p99' });
  const holder = h('div', { class: 'chart' }, canvas);
  holder.style.height = `${Math.max(200, 26 * towns.length + 90)}px`; // a bar per town, readable on a phone too
  section.append(holder,
    table('Age percentiles per town', ['Town', ...['p50', 'p75', 'p99'].map(p => h('th', { scope: 'col', class: 'num' }, p))], towns.map(t => h('tr', {},
      h('td', {}, t.town), h('td', { class: 'num' }, t.p50), h('td', { class: 'num' }, t.p75), h('td', { class: 'num' }, t.p99)))));
  rangeChart(canvas, towns.map(t => t.town), towns);
}

// ---- Courses by channel (GET /imports/{id}/citizens/courses) and demand (GET /imports/{id}/stat/demand), docs/api.md 5a and 5b.

/** The courses answer as chart rows: per channel ("" is no channel) its buyers and their total, in the answer's order. */
export function courseTotals(data) {
  return Object.entries(data).map(([channel, buyers]) => ({
    channel,
    label: channel === '' ? '(no channel)' : channel,
    buyers,
    total: buyers.reduce((sum, buyer) => sum + buyer.courses, 0),
  }));
}

async function showCourses(section, importId) {
  const answer = await api('GET', `/imports/${importId}/citizens/courses`);
  const channels = courseTotals(answer.data);
  clear(section, h('h2', { id: 'courses-title' }, 'Courses by channel'),
    h('p', { class: 'hint' }, 'Each citizen buys a course for each distinct relative or friend; the bars add them up per advertising channel.'));
  if (channels.length === 0) {
    section.append(emptyState('No citizens, so no courses.'));
    return;
  }
  const canvas = h('canvas', { id: 'courses-chart', role: 'img', 'aria-label': `Courses per channel: ${channels.map(c => `${c.label} ${c.total}`).join(', ')}` });
  const holder = h('div', { class: 'chart' }, canvas);
  holder.style.height = `${Math.max(160, 34 * channels.length + 70)}px`; // a bar per channel: many channels stay readable
  section.append(holder,
    table('Courses per channel', ['Channel', h('th', { scope: 'col', class: 'num' }, 'Courses'), h('th', { scope: 'col', class: 'num' }, 'Buyers'), 'Courses per buyer (citizen: courses)'],
      channels.map(c => h('tr', { 'data-channel': c.channel },
        h('td', {}, c.label), h('td', { class: 'num' }, c.total), h('td', { class: 'num' }, c.buyers.length),
        h('td', { class: 'buyers' }, c.buyers.length ? c.buyers.map(b => `${b.citizen_id}: ${b.courses}`).join(', ') : '—'))),
      'courses'));
  horizontalBarChart(canvas, channels.map(c => c.label), channels.map(c => c.total), 'Courses');
}

const DEMAND_KEYS = [['town', 'Town'], ['age_group', 'Age group'], ['channel', 'Channel']];
const DEFAULT_AGE_GROUPS = '0-17,18-24,25-34,35-44,45-54,55-64,65-';

/** The demand form and table; refresh() asks again with the form's current choices (after an edit too). */
function demandPanel(section, importId) {
  const boxes = DEMAND_KEYS.map(([key, label]) => {
    const box = h('input', { type: 'checkbox', name: 'by', value: key, checked: true, id: `demand-by-${key}` });
    return h('label', { class: 'check', for: box.id }, box, ` ${label}`);
  });
  const ageGroups = h('input', { name: 'age_groups', value: DEFAULT_AGE_GROUPS, spellcheck: 'false' });
  const result = h('div', { id: 'demand-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'demand-form', id: 'demand-form', 'aria-label': 'Demand rows', novalidate: true },
    h('fieldset', { class: 'field' }, h('legend', {}, 'Rows by'), h('div', { class: 'checks' }, boxes)),
    field('Age groups', ageGroups, 'FROM-TO in full years, ascending, comma separated; the last may be open (65-).'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show demand')));
  clear(section, h('h2', { id: 'demand-title' }, 'Demand by town, age group and channel'), form, result);
  const refresh = async () => {
    const by = [...form.querySelectorAll('input[name=by]:checked')].map(box => box.value);
    const query = new URLSearchParams({ by: by.join(',') });
    if (by.includes('age_group')) query.set('age_groups', ageGroups.value.trim());
    try {
      const answer = await api('GET', `/imports/${importId}/stat/demand?${query}`);
      showFieldErrors(form, null);
      showDemand(result, by, answer.data);
    } catch (e) {
      if (!(e.status === 400)) throw e;
      const unplaced = showFieldErrors(form, e.problem && e.problem.errors);
      clear(result, problemBox({ ...e, problem: { ...e.problem, errors: Object.keys(unplaced).length ? unplaced : undefined } }));
    }
  };
  form.addEventListener('submit', event => {
    event.preventDefault();
    refresh().catch(e => clear(result, problemBox(e)));
  });
  return { refresh };
}

function showDemand(result, by, rows) {
  if (rows.length === 0) {
    clear(result, emptyState('No citizen falls into these groups.'));
    return;
  }
  const names = Object.fromEntries(DEMAND_KEYS);
  const total = key => rows.reduce((sum, row) => sum + row[key], 0);
  clear(result,
    table('Demand', [...by.map(key => names[key]), h('th', { scope: 'col', class: 'num' }, 'Citizens'), h('th', { scope: 'col', class: 'num' }, 'Courses')],
      rows.map(row => h('tr', { 'data-key': by.map(key => row[key] ?? '').join('|') },
        by.map(key => h('td', {}, key === 'channel' && row.channel === null ? '(no channel)' : row[key])),
        h('td', { class: 'num' }, row.citizens), h('td', { class: 'num' }, row.courses))),
      'demand'),
    h('p', { class: 'muted', id: 'demand-total' }, `${rows.length} rows · ${total('citizens')} citizens · ${total('courses')} courses`));
}

async function showCitizens(section, state) {
  const answer = await api('GET', `/imports/${state.importId}/citizens`);
  state.citizens = answer.data.sort((a, b) => a.citizen_id - b.citizen_id);
  const editor = h('div', { id: 'citizen-editor' });
  const body = h('div');
  clear(section, h('h2', { id: 'citizens-title' }, `Citizens (${state.citizens.length})`), body, editor);
  const renderPage = () => {
    if (state.citizens.length === 0) {
      clear(body, emptyState('This import has no citizens.'));
      return;
    }
    const pages = Math.ceil(state.citizens.length / PAGE_SIZE);
    state.page = Math.min(state.page, pages - 1);
    const shown = state.citizens.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
    const extended = hasChannelsAndFriends(state.citizens);
    clear(body,
      table('Citizens', ['Id', 'Name', 'Gender', 'Birth date', 'Town', 'Street', 'Building', 'Apt.', 'Relatives', ...(extended ? ['Friends', 'Channel'] : []), ''],
        shown.map(c => h('tr', { 'data-citizen': c.citizen_id },
          h('td', { class: 'num' }, c.citizen_id), h('td', {}, c.name), h('td', {}, c.gender), h('td', {}, c.birth_date),
          h('td', {}, c.town), h('td', {}, c.street), h('td', {}, c.building), h('td', { class: 'num' }, c.apartment),
          h('td', {}, c.relatives.join(', ')),
          extended ? [h('td', { class: 'friends' }, (c.friends || []).join(', ')), h('td', { class: 'channel' }, c.channel ?? '—')] : null,
          h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Edit citizen ${c.citizen_id}`,
            onclick: () => editCitizen(editor, state, c, renderPage) }, 'Edit')))), 'citizens'),
      pages > 1 ? h('nav', { class: 'pager', 'aria-label': 'Citizen pages' },
        h('button', { type: 'button', disabled: state.page === 0, onclick: () => { state.page -= 1; renderPage(); } }, '← Previous'),
        h('span', {}, `page ${state.page + 1} of ${pages}`),
        h('button', { type: 'button', disabled: state.page >= pages - 1, onclick: () => { state.page += 1; renderPage(); } }, 'Next →')) : null);
  };
  state.renderPage = renderPage;
  renderPage();
}

const EDITABLE = ['name', 'gender', 'birth_date', 'town', 'street', 'building', 'apartment', 'relatives'];
const EXTENDED = ['friends', 'channel'];
const ID_LISTS = ['relatives', 'friends'];

/** An import that names friends or a channel anywhere is read back with both keys on every citizen (docs/api.md 1). */
export function hasChannelsAndFriends(citizens) {
  return citizens.some(c => 'channel' in c || 'friends' in c);
}

function editCitizen(editor, state, citizen, renderPage) {
  const inputs = {
    name: h('input', { name: 'name', value: citizen.name }),
    gender: h('select', { name: 'gender' }, ['male', 'female'].map(g => h('option', { value: g, selected: g === citizen.gender }, g))),
    birth_date: h('input', { name: 'birth_date', value: citizen.birth_date, placeholder: 'DD.MM.YYYY' }),
    town: h('input', { name: 'town', value: citizen.town }),
    street: h('input', { name: 'street', value: citizen.street }),
    building: h('input', { name: 'building', value: citizen.building }),
    apartment: h('input', { name: 'apartment', value: citizen.apartment, inputmode: 'numeric' }),
    relatives: h('input', { name: 'relatives', value: citizen.relatives.join(', ') }),
    friends: h('input', { name: 'friends', value: (citizen.friends || []).join(', ') }),
    channel: h('input', { name: 'channel', value: citizen.channel ?? '', maxlength: '200' }),
  };
  const editable = hasChannelsAndFriends(state.citizens) ? [...EDITABLE, ...EXTENDED] : EDITABLE;
  const labels = { name: 'Name', gender: 'Gender', birth_date: 'Birth date (DD.MM.YYYY)', town: 'Town', street: 'Street', building: 'Building',
    apartment: 'Apartment', relatives: 'Relatives (citizen ids, comma separated)', friends: 'Friends (citizen ids, comma separated)',
    channel: 'Advertising channel (empty: none)' };
  const result = h('div');
  const form = h('form', { class: 'card editor', id: 'citizen-form', 'aria-labelledby': 'editor-title', novalidate: true },
    h('h3', { id: 'editor-title' }, `Edit citizen ${citizen.citizen_id}`),
    h('div', { class: 'grid' }, editable.map(name => field(labels[name], inputs[name]))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', onclick: () => clear(editor) }, 'Cancel')),
    result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clear(result);
    const patch = {};
    for (const name of editable) {
      const value = readField(name, inputs[name].value);
      const before = ID_LISTS.includes(name) ? [...(citizen[name] || [])].sort((a, b) => a - b) : citizen[name] ?? null;
      if (JSON.stringify(value) !== JSON.stringify(before)) patch[name] = value;
    }
    if (Object.keys(patch).length === 0) {
      clear(result, h('p', { class: 'muted' }, 'Nothing changed.'));
      return;
    }
    try {
      const answer = await api('PATCH', `/imports/${state.importId}/citizens/${citizen.citizen_id}`, patch);
      announce(`Citizen ${citizen.citizen_id} saved.`);
      clear(editor);
      const fresh = await api('GET', `/imports/${state.importId}/citizens`);
      state.citizens = fresh.data.sort((a, b) => a.citizen_id - b.citizen_id);
      renderPage();
      await state.reload();
      return answer;
    } catch (e) {
      const unplaced = showFieldErrors(form, e.problem && e.problem.errors);
      const shown = e.problem ? { ...e, problem: { ...e.problem, errors: Object.keys(unplaced).length ? unplaced : undefined } } : e;
      clear(result, problemBox(shown));
    }
  });
  clear(editor, form);
  inputs.name.focus();
}

/**
 * The value a field sends: apartment as a number when it is one, relatives and friends as lists of numbers, an empty
 * channel as null; else the text as typed (the service names what is wrong).
 */
function readField(name, text) {
  if (name === 'apartment') return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  if (name === 'channel') return text.trim() === '' ? null : text;
  if (ID_LISTS.includes(name)) {
    const parts = text.split(/[\s,]+/).filter(Boolean);
    return parts.map(part => (/^\d+$/.test(part) ? Number(part) : part)).sort((a, b) => a - b);
  }
  return text;
}

function deleteSection(importId) {
  const area = h('div');
  const start = h('button', { type: 'button', class: 'danger', id: 'delete-import', onclick: () => confirmStep() }, 'Delete this import');
  const confirmStep = () => {
    const yes = h('button', { type: 'button', class: 'danger', id: 'confirm-delete', onclick: async () => {
      try {
        await api('DELETE', `/imports/${importId}`);
        announce(`Import ${importId} deleted.`);
        location.hash = '#/imports';
      } catch (e) {
        clear(area, problemBox(e), start);
      }
    } }, `Yes, delete import ${importId}`);
    clear(area, h('p', {}, 'This removes the import and all of its citizens for good.'), yes,
      h('button', { type: 'button', class: 'secondary', onclick: () => clear(area, start) }, 'Keep it'));
    yes.focus();
  };
  clear(area, start);
  return h('section', { class: 'card danger-zone', 'aria-labelledby': 'danger-title' }, h('h2', { id: 'danger-title' }, 'Delete'), area);
}
