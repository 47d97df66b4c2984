// A small element builder and the pieces every page shares: problem boxes, field errors, progress, tables.

export function h(tag, attributes = {}, ...children) {
  const element = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.setAttribute('class', value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let uniqueId = 0;
export function id(prefix) {
  uniqueId += 1;
  return `${prefix}-${uniqueId}`;
}

/** A problem+json answer as a person reads it: its detail, and each field error on its own line. */
export function problemBox(error) {
  const problem = (error && error.problem) || { title: 'Something went wrong', detail: String(error && error.message || error) };
  const box = h('div', { class: 'problem', role: 'alert' },
    h('strong', {}, problem.title || 'Error', error && error.status ? ` (${error.status})` : ''),
    problem.detail ? h('p', {}, problem.detail) : null);
  if (problem.errors && typeof problem.errors === 'object') {
    box.append(h('ul', {}, Object.entries(problem.errors).map(([field, messages]) =>
      h('li', {}, h('code', {}, field), ': ', [].concat(messages).join('; ')))));
  }
  if (error && error.retryAfter) box.append(h('p', {}, `Try again in ${error.retryAfter} seconds.`));
  return box;
}

/** Shows the contract's messages next to the fields they name; returns the names it could not place. */
export function showFieldErrors(form, errors) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const unplaced = {};
  for (const [path, messages] of Object.entries(errors || {})) {
    const field = path.replace(/^\$\.?/, '').split(/[.[]/)[0];
    const input = field ? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
    if (!input) {
      unplaced[path] = messages;
      continue;
    }
    const messageId = `${input.id}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', messageId);
    input.closest('.field').append(h('p', { class: 'field-error', id: messageId }, [].concat(messages).join('; ')));
  }
  return unplaced;
}

export function field(label, input, hint) {
  const inputId = input.id || id('field');
  input.id = inputId;
  return h('div', { class: 'field' }, h('label', { for: inputId }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

export function progressBar(label) {
  const progress = h('progress', { max: '1', 'aria-label': label });
  const text = h('span', { class: 'progress-text' });
  const wrap = h('div', { class: 'progress', hidden: true }, progress, text);
  return {
    element: wrap,
    set(fraction) {
      wrap.hidden = false;
      if (fraction === null) {
        progress.removeAttribute('value');
        text.textContent = 'sending…';
      } else {
        progress.value = fraction;
        text.textContent = fraction >= 1 ? 'sent; the service is storing it…' : `${Math.round(fraction * 100)} %`;
      }
    },
    done(message) {
      progress.value = 1;
      text.textContent = message;
    },
    hide() { wrap.hidden = true; },
  };
}

export function table(caption, headers, rows, className = '') {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: className },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map(header => header instanceof Node ? header : h('th', { scope: 'col' }, header)))),
      h('tbody', {}, rows)));
}

export function emptyState(text, ...more) {
  return h('div', { class: 'empty' }, h('p', {}, text), ...more);
}

export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

const status = () => document.getElementById('status');

export function announce(text, kind = 'ok') {
  clear(status(), text ? h('p', { class: `status-${kind}` }, text) : null);
}
