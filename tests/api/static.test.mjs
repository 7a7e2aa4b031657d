// The web client's files under /app/: content types, ETag and 304, cache
// and security headers, and no way out of the web root (traversal, encoded
// dots and slashes, backslashes, NUL, dot-files, symlinks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKompasd, rawRequest, expectProblem } from './harness.mjs';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const SECRET = 'TOPSECRET-outside-the-web-root';

let k;
let off;
let dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'web-'));
  // Started as root, kompasd serves as another account, which must be able
  // to read the web root (as on a real server).
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'js', 'pages'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Kompas</title>\n');
  fs.writeFileSync(path.join(root, 'js', 'app.js'), 'export const x = 1;\n');
  fs.writeFileSync(path.join(root, 'js', 'pages', 'queue.js'), 'export const q = 2;\n');
  fs.writeFileSync(path.join(root, 'style.css'), 'body { margin: 0; }\n');
  fs.writeFileSync(path.join(root, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  fs.writeFileSync(path.join(root, 'icon.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  fs.writeFileSync(path.join(root, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  fs.writeFileSync(path.join(root, 'da.json'), '{"hello":"hej"}');
  fs.writeFileSync(path.join(root, 'app.webmanifest'), '{"name":"Kompas"}');
  fs.writeFileSync(path.join(root, 'robots.txt'), 'User-agent: *\n');
  fs.writeFileSync(path.join(root, 'README.md'), '# not served\n');
  fs.writeFileSync(path.join(root, '.env'), `${SECRET}\n`);
  fs.mkdirSync(path.join(root, '.git'));
  fs.writeFileSync(path.join(root, '.git', 'config.txt'), `${SECRET}\n`);
  fs.writeFileSync(path.join(dir, 'secret.txt'), `${SECRET}\n`);
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'link.txt'));
  fs.symlinkSync(dir, path.join(root, 'up'));
  k = await startKompasd({ env: { KOMPAS_PATHS_WEB_ROOT: root } });
  off = await startKompasd({ env: { KOMPAS_PATHS_WEB_ROOT: '' } });
});
after(async () => {
  const stops = await Promise.allSettled([k?.stop(), off?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const s of stops) {
    if (s.status === 'rejected') throw s.reason;
    if (s.value) assert.equal(s.value.code, 0);
  }
});

test('/app/ is index.html, as HTML that is revalidated, with the client CSP', async () => {
  const res = await k.fetch('/app/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.equal(res.headers.get('content-security-policy'), CSP);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('etag'), /^"[0-9a-f]+-[0-9a-f]+\.[0-9a-f]+"$/);
  assert.equal(await res.text(), '<!doctype html><title>Kompas</title>\n');
  const same = await k.fetch('/app/index.html');
  assert.equal(same.headers.get('etag'), res.headers.get('etag'));
});

test('/app redirects to /app/ with 308', async () => {
  const res = await k.fetch('/app', { redirect: 'manual' });
  assert.equal(res.status, 308);
  assert.equal(res.headers.get('location'), '/app/');
});

test('content types come from the extension; assets may be cached for five minutes', async () => {
  const cases = [
    ['js/app.js', 'text/javascript; charset=utf-8', 'export const x = 1;\n'],
    ['js/pages/queue.js', 'text/javascript; charset=utf-8', 'export const q = 2;\n'],
    ['style.css', 'text/css; charset=utf-8', 'body { margin: 0; }\n'],
    ['logo.svg', 'image/svg+xml', null],
    ['icon.png', 'image/png', null],
    ['favicon.ico', 'image/x-icon', null],
    ['da.json', 'application/json', '{"hello":"hej"}'],
    ['app.webmanifest', 'application/manifest+json', null],
    ['robots.txt', 'text/plain; charset=utf-8', 'User-agent: *\n'],
  ];
  for (const [p, type, body] of cases) {
    const res = await k.fetch(`/app/${p}`);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers.get('content-type'), type, p);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300', p);
    assert.equal(res.headers.get('content-security-policy'), CSP, p);
    if (body !== null) assert.equal(await res.text(), body, p);
    else await res.arrayBuffer();
  }
});

test('If-None-Match with the ETag answers 304 without a body; another ETag gets the file', async () => {
  const first = await k.fetch('/app/js/app.js');
  const etag = first.headers.get('etag');
  await first.text();
  const again = await k.fetch('/app/js/app.js', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('etag'), etag);
  assert.equal(await again.text(), '');
  const weak = await k.fetch('/app/js/app.js', { headers: { 'If-None-Match': `"x", W/${etag}` } });
  assert.equal(weak.status, 304);
  const other = await k.fetch('/app/js/app.js', { headers: { 'If-None-Match': '"0-0.0"' } });
  assert.equal(other.status, 200);
  assert.equal(await other.text(), 'export const x = 1;\n');
});

test('HEAD answers the headers without the body', async () => {
  const res = await k.fetch('/app/style.css', { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal(await res.text(), '');
});

test('missing files, folders, dot-files, unknown types and symlinks are 404', async () => {
  for (const p of ['nope.js', 'js', 'js/pages', '.env', '.git/config.txt', 'README.md',
    'link.txt', 'up/secret.txt', 'up/root/index.html']) {
    const res = await k.fetch(`/app/${p}`);
    assert.equal(res.status, 404, p);
    const text = await res.text();
    assert.ok(!text.includes(SECRET), p);
    assert.equal(JSON.parse(text).code, 'not_found', p);
  }
  await expectProblem(assert, await k.fetch('/app/nope.html'), 404, 'not_found');
});

// Raw requests: fetch would normalise the dot segments away before sending.
async function raw(target) {
  const text = await rawRequest(k.port, [`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`]);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, text };
}

test('traversal attempts, plain or encoded, are refused and never show a file outside the root', async () => {
  const attempts = [
    '/app/../secret.txt', '/app/js/../../secret.txt', '/app/./index.html', '/app/js//app.js',
    '/app/%2e%2e/secret.txt', '/app/%2E%2E/%2e%2e/etc/passwd', '/app/..%2fsecret.txt',
    '/app/js%2f..%2f..%2fsecret.txt', '/app/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/app/..%5csecret.txt', '/app/..\\secret.txt', '/app/%252e%252e/secret.txt',
    '/app/../../../../../../etc/passwd', '/app/%00', '/app/js/app.js%00',
    '/app/%2e%65nv', '/app/%2egit/config.txt', '/app/up%2fsecret.txt', '/app/index.html%00.txt', '/app/up%00/secret.txt',
  ];
  for (const target of attempts) {
    const { status, text } = await raw(target);
    assert.ok(status >= 400 && status < 500, `${target}: ${status}`);
    assert.ok(!text.includes(SECRET), target);
    assert.ok(!text.includes('root:x:0:0'), target);
    assert.match(text, /content-type: application\/problem\+json/i, target);
  }
  assert.equal((await raw('/app/../secret.txt')).status, 400);
  assert.equal((await raw('/app/%2e%2e/secret.txt')).status, 400);
  assert.equal((await raw('/app/..%5csecret.txt')).status, 400);
  assert.equal((await raw('/app/%2e%65nv')).status, 404);
  // a NUL never cuts the path short: /app/index.html%00.txt is not index.html
  assert.equal((await raw('/app/index.html%00.txt')).status, 400);
  assert.equal((await raw('/app/%00')).status, 400);
});

test('the API keeps its own strict CSP and no-store', async () => {
  const res = await k.fetch('/v1');
  assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  assert.equal(res.headers.get('cache-control'), 'no-store');
  await res.text();
});

test('other methods are 405; with web_root empty the client is not served', async () => {
  const post = await k.fetch('/app/js/app.js', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  await post.text();
  await expectProblem(assert, await off.fetch('/app/'), 404, 'route_not_found');
  await expectProblem(assert, await off.fetch('/app/index.html'), 404, 'route_not_found');
  await expectProblem(assert, await off.fetch('/app', { redirect: 'manual' }), 404, 'route_not_found');
});
