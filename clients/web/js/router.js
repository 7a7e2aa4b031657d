// router.js - hash routing: "#/requests/<id>?tab=x" -> a page function.

const routes = [];

// Register pattern ("/requests/:id") for render(params, query).
export function route(pattern, render, roles) {
  const names = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
  routes.push({ re, names, render, roles });
}

// The current route: { render, roles, params, query } or null.
export function current() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, qs] = raw.split('?');
  for (const r of routes) {
    const m = r.re.exec(p);
    if (!m) continue;
    const params = {};
    r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
    return { ...r, path: p, params, query: Object.fromEntries(new URLSearchParams(qs || '')) };
  }
  return null;
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// "#/queue?state=x" from a path and query object (empty values left out).
export function link(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}
