// hostile.test.mjs - a table of hostile requests (issue 7, "Hostile input").
//
// Every case is its own subtest with a name and an expected status (or
// status class). What must hold for each: no 5xx; a 4xx is
// application/problem+json with a `code` (except the cases marked `mhd`,
// which libmicrohttpd answers itself before our code runs: they are listed
// as such, and the test checks that they are indeed not our answers); the
// slow clients are cut off by the connection timeout; kompasd still answers
// GET /healthz after every case. After the whole table, the database (row
// count and an md5 over every table's rows in primary-key order, as the
// schema owner) is what it was before. The table runs against its own
// database, so that other test files writing at the same time do not
// disturb the comparison; SQL metacharacters that are stored are checked
// after the comparison (they must come back literally).
//
// Raw sockets (node:net) are used wherever fetch would normalise the
// request: methods, request lines, repeated or oversized headers, bytes
// that are not UTF-8 or NUL in paths and bodies, truncated bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { startKompasd, runKompasd, psql, ROOT } from './harness.mjs';
import { HASH, login, uniq } from './fixtures.mjs';

const APP_CONNINFO = process.env.KOMPAS_TEST_CONNINFO;
const OWNER_CONNINFO = process.env.KOMPAS_TEST_OWNER_CONNINFO;
const db = `hostile_${process.pid}`;
const SLOW_TIMEOUT = 1; // seconds: KOMPAS_HTTP_CONNECTION_TIMEOUT of the second kompasd

let k; // the kompasd the table runs against
let slow; // a second one on the same database with a short connection timeout
let w; // { centre, other, admin, coordinator, ... tokens and ids }
let snapshotBefore;

// ---- the test's own database ------------------------------------------------

const sqlq = (s) => `'${String(s).replaceAll("'", "''")}'`;
const q = (sql) => psql(sql, { db });

// Row counts and an md5 over the rows of every table (ordered by primary
// key; columns that a mere authentication updates are left out: sessions'
// and keys' last use, updated at most once a minute by design).
function snapshot() {
  const tables = q(`SELECT format('%I.%I', n.nspname, c.relname) || '|' ||
      coalesce((SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.ord)
                  FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 WHERE i.indrelid = c.oid AND i.indisprimary), '')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`).split('\n').filter(Boolean);
  assert.ok(tables.length >= 20, `tables found: ${tables.length}`);
  const parts = tables.map((line) => {
    const [name, pk] = line.split('|');
    const order = pk ? pk.split(',').map((c) => `x.${c}`).join(', ') : 'x::text';
    return `SELECT ${sqlq(name)} AS t, count(*) AS n,
        md5(coalesce(string_agg((to_jsonb(x) - 'last_seen_at' - 'last_used_at')::text, E'\\n'
                                 ORDER BY ${order}), '')) AS sum FROM ${name} x`;
  });
  return q(parts.join(' UNION ALL ') + ' ORDER BY 1');
}

// fixtures.mjs's createCentre and createAccount write to the shared
// database; these are the same against this file's own one.
function createCentre(slug) {
  const id = randomUUID();
  q(`INSERT INTO centre (id, slug, name, municipality) VALUES ('${id}', '${slug}', 'Frivilligcenter ${slug}', 'Testkommune')`);
  return { id, slug };
}

function createAccount(role, centreId) {
  const id = randomUUID();
  const email = `${uniq(role)}@test.invalid`;
  q(`INSERT INTO account (id, email, display_name, role, centre_id, password_hash)
     VALUES ('${id}', '${email}', 'Test ${role}', '${role}', ${centreId ? `'${centreId}'` : 'NULL'}, '${HASH}')`);
  return { id, email };
}

before(async () => {
  psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
  const conninfo = APP_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  const ownerConninfo = OWNER_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  assert.notEqual(conninfo, APP_CONNINFO);
  const m = await runKompasd(['-c', 'kompas.conf', 'migrate'], { conninfo: ownerConninfo });
  assert.equal(m.code, 0, m.stderr);
  const env = { KOMPAS_DATABASE_MIGRATE_CONNINFO: ownerConninfo };
  k = await startKompasd({ conninfo, env });
  slow = await startKompasd({ conninfo, env: { ...env, KOMPAS_HTTP_CONNECTION_TIMEOUT: String(SLOW_TIMEOUT) } });
  const centre = createCentre(uniq('h'));
  const other = createCentre(uniq('o'));
  const admin = createAccount('admin', null);
  const analyst = createAccount('analyst', null);
  const coordinator = createAccount('coordinator', centre.id);
  w = {
    centre, other,
    admin: await login(k, admin.email),
    analyst: await login(k, analyst.email),
    coordinator: await login(k, coordinator.email),
  };
  snapshotBefore = snapshot();
});

after(async () => {
  try {
    if (k) await k.stop();
    if (slow) await slow.stop();
  } finally {
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
  }
});

// ---- talking to kompasd -------------------------------------------------------

// Parse a raw HTTP/1.1 answer (as latin1 text) into status, headers, body.
function parseAnswer(text) {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (!m) return null;
  const end = text.indexOf('\r\n\r\n');
  const headers = {};
  for (const line of text.slice(m[0].length, end).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, body: end >= 0 ? text.slice(end + 4) : '' };
}

// Send bytes on one connection and collect everything until the server
// closes it (the requests say Connection: close, or are malformed).
function raw(port, chunks, { timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const got = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('the server kept the connection open')); }, timeoutMs);
    sock.on('data', (d) => got.push(d));
    sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(got).toString('latin1')); });
    sock.on('error', (e) => {
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(e);
    });
    sock.on('connect', () => { for (const c of chunks) sock.write(c); });
  });
}

// Connect, send what is given, then vanish (destroy the socket).
async function vanish(port, chunks) {
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  for (const c of chunks) await new Promise((r) => sock.write(c, r));
  sock.destroy();
  await once(sock, 'close');
}

const CRLF = '\r\n';
// A raw request: request line, headers (object or list of [name, value]), body.
function rawReq(line, headers = [], body = '') {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  const head = [line, 'Host: 127.0.0.1', 'Connection: close', ...list.map(([n, v]) => `${n}: ${v}`)].join(CRLF);
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  return [Buffer.concat([Buffer.from(head + CRLF + CRLF, 'latin1'), b])];
}

const bearer = (token) => ['Authorization', `Bearer ${token}`];
const jsonPost = (token, body, extra = []) => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return [bearer(token), ['Content-Type', 'application/json'], ['Content-Length', String(b.length)], ...extra];
};

// ---- the table -----------------------------------------------------------------
//
// A case: { name, expect } and one of
//   raw: () => [chunks]            sent on a raw socket to k
//   fetch: () => [path, init]      sent with fetch (checked against openapi.yaml)
//   slow: () => [chunks]           sent to the short-timeout kompasd, then nothing
//   vanish: () => [chunks]         sent, then the client disappears
// expect: { status } or { class: 4 }; code: the problem code; field: a
// field error for this member; mhd: libmicrohttpd answers itself (so not
// problem+json; allow5xx: its 505 for an unknown HTTP version, the one 5xx
// let through); close: a closed connection without an answer is acceptable;
// closes: the answer says Connection: close; noLeak: the body must not show
// file contents; ok2xx: a 2xx is acceptable too (SQL metacharacters taken
// literally, lenient parsing that does no harm).

const cases = [];
const add = (c) => cases.push(c);

// -- methods and request lines (raw)
for (const m of ['TRACE', 'CONNECT', 'PROPFIND', 'FOO', 'PURGE', 'GETT', 'PATCH', 'DELETE', 'PUT'])
  add({ name: `method ${m} on /healthz`, raw: () => rawReq(`${m} /healthz HTTP/1.1`), expect: { status: 405, code: 'method_not_allowed' } });
add({ name: 'lowercase method get', raw: () => rawReq('get /healthz HTTP/1.1'), expect: { status: 405, code: 'method_not_allowed' } });
add({ name: 'method with a slash', raw: () => rawReq('G/ET /healthz HTTP/1.1'), expect: { status: 405, code: 'method_not_allowed' } });
add({ name: 'overlong method token', raw: () => rawReq(`${'X'.repeat(5000)} /healthz HTTP/1.1`), expect: { status: 405, code: 'method_not_allowed' } });
add({ name: 'TRACE on an unknown path', raw: () => rawReq('TRACE /nowhere HTTP/1.1'), expect: { status: 404, code: 'route_not_found' } });
add({ name: 'request line without a version (HTTP/0.9)', raw: () => ['GET /healthz\r\n\r\n'], expect: { status: 400, mhd: true } });
// libmicrohttpd answers an unknown major version itself with 505 (RFC 9110
// 15.6.6), before any code of ours runs: the one 5xx allowed, listed here.
add({ name: 'unknown HTTP version 9.9', raw: () => rawReq('GET /healthz HTTP/9.9'), expect: { status: 505, mhd: true, allow5xx: true } });
add({ name: 'HTTP/2 version in an HTTP/1 request line', raw: () => rawReq('GET /healthz HTTP/2.0'), expect: { status: 505, mhd: true, allow5xx: true } });
add({ name: 'garbage version token', raw: () => rawReq('GET /healthz FOO/1.1'), expect: { status: 400, mhd: true } });
add({ name: 'extra token after the version', raw: () => rawReq('GET /healthz HTTP/1.1 extra'), expect: { status: 400, mhd: true } });
add({ name: 'HTTP/1.1 without Host', raw: () => ['GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'], expect: { status: 400, code: 'bad_request' } });
add({ name: 'path without a leading slash', raw: () => rawReq('GET healthz HTTP/1.1'), expect: { status: 404, code: 'route_not_found' } });
add({ name: 'asterisk form with GET', raw: () => rawReq('GET * HTTP/1.1'), expect: { status: 404, code: 'route_not_found' } });
add({ name: 'request line of 200 kB', raw: () => rawReq(`GET /${'a'.repeat(200000)} HTTP/1.1`), expect: { status: 414, mhd: true } });
add({ name: 'only a CR LF flood', raw: () => ['\r\n'.repeat(50000)], expect: { status: 414, mhd: true } });

// -- paths (raw)
const paths = [
  ['percent-encoded NUL in a path (kept as the characters %00, never decoded)', '/v1/centres/%00', 404, 'not_found'],
  ['raw NUL byte in the path (cuts it)', '/v1/cen\x00tres', 404, 'route_not_found'],
  ['invalid UTF-8 percent-encoded in a parameter', '/v1/centres/%ff%fe', 404, 'not_found'],
  ['raw invalid UTF-8 bytes in a parameter', '/v1/centres/\xff\xfe\xc0\xaf', 404, 'not_found'],
  ['overlong UTF-8 slash in a path', '/v1/centres/%c0%af', 404, 'not_found'],
  ['parameter of 129 bytes', `/v1/centres/${'a'.repeat(129)}`, 404, 'route_not_found'],
  ['parameter of 10 kB', `/v1/centres/${'a'.repeat(10000)}`, 404, 'route_not_found'],
  ['path of 30 kB', `/${'a/'.repeat(15000)}`, 404, 'route_not_found'],
  ['double slash', '//healthz', 404, 'route_not_found'],
  ['trailing slash', '/v1/centres/', 404, 'route_not_found'],
  ['dot segments to the health check', '/v1/../healthz', 404, 'route_not_found'],
  ['encoded slash in a parameter (decoded before routing)', '/v1/centres/a%2fb', 404, 'route_not_found'],
  ['backslashes', '/v1\\centres', 404, 'route_not_found'],
  ['a fragment in the path', '/healthz#frag', 404, 'route_not_found'],
  ['query string only', '/?', 404, 'route_not_found'],
  ['SQL in a path parameter', "/v1/centres/'%20OR%20'1'='1", 404, 'not_found'],
  ['SQL with a comment in a path parameter', '/v1/centres/x;DROP%20TABLE%20centre;--', 404, 'not_found'],
];
for (const [name, p, status, code] of paths)
  add({ name, raw: () => rawReq(`GET ${p} HTTP/1.1`), expect: { status, code } });

// -- path traversal on the static files under /app/ (raw, nothing normalised)
const traversals = [
  '/app/../../../../etc/passwd', '/app/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/app/..%2f..%2f..%2fetc%2fpasswd',
  '/app/%252e%252e/%252e%252e/etc/passwd', '/app/....//....//....//etc/passwd', '/app/..\\..\\..\\etc\\passwd',
  '/app/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', '/app/./../kompas.conf', '/app//etc/passwd', '/app/%00/../../etc/passwd',
  '/app/../lib/http.c', '/../../etc/passwd', '/app/..', '/app/%2e%2e%5c%2e%2e%5cetc%5cpasswd',
];
for (const p of traversals)
  add({ name: `traversal ${p}`, raw: () => rawReq(`GET ${p} HTTP/1.1`), expect: { class: 4, noLeak: true } });

// -- headers (raw)
add({ name: 'one header of 64 kB', raw: () => rawReq('GET /healthz HTTP/1.1', [['X-Big', 'a'.repeat(65536)]]), expect: { status: 431, mhd: true } });
add({ name: '2000 headers', raw: () => rawReq('GET /healthz HTTP/1.1', Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'.repeat(20)])), expect: { status: 431, mhd: true } });
add({ name: 'Authorization of 20 kB', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Authorization', `Bearer ${'k'.repeat(20000)}`]]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'two Content-Length headers that differ', raw: () => rawReq('POST /v1/centres HTTP/1.1', [bearer('x'), ['Content-Type', 'application/json'], ['Content-Length', '2'], ['Content-Length', '40']], '{}'), expect: { status: 400, code: 'bad_request', closes: true } });
add({ name: 'two equal Content-Length headers', raw: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Content-Length', '2'], ['Content-Length', '2']], '{}'), expect: { status: 400, code: 'bad_request', closes: true } });
add({ name: 'Content-Length with a list', raw: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Content-Length', '2, 2']], '{}'), expect: { status: 400, mhd: true } });
add({ name: 'negative Content-Length', raw: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Content-Length', '-1']], '{}'), expect: { status: 400, mhd: true } });
add({ name: 'Content-Length that is not a number', raw: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Content-Length', 'abc']], '{}'), expect: { status: 400, mhd: true } });
add({ name: 'Content-Length of 2^64', raw: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Content-Length', '18446744073709551616']], '{}'), expect: { status: 413, mhd: true } });
add({ name: 'Content-Length over the body limit', raw: () => rawReq('POST /v1/centres HTTP/1.1', [bearer('x'), ['Content-Type', 'application/json'], ['Content-Length', '999999999']], '{}'), expect: { status: 413, code: 'body_too_large' } });
add({ name: 'Content-Length and chunked together', raw: () => rawReq('POST /v1/centres HTTP/1.1', [bearer('x'), ['Content-Type', 'application/json'], ['Content-Length', '5'], ['Transfer-Encoding', 'chunked']], '2\r\n{}\r\n0\r\n\r\n'), expect: { status: 400, code: 'bad_request', closes: true } });
add({ name: 'malformed chunk size', raw: () => rawReq('POST /v1/centres HTTP/1.1', [bearer('x'), ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], 'zz\r\n{}\r\n0\r\n\r\n'), expect: { status: 400, mhd: true } });
add({ name: 'chunk size of 2^64', raw: () => rawReq('POST /v1/centres HTTP/1.1', [bearer('x'), ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], 'ffffffffffffffffff\r\n{}\r\n0\r\n\r\n'), expect: { status: 413, mhd: true } });
add({ name: 'header line without a colon', raw: () => [Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n', 'latin1')], expect: { status: 400, mhd: true } });
// libmicrohttpd 0.9.75 takes a header name with a space (RFC 9112 says 400);
// harmless here: no header of ours has a space.
add({ name: 'header name with a space', raw: () => rawReq('GET /healthz HTTP/1.1', [['Bad Name', 'x']]), expect: { status: 200, ok2xx: true } });
// libmicrohttpd 0.9.75 unfolds obsolete line folding (RFC 9112 allows a
// server to replace it by spaces).
add({ name: 'obsolete line folding', raw: () => [Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: one\r\n  two\r\nConnection: close\r\n\r\n', 'latin1')], expect: { status: 200, ok2xx: true } });
add({ name: 'NUL byte in a header value', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Authorization', 'Bearer ab\x00cd']]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'two Authorization headers', raw: () => rawReq('GET /v1/me HTTP/1.1', [bearer('a'), bearer('b')]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'Authorization Basic', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Authorization', 'Basic YWRtaW46YWRtaW4=']]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'Authorization Bearer without a token', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Authorization', 'Bearer']]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'Authorization with SQL', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Authorization', "Bearer ' OR '1'='1"]]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'Authorization of invalid UTF-8', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Authorization', 'Bearer \xff\xfe\xfd']]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'X-Forwarded-For of 4 kB', raw: () => rawReq('GET /v1/me HTTP/1.1', [['X-Forwarded-For', '1.2.3.4, '.repeat(400)]]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'Origin with SQL and bytes that are not UTF-8', raw: () => rawReq('GET /v1/me HTTP/1.1', [['Origin', "https://x'--\xff"]]), expect: { status: 401, code: 'unauthenticated' } });
add({ name: 'If-Match of garbage on a PATCH', fetch: () => [`/v1/centres/${w.centre.id}`, { method: 'PATCH', headers: { Authorization: `Bearer ${w.admin}`, 'Content-Type': 'application/json', 'If-Match': '"\u00ff\'; DROP TABLE centre;--"' }, body: '{"name":"Nyt navn"}' }], expect: { class: 4 } });

// -- bodies against real write endpoints (every body is refused: nothing written)
const reqBody = (s) => ['/v1/requests', { method: 'POST', headers: { Authorization: `Bearer ${w.coordinator}`, 'Content-Type': 'application/json' }, body: s }];
const malformed = [
  ['empty body', ''], ['only whitespace', '   \n\t '], ['open brace', '{'], ['cut after a key', '{"citizen":'],
  ['trailing comma', '{"source":"phone",}'], ['single quotes', "{'source':'phone'}"], ['unterminated string', '{"source":"phone'],
  ['two documents', '{"source":"phone"} {"source":"email"}'], ['closing brace twice', '{"source":"phone"}}'],
  ['bare word', 'nul'], ['true cut', 'tru'], ['leading zero', '{"a":01}'], ['leading dot', '{"a":.5}'], ['plus sign', '{"a":+1}'],
  ['exponent without digits', '{"a":1e}'], ['NaN literal', '{"a":NaN}'], ['Infinity literal', '{"a":Infinity}'],
  ['minus Infinity', '{"a":-Infinity}'], ['undefined', '{"a":undefined}'], ['a comment', '/* x */ {}'],
  ['a byte-order mark', '\ufeff{}'], ['bad escape', '{"a":"\\x41"}'], ['short unicode escape', '{"a":"\\u12"}'],
  ['lone high surrogate', '{"a":"\\ud800"}'], ['lone low surrogate', '{"a":"\\udc00"}'], ['escaped NUL in a string', '{"citizen":{"name":"a\\u0000b"}}'],
  ['escaped NUL in a key', '{"cit\\u0000izen":{}}'], ['duplicate keys', '{"source":"phone","source":"email"}'],
  ['1e400', '{"citizen":{"name":"x"},"a":1e400}'], ['-1e400', '{"a":-1e400}'], ['2^64', '{"a":18446744073709551616}'],
  ['-2^63-1', '{"a":-9223372036854775809}'], ['2^63', '{"a":9223372036854775808}'], ['a 400-digit integer', `{"a":${'9'.repeat(400)}}`],
  ['unquoted key', '{source:"phone"}'], ['control character raw in a string', '{"a":"x\u0001y"}'],
];
for (const [name, body] of malformed)
  add({ name: `malformed JSON: ${name}`, fetch: () => reqBody(body), expect: { status: 400, code: 'malformed_json' } });
const full = JSON.stringify({ source: 'phone', citizen: { name: 'Hostile Borger', phone: '+45 12 34 56 78' }, unknown_extra: 1 });
for (const cut of [1, 10, 30, full.length - 20, full.length - 1])
  add({ name: `truncated JSON at ${cut} of ${full.length} bytes`, fetch: () => reqBody(full.slice(0, cut)), expect: { status: 400, code: 'malformed_json' } });
add({ name: 'deep nesting: 10000 arrays', fetch: () => reqBody('['.repeat(10000) + ']'.repeat(10000)), expect: { status: 400, code: 'malformed_json' } });
add({ name: 'deep nesting: 10000 objects', fetch: () => reqBody('{"a":'.repeat(10000) + '1' + '}'.repeat(10000)), expect: { status: 400, code: 'malformed_json' } });
add({ name: 'deep nesting: 10000 levels inside citizen', fetch: () => reqBody('{"citizen":' + '['.repeat(10000) + ']'.repeat(10000) + '}'), expect: { status: 400, code: 'malformed_json' } });
add({ name: 'nesting of 1000 levels (parsed, then refused)', fetch: () => reqBody('{"citizen":' + '['.repeat(1000) + ']'.repeat(1000) + '}'), expect: { status: 422, code: 'validation_failed' } });
for (const [name, bytes] of [['0xff', [0xff]], ['overlong slash C0 AF', [0xc0, 0xaf]], ['UTF-8 surrogate ED A0 80', [0xed, 0xa0, 0x80]],
  ['cut sequence E2 82', [0xe2, 0x82]], ['code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]], ['raw NUL', [0x00]]]) {
  const body = Buffer.concat([Buffer.from('{"source":"phone","citizen":{"name":"a'), Buffer.from(bytes), Buffer.from('b"}}')]);
  add({ name: `invalid text in a JSON string: ${name}`, raw: () => rawReq('POST /v1/requests HTTP/1.1', jsonPost(w.coordinator, body), body), expect: { status: 400, code: 'malformed_json' } });
}
add({ name: 'raw NUL between JSON tokens', raw: () => { const b = Buffer.from('{"source":\x00"phone"}', 'latin1'); return rawReq('POST /v1/requests HTTP/1.1', jsonPost(w.coordinator, b), b); }, expect: { status: 400, code: 'malformed_json' } });
add({ name: 'body of UTF-16', raw: () => { const b = Buffer.from('{"source":"phone"}', 'utf16le'); return rawReq('POST /v1/requests HTTP/1.1', jsonPost(w.coordinator, b), b); }, expect: { status: 400, code: 'malformed_json' } });
add({ name: 'Content-Length larger than the body, then the client waits', slow: () => { const b = '{"source":"phone"}'; return rawReq('POST /v1/requests HTTP/1.1', [bearer(w.coordinator), ['Content-Type', 'application/json'], ['Content-Length', '500']], b); }, expect: {} });

// wrong types, per endpoint and field
const wrongTypes = [
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: 'Anna' }, 'citizen'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: ['Anna'] }, 'citizen'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: null }, 'citizen'],
  ['/v1/requests', 'coordinator', { source: 1, citizen: { name: 'x' } }, 'source'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: 7 } }, 'citizen.name'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: true } }, 'citizen.name'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: { a: 1 } } }, 'citizen.name'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: 'x' }, consents: 'all' }, 'consents'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: 'x' }, consents: [1] }, 'consents[0]'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: -0 } }, 'citizen.name'],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: 1.5e300 } }, 'citizen.name'],
  ['/v1/centres', 'admin', { slug: 12, name: 'Navn', municipality: 'By' }, 'slug'],
  ['/v1/centres', 'admin', { slug: 'ok', name: ['Navn'], municipality: 'By' }, 'name'],
  ['/v1/centres', 'admin', { slug: 'ok', name: 'Navn', municipality: false }, 'municipality'],
  ['/v1/volunteers', 'coordinator', { name: 42 }, 'name'],
  ['/v1/categories', 'admin', { kind: 'activity', slug: 'x', name_da: 1, name_en: 'x' }, 'name_da'],
  ['/v1/associations', 'coordinator', { name: null }, 'name'],
  ['/v1/webhooks', 'coordinator', { url: 12345 }, 'url'],
  ['/v1/requests/search', 'coordinator', { phone: 12345678 }, 'phone'],
  ['/v1/requests/search', 'coordinator', { limit: '10' }, 'limit'],
  ['/v1/requests/search', 'coordinator', { limit: 10.5 }, 'limit'],
  ['/v1/requests/search', 'coordinator', { limit: -0.0001 }, 'limit'],
];
for (const [p, who, body, field] of wrongTypes)
  add({ name: `wrong type at ${p} ${field}: ${JSON.stringify(body).slice(0, 60)}`, fetch: () => [p, { method: 'POST', headers: { Authorization: `Bearer ${w[who]}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }], expect: { status: 422, code: 'validation_failed', field } });
// numbers at the edges of an integer field (limit: 1..200)
for (const n of ['0', '201', '-1', '9223372036854775807', '-9223372036854775808', '1e2', '1.0'])
  add({ name: `search limit ${n}`, fetch: () => ['/v1/requests/search', { method: 'POST', headers: { Authorization: `Bearer ${w.coordinator}`, 'Content-Type': 'application/json' }, body: `{"limit":${n},"phone":"00000000"}` }], expect: { status: 422, code: 'validation_failed', field: 'limit' } });
// unknown fields
for (const [p, who, body] of [
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: 'x' }, id: randomUUID() }],
  ['/v1/requests', 'coordinator', { source: 'phone', citizen: { name: 'x', role: 'admin' } }],
  ['/v1/centres', 'admin', JSON.parse('{"slug":"x1","name":"Navn","municipality":"By","__proto__":{"a":1}}')],
  ['/v1/centres', 'admin', { slug: 'x2', name: 'Navn', municipality: 'By', ['k'.repeat(5000)]: 1 }],
  ['/v1/volunteers', 'coordinator', { name: 'x', centre_id: randomUUID() }],
  ['/v1/associations', 'coordinator', { name: 'Forening', 'name ': 'x' }],
]) add({ name: `unknown field at ${p}: ${Object.keys(body).at(-1).slice(0, 20)}`, fetch: () => [p, { method: 'POST', headers: { Authorization: `Bearer ${w[who]}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }], expect: { status: 422, code: 'validation_failed' } });
// media types and codings
for (const [name, headers] of [
  ['no Content-Type', {}], ['text/plain', { 'Content-Type': 'text/plain' }], ['application/jsonx', { 'Content-Type': 'application/jsonx' }],
  ['multipart', { 'Content-Type': 'multipart/form-data; boundary=x' }], ['merge-patch on a POST', { 'Content-Type': 'application/merge-patch+json' }],
  ['Content-Encoding gzip (unsupported)', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }],
  ['Content-Encoding br (unsupported)', { 'Content-Type': 'application/json', 'Content-Encoding': 'br' }],
  ['Content-Encoding of garbage', { 'Content-Type': 'application/json', 'Content-Encoding': 'x-\u00e6\u00f8\u00e5' }],
]) add({ name: `media type: ${name}`, fetch: () => ['/v1/centres', { method: 'POST', headers: { Authorization: `Bearer ${w.admin}`, ...headers }, body: JSON.stringify({ slug: uniq('m'), name: 'Navn', municipality: 'By' }) }], expect: { status: 415, code: 'unsupported_media_type' } });

// overlong strings: every string member with a maxLength in docs/openapi.yaml
// of these request bodies, one character over (nested objects too)
const spec = YAML.parse(readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8'));
const deref = (s) => {
  while (s && s.$ref) s = s.$ref.split('/').slice(1).reduce((o, key) => o[key], spec);
  return s;
};
function stringFields(schema, prefix = '') {
  const s = deref(schema);
  const out = [];
  for (const [name, sub0] of Object.entries(s?.properties || {})) {
    const sub = deref(sub0);
    const types = [].concat(sub.type || []);
    if (types.includes('string') && typeof sub.maxLength === 'number' && !sub.enum) out.push([prefix + name, sub.maxLength]);
    if (types.includes('object') && sub.properties) out.push(...stringFields(sub, `${prefix}${name}.`));
  }
  return out;
}
const overlongTargets = [
  ['POST', '/v1/requests', 'coordinator'], ['POST', '/v1/centres', 'admin'], ['POST', '/v1/volunteers', 'coordinator'],
  ['POST', '/v1/associations', 'coordinator'], ['POST', '/v1/categories', 'admin'], ['POST', '/v1/events', 'coordinator'],
  ['POST', '/v1/accounts', 'admin'], ['POST', '/v1/webhooks', 'coordinator'], ['POST', '/v1/requests/search', 'coordinator'],
];
for (const [method, p, who] of overlongTargets) {
  const op = spec.paths[p]?.[method.toLowerCase()];
  const schema = op?.requestBody?.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${p} has a JSON request body in docs/openapi.yaml`);
  for (const [field, max] of stringFields(schema)) {
    const body = {};
    const keys = field.split('.');
    keys.slice(0, -1).reduce((o, key) => (o[key] = {}), body)[keys.at(-1)] = 'x'.repeat(max + 1);
    add({ name: `overlong ${method} ${p} ${field} (${max + 1} characters)`, fetch: () => [p, { method, headers: { Authorization: `Bearer ${w[who]}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }], expect: { status: 422, code: 'validation_failed', field } });
  }
}
add({ name: 'body over the body limit (chunked, no Content-Length)', raw: () => { const big = 'x'.repeat(2 * 1024 * 1024); return rawReq('POST /v1/requests HTTP/1.1', [bearer(w.coordinator), ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`); }, expect: { status: 413, code: 'body_too_large' } });

// -- query strings
const qs = [
  ['/v1/centres?limit=abc', 'limit'], ['/v1/centres?limit=1e400', 'limit'], ['/v1/centres?limit=99999999999999999999', 'limit'],
  ['/v1/centres?limit=-1', 'limit'], ['/v1/centres?limit=%00', 'limit'], ['/v1/centres?limit=1&limit=2', 'limit'],
  ['/v1/centres?limit=%20 1', 'limit'], ['/v1/centres?nope=1', 'nope'], ['/v1/centres?%ff=1', 'query'], ['/v1/centres?limit=%ff', 'query'],
  [`/v1/centres?${'a'.repeat(5000)}=1`, null],
];
for (const [p, field] of qs)
  add({ name: `query ${p.slice(0, 60)}`, fetch: () => [p, {}], expect: { class: 4, field } });
add({ name: 'query: 5000 parameters (45 kB request line)', fetch: () => [`/v1/centres?${Array.from({ length: 5000 }, (_, i) => `p${i}=${i}`).join('&')}`, {}], expect: { status: 414, mhd: true } });
add({ name: 'SQL as a centre list cursor (compared as text)', fetch: () => ['/v1/centres?cursor=%27%20OR%201%3D1--', {}], expect: { class: 4, ok2xx: true } });

// -- SQL metacharacters where nothing is stored: taken literally (2xx) or refused (4xx)
const sqlStrings = ["' OR '1'='1", "'; DROP TABLE centre; --", '" OR ""="', "1; SELECT pg_sleep(10)--", "\\'; --", "%' --", "$1$$ OR 1=1 $$"];
for (const s of sqlStrings) {
  const e = encodeURIComponent(s);
  add({ name: `SQL in the feed's centre: ${s}`, fetch: () => [`/v1/events.ics?centre=${e}`, {}], expect: { status: 404, code: 'not_found' } });
  add({ name: `SQL in a search: ${s}`, fetch: () => ['/v1/associations?q=' + e, { headers: { Authorization: `Bearer ${w.coordinator}` } }], expect: { class: 4, ok2xx: true } });
}
add({ name: 'SQL in the statistics centre', fetch: () => ["/v1/stats/funnel?centre=x'%3BDROP%20TABLE%20request%3B--", { headers: { Authorization: `Bearer ${w.analyst}` } }], expect: { status: 404, code: 'not_found' } });

// -- slow clients (the kompasd with a 1 s connection timeout closes them)
add({ name: 'slowloris: half a request line, then silence', slow: () => ['GET /hea'], expect: {} });
add({ name: 'slowloris: request line, then silence', slow: () => ['GET /healthz HTTP/1.1\r\n'], expect: {} });
add({ name: 'slowloris: headers without the empty line', slow: () => ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b'], expect: {} });
add({ name: 'slowloris: one byte, then silence', slow: () => ['G'], expect: {} });
add({ name: 'slow body: 10 of 100 bytes, then silence', slow: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Content-Length', '100']], '{"slug":"x'), expect: {} });
add({ name: 'slow chunked body: one chunk, then silence', slow: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], '2\r\n{"\r\n'), expect: {} });
add({ name: 'connect and send nothing', slow: () => [], expect: {} });
// libmicrohttpd waits for more input on these (blank lines before a request
// line are skipped; a body of an unknown coding has no known end): the
// connection timeout ends them.
add({ name: 'only blank lines', slow: () => ['\r\n\r\n'], expect: {} });
add({ name: 'method of binary garbage', slow: () => [Buffer.from('\x01\x02\xff\xfe /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')], expect: {} });
add({ name: 'unknown Transfer-Encoding', slow: () => rawReq('POST /v1/centres HTTP/1.1', [['Content-Type', 'application/json'], ['Transfer-Encoding', 'gzip']], '{}'), expect: {} });

// -- clients that vanish
add({ name: 'vanish mid-body (Content-Length 1000, 10 sent)', vanish: () => rawReq('POST /v1/requests HTTP/1.1', [bearer(w.coordinator), ['Content-Type', 'application/json'], ['Content-Length', '1000']], '{"source":'), expect: {} });
add({ name: 'vanish mid-body of a chunked upload', vanish: () => rawReq('POST /v1/requests HTTP/1.1', [bearer(w.coordinator), ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']], '100\r\n{"source":'), expect: {} });
add({ name: 'vanish mid-headers', vanish: () => ['POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Le'], expect: {} });
add({ name: 'vanish after a full request, before the answer', vanish: () => rawReq('GET /v1/associations?q=x HTTP/1.1', [bearer(w.coordinator)]), expect: {} });
add({ name: 'vanish after a request line', vanish: () => ['GET /v1/centres HTTP/1.1\r\n'], expect: {} });

// ---- running the table ---------------------------------------------------------

function checkAnswer(c, a, text) {
  const e = c.expect;
  if (!e.allow5xx) assert.ok(a.status < 500, `no 5xx: got ${a.status} ${text.slice(0, 300)}`);
  if (e.ok2xx && a.status < 300) return;
  if (e.status) assert.equal(a.status, e.status, text.slice(0, 300));
  if (e.class) assert.equal(Math.floor(a.status / 100), e.class, `status ${a.status}: ${text.slice(0, 300)}`);
  if (!e.status && !e.class) assert.equal(Math.floor(a.status / 100), 4, `status ${a.status}`);
  const ct = a.headers['content-type'] || '';
  if (e.mhd) {
    assert.doesNotMatch(ct, /problem\+json/, 'answered by libmicrohttpd, not by kompasd');
    return;
  }
  assert.match(ct, /^application\/problem\+json/, `a problem: ${text.slice(0, 200)}`);
  const body = JSON.parse(a.body);
  assert.equal(typeof body.code, 'string');
  assert.equal(body.status, a.status);
  if (e.code) assert.equal(body.code, e.code, JSON.stringify(body));
  if (e.field) assert.ok((body.errors || []).some((x) => x.field === e.field), `an error for ${e.field}: ${JSON.stringify(body.errors)}`);
  if (e.noLeak) assert.doesNotMatch(a.body, /root:|\[database\]|#include/);
  if (e.closes) assert.match(a.headers.connection || '', /close/i, 'the connection is closed after the answer');
}

async function runCase(c) {
  if (c.raw) {
    const text = await raw(k.port, c.raw());
    const a = parseAnswer(text);
    if (a === null) {
      assert.ok(c.expect.close, `an answer expected, the connection was closed after: ${JSON.stringify(text.slice(0, 100))}`);
      return;
    }
    checkAnswer(c, a, text);
  } else if (c.fetch) {
    const [p, init] = c.fetch();
    const res = await k.fetch(p, init);
    const text = await res.text();
    checkAnswer(c, { status: res.status, headers: Object.fromEntries(res.headers), body: text }, text);
  } else if (c.slow) {
    // The server must close the connection by itself (its timeout); an
    // answer, if any, must not be a 5xx.
    const text = await raw(slow.port, c.slow(), { timeoutMs: (SLOW_TIMEOUT + 10) * 1000 });
    const a = parseAnswer(text);
    if (a !== null) assert.ok(a.status < 500, text.slice(0, 200));
  } else if (c.vanish) {
    await vanish(k.port, c.vanish());
  }
}

// On a new connection each time: a pooled keep-alive connection could meet
// the short connection timeout of the second kompasd.
async function healthy(kd) {
  const a = parseAnswer(await raw(kd.port, rawReq('GET /healthz HTTP/1.1')));
  assert.equal(a?.status, 200, 'kompasd still answers /healthz');
}

test('the hostile table has at least 150 named cases', () => {
  assert.ok(cases.length >= 150, `cases: ${cases.length}`);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'names are unique');
});

test('hostile requests', async (t) => {
  for (const c of cases) {
    await t.test(c.name, async () => {
      await runCase(c);
      await healthy(k);
      if (c.slow) await healthy(slow);
    });
  }
});

test('the database is unchanged by the hostile table', () => {
  const now = snapshot();
  assert.equal(now, snapshotBefore);
});

// After the comparison (a failed login is counted in login_throttle by design):
// SQL as a login e-mail is just a wrong login.
test('SQL as a login e-mail is a wrong login', async () => {
  const res = await k.fetch('/v1/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: "' OR 1=1 --", password: 'x' }) });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'unauthenticated');
  await healthy(k);
});

// After the comparison: SQL metacharacters that are stored come back literally.
test('SQL metacharacters are stored literally', async (t) => {
  for (const s of sqlStrings) {
    await t.test(s, async () => {
      const name = `Forening ${s}`;
      const res = await k.fetch('/v1/associations', { method: 'POST', headers: { Authorization: `Bearer ${w.coordinator}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
      assert.equal(res.status, 201, await res.clone().text());
      const created = await res.json();
      const got = await k.fetch(`/v1/associations/${created.id}`, { headers: { Authorization: `Bearer ${w.coordinator}` } });
      assert.equal(got.status, 200);
      assert.equal((await got.json()).name, name);
      assert.equal(q(`SELECT name FROM association WHERE id = '${created.id}'`), name);
    });
  }
  assert.ok(Number(q('SELECT count(*) FROM centre')) >= 2, 'the centres are still there');
});
