// availability.test.mjs - kompasd holds up under hostile clients (issue 15):
// a chunked body over the limit is answered 413 at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startKompasd } from './harness.mjs';

const started = [];
after(async () => { for (const k of started) await k.stop(); });

async function kompasd(env = {}) {
  const k = await startKompasd({ env });
  started.push(k);
  return k;
}

// Open a raw connection (optionally from a given local address); resolves
// when connected. sock.text() resolves with everything read until the
// server closes; sock.answer() resolves with the first complete HTTP answer
// head (and body, by Content-Length) as soon as it has arrived.
function connect(port, { localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    let data = Buffer.alloc(0);
    let closed = false;
    const waiters = [];
    const check = () => {
      for (const w of [...waiters]) if (w()) waiters.splice(waiters.indexOf(w), 1);
    };
    sock.on('data', (d) => { data = Buffer.concat([data, d]); check(); });
    sock.on('error', () => {});
    sock.on('close', () => { closed = true; check(); });
    sock.closedPromise = new Promise((r) => sock.once('close', r));
    sock.isClosed = () => closed;
    sock.answer = () => new Promise((res, rej) => {
      const w = () => {
        const text = data.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end >= 0) {
          const head = text.slice(0, end);
          const lines = head.split('\r\n');
          const status = Number(lines[0].split(' ')[1]);
          const headers = {};
          for (const l of lines.slice(1)) {
            const i = l.indexOf(':');
            headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
          }
          const len = Number(headers['content-length'] || 0);
          if (text.length >= end + 4 + len) {
            res({ status, headers, body: text.slice(end + 4, end + 4 + len) });
            return true;
          }
        }
        if (closed) { rej(new Error(`closed without a complete answer: ${JSON.stringify(text.slice(0, 200))}`)); return true; }
        return false;
      };
      if (!w()) waiters.push(w);
    });
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

test('a chunked body over the body limit is answered 413 at once, not at its end', async () => {
  // A 30 s connection timeout: an answer that came from it would be late.
  const k = await kompasd({ KOMPAS_HTTP_BODY_LIMIT: '4k', KOMPAS_HTTP_CONNECTION_TIMEOUT: '30' });
  const sock = await connect(k.port);
  const started = Date.now();
  sock.write('POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    + 'Origin: https://elsewhere.invalid\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = 'x'.repeat(3000);
  // 6000 bytes over two chunks, and the body never ends: the client waits.
  sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
  const a = await sock.answer();
  const took = Date.now() - started;
  assert.equal(a.status, 413);
  assert.match(a.headers['content-type'], /^application\/problem\+json/);
  assert.equal(a.headers.connection, 'close');
  assert.match(a.headers['x-request-id'], /^[0-9a-f]{32}$/);
  assert.equal(a.headers['cache-control'], 'no-store');
  assert.equal(a.headers.vary, 'Origin');
  const p = JSON.parse(a.body);
  assert.equal(p.code, 'body_too_large');
  assert.equal(p.status, 413);
  assert.match(p.detail, /4096 bytes/);
  assert.ok(took < 10000, `answered after ${took} ms`);
  // The server closes its side; the client closing ends the connection.
  sock.end();
  await sock.closedPromise;
  // The same request with its body finished is answered 413 too, and
  // kompasd serves the next client normally.
  const s2 = await connect(k.port);
  s2.write('POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
    + `${(2 * chunk.length).toString(16)}\r\n${chunk}${chunk}\r\n0\r\n\r\n`);
  assert.equal((await s2.answer()).status, 413);
  await s2.closedPromise;
  const res = await fetch(k.url('/healthz'));
  assert.equal(res.status, 200);
  const log = k.jsonLines().filter((l) => l.status === 413);
  assert.ok(log.length >= 2, 'the 413s are in the access log');
});
