#!/usr/bin/env node
// request-status.mjs - what the portal shows the citizen: GET
// /v1/requests/{id}/status with the portal's key. The answer holds no
// personal data: id, the portal's reference, a status (received,
// in_progress, closed, withdrawn) and when it was made and last changed.
//
// By id only: Kompas has no lookup by reference for portals (a portal may
// not list requests), so the portal keeps the id create-request.mjs printed
// next to its own reference. See README.md.
import { api, ClientError, EXIT, parseArgs, portalKey, run } from './kompas.mjs';

const USAGE = `Usage: request-status.mjs [--retries N] REQUEST_ID

Prints the citizen-safe status of one request as JSON.
Environment: KOMPAS_URL, KOMPAS_PORTAL_KEY (or KOMPAS_PORTAL_KEY_FILE).
Exit: 0 ok, 1 bad usage, 2 key refused, 3 server unreachable or failing,
4 no such request (of this centre).`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(argv) {
  const { opts, rest } = parseArgs(argv, { help: 'boolean', retries: 'string', id: 'string' });
  if (opts.help) { process.stdout.write(`${USAGE}\n`); return; }
  const id = opts.id || rest[0];
  if (!id || rest.length > (opts.id ? 0 : 1)) throw new ClientError('give one request id (see --help)', EXIT.USAGE);
  if (!UUID.test(id)) throw new ClientError(`not a request id: ${id}`, EXIT.USAGE);
  const retries = opts.retries === undefined ? 2 : Number(opts.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new ClientError('--retries is 0-10', EXIT.USAGE);
  const key = portalKey();
  const res = await api('GET', `/v1/requests/${id.toLowerCase()}/status`, { key, retries });
  const r = res.body;
  process.stdout.write(`${JSON.stringify({
    id: r.id, portal_reference: r.portal_reference, status: r.status, created_at: r.created_at, updated_at: r.updated_at,
  })}\n`);
}

run('request-status', main);
