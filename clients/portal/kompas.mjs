// kompas.mjs - the little a portal needs to talk to kompasd: where it is, the
// portal's key, one call with clear errors. Node 18+ (fetch), no packages.
//
// Exit codes shared by the portal scripts:
//   0 done, 1 bad usage or input, 2 the key was refused (401/403),
//   3 the server could not be reached (or answered 5xx after the retries),
//   4 the server refused the request (another 4xx: validation, not found).
import { readFileSync } from 'node:fs';

export const EXIT = { OK: 0, USAGE: 1, AUTH: 2, UNREACHABLE: 3, REFUSED: 4 };

// An error the scripts print as one message and exit with its code.
export class ClientError extends Error {
  constructor(message, exitCode, problem = null) {
    super(message);
    this.exitCode = exitCode;
    this.problem = problem;
  }
}

// The server's base URL from KOMPAS_URL (no trailing slash, no /v1).
export function baseUrl(env = process.env) {
  const url = env.KOMPAS_URL;
  if (!url) throw new ClientError('KOMPAS_URL is not set (e.g. https://kompas.example.dk)', EXIT.USAGE);
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new ClientError(`KOMPAS_URL is not a URL: ${url}`, EXIT.USAGE);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new ClientError(`KOMPAS_URL must be http(s): ${url}`, EXIT.USAGE);
  }
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

// The portal's integration key from KOMPAS_PORTAL_KEY, or from the file
// named by KOMPAS_PORTAL_KEY_FILE (first line). Never from the command line:
// other users of the machine see it there (ps).
export function portalKey(env = process.env) {
  let key = env.KOMPAS_PORTAL_KEY;
  if (!key && env.KOMPAS_PORTAL_KEY_FILE) {
    try {
      key = readFileSync(env.KOMPAS_PORTAL_KEY_FILE, 'utf8').split('\n')[0].trim();
    } catch (e) {
      throw new ClientError(`cannot read KOMPAS_PORTAL_KEY_FILE: ${e.message}`, EXIT.USAGE);
    }
  }
  if (!key) throw new ClientError('KOMPAS_PORTAL_KEY (or KOMPAS_PORTAL_KEY_FILE) is not set', EXIT.USAGE);
  if (!/^kpk_[A-Za-z0-9_-]+$/.test(key)) {
    throw new ClientError('the portal key does not look like a Kompas integration key (kpk_...)', EXIT.USAGE);
  }
  return key;
}

// One line for an RFC 9457 problem: "422 validation_failed: detail" plus a
// line per field error, and the request id to quote to the centre.
export function describeProblem(status, problem) {
  if (!problem || typeof problem !== 'object') return `the server answered ${status}`;
  let text = `${status} ${problem.code || 'error'}: ${problem.detail || problem.title || ''}`.trim();
  for (const e of Array.isArray(problem.errors) ? problem.errors : []) {
    text += `\n  ${e.field}: ${e.message || e.code}`;
  }
  if (problem.request_id) text += `\n  (request id ${problem.request_id})`;
  return text;
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// Call the API: method, path (starting /v1), an optional JSON body and extra
// headers. Retries a lost connection or a 5xx answer `retries` times with
// backoff (safe for GET, and for POST only with an Idempotency-Key).
// Resolves { status, headers, body } for 2xx; throws ClientError otherwise.
export async function api(method, path, { key, body, headers = {}, retries = 0, env = process.env } = {}) {
  const url = `${baseUrl(env)}${path}`;
  const h = { Accept: 'application/json', ...headers };
  if (key) h.Authorization = `Bearer ${key}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (attempt < retries) { await delay(250 * 2 ** attempt); continue; }
      const why = e.cause?.code || e.cause?.message || e.message;
      throw new ClientError(`cannot reach ${baseUrl(env)}: ${why}`, EXIT.UNREACHABLE);
    }
    const text = await res.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
    if (res.ok) return { status: res.status, headers: res.headers, body: parsed };
    if (res.status >= 500 && attempt < retries) { await delay(250 * 2 ** attempt); continue; }
    const msg = describeProblem(res.status, parsed);
    if (res.status === 401) throw new ClientError(`the key was refused: ${msg}`, EXIT.AUTH, parsed);
    if (res.status === 403) throw new ClientError(`the key may not do this: ${msg}`, EXIT.AUTH, parsed);
    if (res.status >= 500) throw new ClientError(`the server failed: ${msg}`, EXIT.UNREACHABLE, parsed);
    throw new ClientError(msg, EXIT.REFUSED, parsed);
  }
}

// Parse --name value / --name=value / --flag options against a list of
// known names ({name: 'string' | 'boolean'}); returns { opts, rest }.
export function parseArgs(argv, known) {
  const opts = {};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { rest.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (!(name in known)) throw new ClientError(`unknown option --${name} (see --help)`, EXIT.USAGE);
    if (known[name] === 'boolean') { opts[name] = true; continue; }
    const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new ClientError(`--${name} needs a value`, EXIT.USAGE);
    opts[name] = v;
  }
  return { opts, rest };
}

// Run main() and turn a ClientError into a message on stderr and its exit
// code; anything else is a bug (exit 70, with the stack).
export async function run(prog, main) {
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ClientError) {
      process.stderr.write(`${prog}: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`${prog}: unexpected error: ${e.stack || e}\n`);
    process.exitCode = 70;
  }
}
