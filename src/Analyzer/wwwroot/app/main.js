// The dashboard's router: #/imports, #/imports/ID, #/datasets, #/datasets/NAME and #/signin. Pages render into <main>.
import { api, ApiError, onUnauthorized, session, setSession } from './api.js';
import { announce, clear, field, h, problemBox } from './dom.js';
import { importsPage, importPage } from './imports.js';
import { datasetsPage, datasetPage } from './datasets.js';

const main = document.getElementById('main');
let authRequired = null; // unknown until the first probe
let afterSignIn = '#/imports';
let rendering = 0;

const routes = [
  [/^#\/imports\/(\d+)$/, match => importPage(main, match[1])],
  [/^#\/imports$/, () => importsPage(main)],
  [/^#\/datasets\/([^/]+)$/, match => datasetPage(main, decodeURIComponent(match[1]))],
  [/^#\/datasets$/, () => datasetsPage(main)],
  [/^#\/signin$/, () => signInPage()],
];

async function probeAuth() {
  try {
    await api('GET', '/imports?limit=1');
    authRequired = false;
  } catch (e) {
    authRequired = e instanceof ApiError && e.status === 401;
  }
}

async function render() {
  const ticket = ++rendering;
  if (authRequired === null) await probeAuth();
  const hash = location.hash || '#/imports';
  if (authRequired && !session() && hash !== '#/signin') {
    afterSignIn = hash;
    location.hash = '#/signin';
    return;
  }
  showSession();
  const route = routes.find(([pattern]) => pattern.test(hash));
  if (!route) {
    location.hash = '#/imports';
    return;
  }
  for (const link of document.querySelectorAll('nav a')) {
    const current = hash.startsWith(link.getAttribute('href'));
    if (current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  clear(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    await route[1](hash.match(route[0]));
  } catch (e) {
    if (ticket === rendering) clear(main, h('h1', {}, 'Something went wrong'), problemBox(e));
  }
  if (ticket === rendering) main.focus({ preventScroll: true });
}

function showSession() {
  const place = document.getElementById('session');
  const current = session();
  if (!current) {
    clear(place, authRequired ? h('a', { href: '#/signin' }, 'Sign in') : h('span', { class: 'muted' }, 'open service'));
    return;
  }
  clear(place,
    h('span', {}, `${current.name} · ${current.scopes.join(' ')}`),
    h('button', { type: 'button', class: 'link', onclick: () => { setSession(null); announce('Signed out.'); location.hash = '#/signin'; } }, 'Sign out'));
}

function signInPage() {
  if (authRequired === false) {
    clear(main, h('h1', {}, 'Sign in'), h('p', {}, 'This service runs without authentication: no sign-in is needed.'),
      h('p', {}, h('a', { href: '#/imports' }, 'Go to the imports')));
    return;
  }
  const name = h('input', { name: 'name', autocomplete: 'username', required: true, maxlength: '64' });
  const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6', required: true });
  const result = h('div');
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', {}, 'Your name and the 6-digit code your authenticator app shows for Analyzer.'),
    field('Name', name),
    field('Code', code),
    h('button', { type: 'submit' }, 'Sign in'),
    result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clear(result);
    try {
      const answer = await api('POST', '/auth/sessions', { name: name.value.trim(), code: code.value.trim() });
      setSession({ name: name.value.trim(), token: answer.data.token, scopes: answer.data.scopes, expiresAt: answer.data.expires_at });
      announce(`Signed in as ${name.value.trim()} until ${answer.data.expires_at.slice(11, 16)} UTC.`);
      location.hash = !afterSignIn || afterSignIn === '#/signin' ? '#/imports' : afterSignIn;
    } catch (e) {
      clear(result, problemBox(e));
      code.value = '';
      code.focus();
    }
  });
  clear(main, form);
  name.focus();
}

onUnauthorized(() => {
  if (session()) {
    setSession(null);
    announce('Your session has ended: sign in again.', 'error');
  }
  authRequired = true;
  if (location.hash !== '#/signin') {
    afterSignIn = location.hash || '#/imports';
    location.hash = '#/signin';
  }
});

window.addEventListener('hashchange', render);
render();
