// Every request of the dashboard: same origin only, the bearer token kept in this module's memory (never in
// localStorage or a cookie: closing the tab signs out), problem+json answers turned into ApiError.

let token = null;
let signedInAs = null;
const unauthorizedListeners = [];

export function setSession(session) {
  token = session ? session.token : null;
  signedInAs = session;
}

export function session() {
  return signedInAs;
}

export function onUnauthorized(listener) {
  unauthorizedListeners.push(listener);
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

function headers(contentType) {
  const result = { Accept: 'application/json' };
  if (token) result.Authorization = `Bearer ${token}`;
  if (contentType) result['Content-Type'] = contentType;
  return result;
}

async function readAnswer(status, contentType, text, retryAfter) {
  let body = null;
  if (text && contentType && contentType.includes('json')) {
    try { body = JSON.parse(text); } catch { body = null; }
  } else if (text) {
    body = text;
  }
  if (status >= 200 && status < 300) return body;
  const problem = body && typeof body === 'object' ? body : { title: `HTTP ${status}`, detail: typeof body === 'string' ? body.slice(0, 300) : '' };
  if (status === 401) unauthorizedListeners.forEach(listener => listener());
  throw new ApiError(status, problem, retryAfter);
}

/** A JSON request; body is sent as JSON unless it is a string (sent as is with contentType). */
export async function api(method, path, body, contentType = 'application/json') {
  const init = { method, headers: headers(body === undefined ? null : contentType), credentials: 'omit' };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { title: 'The service cannot be reached', detail: String(e.message || e) });
  }
  return readAnswer(response.status, response.headers.get('Content-Type'), await response.text(), response.headers.get('Retry-After'));
}

export async function apiText(path) {
  const response = await fetch(path, { headers: { ...headers(null), Accept: 'text/plain' }, credentials: 'omit' });
  const text = await response.text();
  if (!response.ok) return readAnswer(response.status, response.headers.get('Content-Type'), text, null);
  return text;
}

/** Sends a file with XMLHttpRequest, whose upload events report progress (fetch has none): onProgress(fraction or null). */
export function upload(method, path, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, path);
    for (const [name, value] of Object.entries(headers(contentType))) request.setRequestHeader(name, value);
    request.upload.onprogress = event => onProgress(event.lengthComputable ? event.loaded / event.total : null);
    request.upload.onload = () => onProgress(1);
    request.onerror = () => reject(new ApiError(0, { title: 'The upload failed', detail: 'the connection to the service was lost' }));
    request.onload = () => {
      readAnswer(request.status, request.getResponseHeader('Content-Type'), request.responseText, request.getResponseHeader('Retry-After'))
        .then(resolve, reject);
    };
    request.send(file);
  });
}
