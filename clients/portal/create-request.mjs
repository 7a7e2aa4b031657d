#!/usr/bin/env node
// create-request.mjs - what the socialkompas portal does when a citizen asks
// for a Kompasguide: POST /v1/requests with the portal's integration key and
// the portal's own reference, under an Idempotency-Key so that a retry after
// a lost answer never makes a second request. Prints the new request's id
// and citizen-safe status as JSON. See README.md.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { api, ClientError, EXIT, parseArgs, portalKey, run } from './kompas.mjs';

const USAGE = `Usage: create-request.mjs [--file REQUEST.json] [--reference REF] [--name NAME]
         [--phone PHONE] [--email EMAIL] [--address ADDRESS] [--notes TEXT]
         [--postal-code NNNN] [--age-band BAND] [--language CODE]
         [--contact-preference phone|email|sms|letter] [--heard-from WHERE]
         [--consent PURPOSE[,PURPOSE...]] [--consent-text-version V]
         [--idempotency-key KEY] [--retries N]

Creates a citizen's request in Kompas as the centre's socialkompas portal.
Environment: KOMPAS_URL (the server), KOMPAS_PORTAL_KEY (or
KOMPAS_PORTAL_KEY_FILE) - the key never goes on the command line.

--file holds the request body as JSON (portal_reference, citizen {name,
phone, email, address, notes}, postal_code, age_band, ...); flags override
its fields. The Idempotency-Key defaults to one derived from the reference,
so running the same submission again answers the same request.

Prints {"id", "portal_reference", "status", "created_at", "created"} on
stdout; "created" is false when the request already existed.
Exit: 0 ok, 1 bad usage/input, 2 key refused, 3 server unreachable or
failing, 4 request refused (the problem's detail is printed).`;

const OPTIONS = {
  file: 'string', reference: 'string', name: 'string', phone: 'string', email: 'string',
  address: 'string', notes: 'string', 'postal-code': 'string', 'age-band': 'string',
  language: 'string', 'contact-preference': 'string', 'heard-from': 'string',
  consent: 'string', 'consent-text-version': 'string', 'idempotency-key': 'string',
  retries: 'string', help: 'boolean',
};

function readBody(file) {
  if (!file) return {};
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ClientError(`cannot read ${file}: ${e.message}`, EXIT.USAGE);
  }
  try {
    const body = JSON.parse(text);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    return body;
  } catch (e) {
    throw new ClientError(`${file} is not a JSON object: ${e.message}`, EXIT.USAGE);
  }
}

// The body from --file with the flags on top.
function buildBody(opts) {
  const body = readBody(opts.file);
  const citizen = { ...(body.citizen || {}) };
  const set = (obj, field, v) => { if (v !== undefined) obj[field] = v; };
  set(body, 'portal_reference', opts.reference);
  set(citizen, 'name', opts.name);
  set(citizen, 'phone', opts.phone);
  set(citizen, 'email', opts.email);
  set(citizen, 'address', opts.address);
  set(citizen, 'notes', opts.notes);
  body.citizen = citizen;
  set(body, 'postal_code', opts['postal-code']);
  set(body, 'age_band', opts['age-band']);
  set(body, 'preferred_language', opts.language);
  set(body, 'contact_preference', opts['contact-preference']);
  set(body, 'heard_from', opts['heard-from']);
  if (opts.consent !== undefined) {
    const version = opts['consent-text-version'] || '1';
    body.consents = opts.consent.split(',').filter(Boolean).map((purpose) => ({ purpose, given: true, text_version: version }));
  }
  if (typeof body.portal_reference !== 'string' || body.portal_reference === '') {
    throw new ClientError('the portal\'s own reference is required (--reference or portal_reference in --file)', EXIT.USAGE);
  }
  if (typeof citizen.name !== 'string' || citizen.name === '') {
    throw new ClientError('the citizen\'s name is required (--name or citizen.name)', EXIT.USAGE);
  }
  if (!citizen.phone && !citizen.email && !citizen.address) {
    throw new ClientError('give a phone number, an e-mail or an address for the citizen', EXIT.USAGE);
  }
  return body;
}

// A stable Idempotency-Key for a reference: 1-100 visible ASCII characters
// whatever the reference holds.
function keyForReference(reference) {
  return `portal-${createHash('sha256').update(reference, 'utf8').digest('hex').slice(0, 40)}`;
}

async function main(argv) {
  const { opts, rest } = parseArgs(argv, OPTIONS);
  if (opts.help) { process.stdout.write(`${USAGE}\n`); return; }
  if (rest.length > 0) throw new ClientError(`unexpected argument ${rest[0]} (see --help)`, EXIT.USAGE);
  const retries = opts.retries === undefined ? 3 : Number(opts.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new ClientError('--retries is 0-10', EXIT.USAGE);
  const key = portalKey();
  const body = buildBody(opts);
  const idem = opts['idempotency-key'] || keyForReference(body.portal_reference);
  if (!/^[\x21-\x7e]{1,100}$/.test(idem)) throw new ClientError('--idempotency-key must be 1-100 visible ASCII characters', EXIT.USAGE);
  const res = await api('POST', '/v1/requests', { key, body, retries, headers: { 'Idempotency-Key': idem } });
  const r = res.body;
  process.stdout.write(`${JSON.stringify({
    id: r.id,
    portal_reference: r.portal_reference,
    status: r.status,
    created_at: r.created_at,
    created: res.status === 201 && res.headers.get('idempotent-replayed') !== 'true',
    replayed: res.headers.get('idempotent-replayed') === 'true',
  })}\n`);
}

run('create-request', main);
