// The one fetch wrapper every page uses: JSON in and out, same-origin cookie,
// the server's own words on errors, the lock screen on 423, and the
// "session ended" note on 401.

const handlers = { locked: () => {}, noSession: () => {} };

/** Set what happens on a 423 (locked) or a 401 (no session). */
export function setApiHandlers(h) {
  Object.assign(handlers, h);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const FALLBACK = {
  400: 'Something in the form has the wrong form.',
  404: 'That could not be found. It may have been removed.',
  409: 'Another Attune command is using the journal. Please try again in a moment.',
  413: 'That is too large to send.',
  500: 'The journal could not do that.',
};

async function errorFrom(res) {
  let code = 'error';
  let message = '';
  try {
    const body = await res.json();
    code = body.error || code;
    message = body.message || '';
  } catch (_) {
    // Not JSON: fall back to words below.
  }
  if (res.status === 401) {
    message = "This page's session ended; run `attune ui` again.";
  } else if (res.status === 423) {
    message = message || 'Attune is locked.';
  }
  if (!message) message = FALLBACK[res.status] || `The request did not work (status ${res.status}).`;
  return new ApiError(res.status, code, message);
}

/**
 * Call the API. `body` is sent as JSON unless `raw` is set, when it is sent
 * as application/octet-stream. Answers the parsed JSON, or null for 204.
 */
export async function api(method, path, body, { raw = false, signal } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    if (raw) {
      init.headers['Content-Type'] = 'application/octet-stream';
      init.body = body;
    } else {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Attune on this computer did not answer. Is `attune ui` still running?');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 423) handlers.locked();
    if (res.status === 401) handlers.noSession(err.message);
    throw err;
  }
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  return JSON.parse(text);
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);
