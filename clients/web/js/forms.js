// forms.js - what a create or edit form sends: a new resource leaves out
// the optional fields left empty (the API refuses null where a value must
// be a string); a merge patch carries only the members that changed (an
// emptied one as null, which clears it). Also checkbox groups (several
// values under one name) and Copenhagen wall-clock times for date and
// time inputs.
import { h } from './dom.js';

let seq = 0;

// The values of a form's named fields: arrays for checkbox groups
// (inputs with data-multi), booleans for single checkboxes, numbers for
// type=number, trimmed text; null for empty ones.
export function readForm(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.dataset.multi !== undefined) {
      if (!(el.name in out)) out[el.name] = [];
      if (el.checked) out[el.name].push(el.value);
    } else if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'radio') { if (el.checked) out[el.name] = el.value; else if (!(el.name in out)) out[el.name] = null; }
    else if (el.value.trim() === '') out[el.name] = null;
    else if (el.type === 'number') out[el.name] = Number(el.value);
    else out[el.name] = el.value.trim();
  }
  return out;
}

const empty = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

// The body of a POST: every member with a value; empty ones left out.
export function createBody(values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) if (!empty(v)) out[k] = v;
  return out;
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// A merge patch from original to values: only the members that changed; an
// emptied one becomes null (an emptied list []). Members of values that
// original lacks are compared with null.
export function patchBody(original, values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) {
    const now = Array.isArray(v) ? v : (empty(v) ? null : v);
    const was = Array.isArray(original[k]) ? original[k] : (empty(original[k]) ? null : original[k]);
    if (Array.isArray(now) || Array.isArray(was)) {
      if (!same([...(now || [])].sort(), [...(was || [])].sort())) out[k] = now || [];
    } else if (!same(now, was)) out[k] = now;
  }
  return out;
}

// Field names the API reports per item or member ("postal_areas[2]",
// "availability[1].ends") shown at the nearest slot the form has: the
// item's row ("availability[1]") or the field of the whole list.
export function foldItemErrors(err, form) {
  const has = (f) => form.querySelector(`[data-error-for="${CSS.escape(f)}"]`);
  for (const fe of err?.problem?.errors || []) {
    let f = fe.field || '';
    while (!has(f) && /(\.\w+|\[\d+\])$/.test(f)) f = f.replace(/(\.\w+|\[\d+\])$/, '');
    if (has(f)) fe.field = f;
  }
  return err;
}

// A group of checkboxes under one name (a fieldset with a legend and an
// error slot): options [[value, text]], checked the values ticked.
export function checkGroup({ name, label, options, checked = [], hint }) {
  const id = `g-${name}-${++seq}`;
  return h('fieldset.checks', { 'aria-describedby': `${id}-err` },
    h('legend', label), hint ? h('small.hint', hint) : null,
    h('div.check-options', options.map(([v, text]) => {
      const cid = `${id}-${String(v).replace(/\W/g, '-')}`;
      return h('span.check-option',
        h('input', { type: 'checkbox', id: cid, name, value: v, 'data-multi': '', checked: checked.includes(v) }),
        h('label', { for: cid }, text));
    })),
    h('span.field-error', { id: `${id}-err`, 'data-error-for': name }));
}

// --- Copenhagen wall-clock time ----------------------------------------------

const TZ = 'Europe/Copenhagen';
const pad = (n) => String(n).padStart(2, '0');

// Minutes Copenhagen is ahead of UTC at the instant ms.
function offsetAt(ms) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: TZ, timeZoneName: 'longOffset' })
    .formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value || '';
  const m = /([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '+' ? 1 : -1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

// RFC 3339 with Copenhagen's offset for a local date (YYYY-MM-DD) and time
// (HH:MM): "2026-12-03T10:00:00+01:00".
export function cphIso(date, time) {
  const local = Date.parse(`${date}T${time}:00Z`);
  let off = offsetAt(local - 60 * 60000);
  off = offsetAt(local - off * 60000);
  const a = Math.abs(off);
  return `${date}T${time}:00${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

// The Copenhagen date and time of an instant: { date: YYYY-MM-DD, time: HH:MM }.
export function cphParts(iso) {
  const d = new Date(iso);
  const date = d.toLocaleDateString('sv-SE', { timeZone: TZ });
  const time = d.toLocaleTimeString('sv-SE', { timeZone: TZ, hour: '2-digit', minute: '2-digit' });
  return { date, time };
}

// Today in Copenhagen, YYYY-MM-DD.
export const cphToday = () => new Date().toLocaleDateString('sv-SE', { timeZone: TZ });
