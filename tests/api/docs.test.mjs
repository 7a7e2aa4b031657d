// The documents that describe the API agree with the server:
// docs/openapi.yaml with the route table (`kompasd routes`), and
// docs/errors.md with the error table (`kompasd errors`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT, runKompasd } from './harness.mjs';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
// Every field an OpenAPI 3.1 Path Item may have; anything else is a typo.
const PATH_ITEM_FIELDS = new Set(['$ref', 'summary', 'description', 'servers', 'parameters',
  'get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function loadOpenapi() {
  const file = path.join(ROOT, 'docs/openapi.yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  assert.equal(typeof doc, 'object');
  assert.match(String(doc.openapi), /^3\.1\./, 'an OpenAPI 3.1 document');
  assert.equal(typeof doc.paths, 'object', 'the document has paths');
  return doc;
}

// Every operation as { method: 'GET', path, op, item }.
function operations(doc) {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const m of METHODS) if (item && item[m]) out.push({ method: m.toUpperCase(), path: p, op: item[m], item });
  }
  return out;
}

// Resolve a local $ref ("#/components/...") once.
function deref(doc, obj) {
  if (!obj || typeof obj.$ref !== 'string') return obj;
  assert.match(obj.$ref, /^#\//, `only local references: ${obj.$ref}`);
  let cur = doc;
  for (const part of obj.$ref.slice(2).split('/')) {
    cur = cur?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    assert.ok(cur !== undefined, `${obj.$ref} resolves`);
  }
  return cur;
}

async function routeTable() {
  const r = await runKompasd(['routes']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.ok(lines.length >= 8, 'the route table has the system and centre routes');
  return lines.map((l) => {
    const [method, pattern] = l.split('\t');
    assert.match(method, /^(GET|POST|PUT|PATCH|DELETE)$/, l);
    assert.match(pattern, /^\//, l);
    return `${method} ${pattern}`;
  });
}

test('the route table holds the routes the other tests use', async () => {
  const routes = await routeTable();
  for (const r of ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /v1', 'GET /v1/openapi.yaml',
    'GET /v1/centres', 'POST /v1/centres', 'GET /v1/centres/{id}']) {
    assert.ok(routes.includes(r), `${r} is in the route table`);
  }
  assert.equal(new Set(routes).size, routes.length, 'no route twice');
});

test('every route of `kompasd routes` is documented in docs/openapi.yaml', async () => {
  const routes = await routeTable();
  const documented = new Set(operations(loadOpenapi()).map((o) => `${o.method} ${o.path}`));
  const missing = routes.filter((r) => !documented.has(r));
  assert.deepEqual(missing, [], `routes missing from docs/openapi.yaml:\n  ${missing.join('\n  ')}`);
});

test('every operation in docs/openapi.yaml is a route of kompasd', async () => {
  const doc = loadOpenapi();
  const routes = new Set(await routeTable());
  const ops = operations(doc).map((o) => `${o.method} ${o.path}`);
  assert.ok(ops.length > 0, 'the document has operations');
  const extra = ops.filter((o) => !routes.has(o));
  assert.deepEqual(extra, [], `documented but not served:\n  ${extra.join('\n  ')}`);
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const key of Object.keys(item || {})) {
      assert.ok(PATH_ITEM_FIELDS.has(key) || key.startsWith('x-'), `${p}: '${key}' is not a Path Item field`);
    }
  }
});

test('every operation has an operationId, unique, and at least one response', () => {
  const doc = loadOpenapi();
  const seen = new Map();
  for (const { method, path: p, op } of operations(doc)) {
    const where = `${method} ${p}`;
    assert.equal(typeof op.operationId, 'string', `${where} has an operationId`);
    assert.match(op.operationId, /^[A-Za-z][A-Za-z0-9_]*$/, `${where}: operationId '${op.operationId}' is an identifier`);
    assert.ok(!seen.has(op.operationId), `operationId '${op.operationId}' of ${where} is also used by ${seen.get(op.operationId)}`);
    seen.set(op.operationId, where);
    assert.ok(op.responses && typeof op.responses === 'object', `${where} has responses`);
    const codes = Object.keys(op.responses);
    assert.ok(codes.length >= 1, `${where} has at least one response`);
    for (const c of codes) {
      assert.match(c, /^([1-5]\d\d|[1-5]XX|default)$/, `${where}: response key '${c}'`);
      const resp = deref(doc, op.responses[c]);
      assert.equal(typeof resp.description, 'string', `${where} ${c} has a description`);
    }
    assert.ok(codes.some((c) => /^[23]/.test(c)), `${where} documents a success response`);
  }
});

test('every path template parameter is declared as a required path parameter', () => {
  const doc = loadOpenapi();
  for (const { method, path: p, op, item } of operations(doc)) {
    const names = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const declared = [...(item.parameters || []), ...(op.parameters || [])]
      .map((x) => deref(doc, x))
      .filter((x) => x.in === 'path');
    for (const n of names) {
      const d = declared.find((x) => x.name === n);
      assert.ok(d, `${method} ${p} declares path parameter '${n}'`);
      assert.equal(d.required, true, `${method} ${p}: path parameter '${n}' is required`);
    }
    for (const d of declared) assert.ok(names.includes(d.name), `${method} ${p}: path parameter '${d.name}' is in the path`);
  }
});

// The route table with its columns: { label, roles: [...] | null (public),
// credential: 'none' | 'session only' | 'session or key' } (the fifth
// column, what the path parameters name, is the role tests').
async function routeColumns() {
  const r = await runKompasd(['routes']);
  assert.equal(r.code, 0, r.stderr);
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => {
    const cols = l.split('\t');
    assert.equal(cols.length, 5, `five tab-separated columns: ${l}`);
    const [method, pattern, roles, credential, params] = cols;
    assert.deepEqual(params === '-' ? [] : params.split(' ').map((p) => p.split('=')[0]),
      [...pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1]), `the parameters column names the pattern's parameters: ${l}`);
    assert.match(credential, /^(none|session only|session or key)$/, l);
    assert.equal(roles === 'public', credential === 'none', `public routes and only they need no credential: ${l}`);
    return [`${method} ${pattern}`, {
      roles: roles === 'public' ? null : roles.split(/,\s*/).sort(),
      credential,
    }];
  }));
}

test('x-kompas-roles of every operation is the roles column of `kompasd routes`; public ones have security: []', async () => {
  const routes = await routeColumns();
  const ops = operations(loadOpenapi());
  assert.equal(ops.length, routes.size, 'one operation per route');
  for (const { method, path: p, op } of ops) {
    const where = `${method} ${p}`;
    const route = routes.get(where);
    assert.ok(route, `${where} is a route of kompasd`);
    if (route.roles === null) {
      assert.ok(!('x-kompas-roles' in op), `${where} is public: no x-kompas-roles`);
      assert.deepEqual(op.security, [], `${where} is public: security: []`);
    } else {
      assert.ok(Array.isArray(op['x-kompas-roles']), `${where} has x-kompas-roles`);
      assert.deepEqual([...op['x-kompas-roles']].sort(), route.roles,
        `${where}: x-kompas-roles is the roles column of \`kompasd routes\``);
      assert.deepEqual(op.security, [{ bearer: [] }], `${where} needs a bearer token`);
    }
  }
});

test('x-kompas-session-only: true is on exactly the "session only" routes', async () => {
  const routes = await routeColumns();
  const ops = operations(loadOpenapi());
  const sessionOnly = [...routes].filter(([, r]) => r.credential === 'session only').map(([l]) => l);
  assert.ok(sessionOnly.length > 0, 'some routes are session only');
  for (const { method, path: p, op } of ops) {
    const where = `${method} ${p}`;
    const route = routes.get(where);
    assert.ok(route, `${where} is a route of kompasd`);
    if (route.credential === 'session only') {
      assert.equal(op['x-kompas-session-only'], true, `${where} is session only: x-kompas-session-only: true`);
    } else {
      assert.ok(!('x-kompas-session-only' in op), `${where} accepts ${route.credential}: no x-kompas-session-only`);
    }
  }
});

test('docs/errors.md is exactly the output of `kompasd errors`', async () => {
  const r = await runKompasd(['errors']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# Error codes\n/);
  assert.match(r.stdout, /\| `database_unavailable` \| 503 \|/);
  const file = path.join(ROOT, 'docs/errors.md');
  assert.ok(fs.existsSync(file), 'docs/errors.md exists (make it with: kompasd errors > docs/errors.md)');
  assert.equal(fs.readFileSync(file, 'utf8'), r.stdout, 'docs/errors.md is out of date: regenerate it with `kompasd errors > docs/errors.md`');
});
