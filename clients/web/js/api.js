// api.js - calls to kompasd's /v1 API with the session's bearer token.
// Every failure becomes an ApiError carrying the RFC 9457 problem.

const TOKEN_KEY = 'kompas.token';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  // Field errors by field name: { field: message }.
  get fields() {
    const out = {};
    for (const e of this.problem.errors || []) out[e.field] = e.message || e.code;
    return out;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(v) {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  me: null,
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// Call method path with an optional JSON body; resolves with the parsed JSON
// (or text for non-JSON answers, null for 204). Rejects with ApiError.
// ifMatch: the version read (an ETag) a change must still find.
// onHeaders(headers) sees the answer's headers (for its ETag).
export async function api(method, path, body, { accept, ifMatch, onHeaders } = {}) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (accept) headers.Accept = accept;
  if (ifMatch) headers['If-Match'] = ifMatch;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { title: 'network', detail: null, code: 'network' });
  }
  const ct = res.headers.get('content-type') || '';
  if (!res.ok) {
    let problem = null;
    if (ct.includes('json')) problem = await res.json().catch(() => null);
    if (res.status === 401 && path !== '/v1/sessions') onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  if (onHeaders) onHeaders(res.headers);
  if (res.status === 204) return null;
  if (ct.includes('json')) return res.json();
  return res.text();
}

export const get = (p) => api('GET', p);
export const post = (p, b = {}) => api('POST', p, b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

// A single resource with its version: { data, etag } (etag for ifMatch).
export async function getVersioned(p) {
  let etag = null;
  const data = await api('GET', p, undefined, { onHeaders: (hs) => { etag = hs.get('etag'); } });
  return { data, etag };
}

// A merge patch that must find the version read (409/412 otherwise).
export const patchVersioned = (p, b, etag) => api('PATCH', p, b, { ifMatch: etag || undefined });

// Build a path with query parameters, leaving out empty ones.
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// Every item of a keyset-paged list, following `next` up to max items.
export async function all(path, max = 1000) {
  const items = [];
  let next = path;
  while (next && items.length < max) {
    const page = await get(next);
    items.push(...page.items);
    next = page.next;
  }
  return items;
}
