#!/usr/bin/env node
// webhook-receiver.mjs - the portal's end of "status back to the portal": a
// small HTTP server that takes kompasd's webhook deliveries, verifies them
// exactly as kompasd signs them, and prints each verified event once.
//
// kompasd's scheme (api/jobs/webhooks.c): every delivery is a POST with
//   Kompas-Event-Id:   the event's id (also "event_id" in the body)
//   Kompas-Timestamp:  Unix seconds when it was signed
//   Kompas-Signature:  v1=hex(HMAC-SHA256(secret, "<timestamp>.<raw body>"))
// where the secret is the whole "whsec_..." text shown once when the
// webhook was registered. Delivery is at least once: the same event may
// come again (a retry, a replay), so the receiver deduplicates by event id.
//
// Answers: 204 a new verified event; 200 a verified event already seen;
// 401 a missing or bad signature or a stale timestamp; 400 a body that is
// not the event it claims; 404/405/413 wrong path, method or size.
// Prints one JSON line per verified event on stdout
// ({"verified":true,"duplicate":false,"event":{...}}) and one line per
// rejection on stderr. See README.md.
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { ClientError, EXIT, parseArgs, run } from './kompas.mjs';

const USAGE = `Usage: webhook-receiver.mjs [--host HOST] [--port PORT] [--path PATH]
         [--tolerance SECONDS] [--seen-file FILE]

Environment: KOMPAS_WEBHOOK_SECRET (the whsec_... secret shown when the
webhook was registered) or KOMPAS_WEBHOOK_SECRET_FILE (whsec_ secrets, one a
line, read again for every delivery: a new secret needs no restart).
Defaults: --host 127.0.0.1 --port 8787 (0: any free port) --path /kompas/webhook
--tolerance 300 (a signature older or newer than this is refused).
--seen-file keeps the ids of handled events across restarts (one per line).
On start prints {"listening":"http://HOST:PORT/PATH"} on stdout.`;

const MAX_BODY = 64 * 1024;

// The secrets a delivery may be signed with: KOMPAS_WEBHOOK_SECRET, or the
// whsec_ lines of KOMPAS_WEBHOOK_SECRET_FILE, read again for every delivery
// so that a new secret (a webhook registered anew) takes effect without a
// restart; during a change the file holds the old and the new one.
function secretSource(env = process.env) {
  const check = (list, where) => {
    const bad = list.find((x) => !x.startsWith('whsec_'));
    if (bad !== undefined || list.length === 0) {
      throw new ClientError(`${where} holds no webhook secret (whsec_..., one a line)`, EXIT.USAGE);
    }
    return list;
  };
  if (env.KOMPAS_WEBHOOK_SECRET) {
    const one = check([env.KOMPAS_WEBHOOK_SECRET.trim()], 'KOMPAS_WEBHOOK_SECRET');
    return () => one;
  }
  const file = env.KOMPAS_WEBHOOK_SECRET_FILE;
  if (!file) throw new ClientError('KOMPAS_WEBHOOK_SECRET (or KOMPAS_WEBHOOK_SECRET_FILE) is not set', EXIT.USAGE);
  const read = () => {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ClientError(`cannot read KOMPAS_WEBHOOK_SECRET_FILE: ${e.message}`, EXIT.USAGE);
    }
    return check(text.split('\n').map((l) => l.trim()).filter(Boolean), file);
  };
  read();
  return read;
}

// Verify one delivery. Returns null when it is genuine and fresh, else the
// reason. rawBody is a Buffer: the signature covers the exact bytes.
function verify(secrets, headers, rawBody, { toleranceS = 300, nowS = Date.now() / 1000 } = {}) {
  const ts = headers['kompas-timestamp'];
  const sig = headers['kompas-signature'];
  if (typeof ts !== 'string' || !/^[0-9]{1,12}$/.test(ts)) return 'missing or malformed Kompas-Timestamp';
  if (typeof sig !== 'string') return 'missing Kompas-Signature';
  // Several "v1=..." may come, comma-separated, and several secrets may be
  // configured; one pair must match. Every pair is compared in constant
  // time (timingSafeEqual over digests of equal length).
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${ts}.`).update(rawBody).digest();
    for (const part of sig.split(',')) {
      const m = /^\s*v1=([0-9a-f]{64})\s*$/.exec(part);
      if (!m) continue;
      const given = Buffer.from(m[1], 'hex');
      if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
    }
  }
  if (!ok) return 'signature does not match';
  if (Math.abs(nowS - Number(ts)) > toleranceS) return 'timestamp outside the tolerance (stale or replayed)';
  return null;
}

function loadSeen(file) {
  const seen = new Set();
  if (!file) return seen;
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line) seen.add(line.trim());
  } catch (e) {
    if (e.code !== 'ENOENT') throw new ClientError(`cannot read --seen-file: ${e.message}`, EXIT.USAGE);
  }
  return seen;
}

function reject(res, status, why, req) {
  process.stderr.write(`${JSON.stringify({ rejected: true, status, reason: why, event_id: req.headers['kompas-event-id'] || null, from: req.socket.remoteAddress })}\n`);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${why}\n`);
}

// What the portal does with a verified event: here, print it. A real
// portal updates the citizen's page for event.portal_reference.
function handle(event, duplicate) {
  process.stdout.write(`${JSON.stringify({ verified: true, duplicate, event })}\n`);
}

function makeServer({ secret, path, toleranceS, seen, seenFile }) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://receiver');
    if (url.pathname !== path) { reject(res, 404, 'no such path', req); req.resume(); return; }
    if (req.method !== 'POST') { res.setHeader('Allow', 'POST'); reject(res, 405, 'POST only', req); req.resume(); return; }
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) { reject(res, 413, 'body too large', req); return; }
      const raw = Buffer.concat(chunks);
      let secrets;
      try {
        secrets = secret();
      } catch (e) {
        reject(res, 500, e.message, req); // kompasd will retry
        return;
      }
      const why = verify(secrets, req.headers, raw, { toleranceS });
      if (why) { reject(res, 401, why, req); return; }
      let event;
      try {
        event = JSON.parse(raw.toString('utf8'));
      } catch {
        reject(res, 400, 'body is not JSON', req);
        return;
      }
      if (!event || typeof event.event_id !== 'string' || event.event_id !== req.headers['kompas-event-id']) {
        reject(res, 400, 'Kompas-Event-Id does not match the body', req);
        return;
      }
      const duplicate = seen.has(event.event_id);
      handle(event, duplicate);
      if (!duplicate) {
        seen.add(event.event_id);
        if (seenFile) appendFileSync(seenFile, `${event.event_id}\n`);
      }
      res.writeHead(duplicate ? 200 : 204);
      res.end();
    });
  });
}

async function main(argv) {
  const { opts, rest } = parseArgs(argv, {
    host: 'string', port: 'string', path: 'string', tolerance: 'string', 'seen-file': 'string', help: 'boolean',
  });
  if (opts.help) { process.stdout.write(`${USAGE}\n`); return; }
  if (rest.length > 0) throw new ClientError(`unexpected argument ${rest[0]} (see --help)`, EXIT.USAGE);
  const port = opts.port === undefined ? 8787 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ClientError('--port is 0-65535', EXIT.USAGE);
  const toleranceS = opts.tolerance === undefined ? 300 : Number(opts.tolerance);
  if (!Number.isInteger(toleranceS) || toleranceS < 1) throw new ClientError('--tolerance is a whole number of seconds', EXIT.USAGE);
  const path = opts.path || '/kompas/webhook';
  if (!path.startsWith('/')) throw new ClientError('--path starts with /', EXIT.USAGE);
  const host = opts.host || '127.0.0.1';
  const seenFile = opts['seen-file'];
  const server = makeServer({ secret: secretSource(), path, toleranceS, seen: loadSeen(seenFile), seenFile });
  await new Promise((resolve, rejectListen) => {
    server.once('error', (e) => rejectListen(new ClientError(`cannot listen on ${host}:${port}: ${e.message}`, EXIT.USAGE)));
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  process.stdout.write(`${JSON.stringify({ listening: `http://${shownHost}:${addr.port}${path}` })}\n`);
  const stop = () => { server.close(() => process.exit(0)); server.closeIdleConnections(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

run('webhook-receiver', main);
