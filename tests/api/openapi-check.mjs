// openapi-check.mjs - validate kompasd's answers against docs/openapi.yaml.
//
// Every JSON answer a test receives through Kompasd.fetch is checked
// against the schema the OpenAPI document gives for that operation and
// status (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). Violations are
// collected and make Kompasd.stop() fail, so a test file cannot pass with
// an answer the documentation does not describe.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

let compiled;

function load(root) {
  const doc = YAML.parse(readFileSync(path.join(root, 'docs/openapi.yaml'), 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi');
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths || {})) {
    const re = new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[method]) ops.push({ re, path: p, method: method.toUpperCase(), op: item[method], literal: !p.includes('{') });
    }
  }
  // literal paths win over parameterised ones, as in the route table
  ops.sort((a, b) => Number(b.literal) - Number(a.literal));
  return { doc, ajv, ops };
}

const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

// Returns null when the answer matches, else a description of the mismatch.
export function checkAnswer(root, method, urlPath, status, contentType, bodyText) {
  compiled ||= load(root);
  const { doc, ajv, ops } = compiled;
  const m = method === 'HEAD' ? 'GET' : method;
  const found = ops.find((o) => o.method === m && o.re.test(urlPath));
  if (!found) return null; // unknown paths answer 404/405: described globally
  let responses = found.op.responses || {};
  let key = String(status);
  if (!responses[key]) key = `${String(status)[0]}XX`;
  if (!responses[key]) key = 'default';
  let resp = responses[key];
  if (!resp) {
    // generic answers every operation may give (documented once in components)
    if ([401, 403, 404, 405, 413, 415, 422, 429, 503].includes(status)) return null;
    return `${m} ${found.path}: status ${status} is not documented`;
  }
  let pointer = `#/paths/${escape(found.path)}/${m.toLowerCase()}/responses/${key}`;
  while (resp.$ref) {
    pointer = resp.$ref;
    resp = resp.$ref.split('/').slice(1).reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  if (!resp.content || !bodyText) return null;
  const type = (contentType || '').split(';')[0].trim();
  if (!type.endsWith('json')) return null;
  const media = resp.content[type] || resp.content['application/json'] || resp.content['application/problem+json'];
  if (!media || !media.schema) return `${m} ${found.path} ${status}: no schema for ${type}`;
  const validate = ajv.getSchema(`openapi${pointer}/content/${escape(resp.content[type] ? type : Object.keys(resp.content)[0])}/schema`);
  if (!validate) return `${m} ${found.path} ${status}: schema not found`;
  let body;
  try { body = JSON.parse(bodyText); } catch { return `${m} ${found.path} ${status}: not JSON`; }
  if (validate(body)) return null;
  const errs = validate.errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
  return `${m} ${urlPath} ${status} does not match docs/openapi.yaml: ${errs}`;
}
