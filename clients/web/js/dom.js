// dom.js - building the page without innerHTML or inline styles (the CSP
// allows neither), labelled form fields, progress states and problem details.
import { t, problemCodeText } from './i18n.js';
import { ApiError } from './api.js';

// h('tag.class#id', {attr: value, onclick: fn}, ...children)
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldSeq = 0;

// A labelled field: {name, label, type, value, options: [[value, text]],
// required, min, max, rows, hint}. The error slot shows the API's
// per-field message next to it.
export function field(o) {
  const id = `f-${o.name.replace(/\W/g, '-')}-${++fieldSeq}`;
  let input;
  if (o.type === 'select') {
    input = h('select', { id, name: o.name, required: o.required });
    for (const [v, text] of o.options) input.append(h('option', { value: v, selected: String(v) === String(o.value ?? '') }, text));
  } else if (o.type === 'textarea') {
    input = h('textarea', { id, name: o.name, rows: String(o.rows || 3), required: o.required, maxlength: o.maxlength });
    input.value = o.value ?? '';
  } else if (o.type === 'checkbox') {
    input = h('input', { id, name: o.name, type: 'checkbox', checked: !!o.value });
    const err = h('span.field-error', { id: `${id}-err`, 'data-error-for': o.name });
    return h('div.field.check', input, h('label', { for: id }, o.label), err);
  } else {
    input = h('input', {
      id, name: o.name, type: o.type || 'text', required: o.required, min: o.min, max: o.max, step: o.step,
      autocomplete: o.autocomplete, inputmode: o.inputmode, placeholder: o.placeholder,
    });
    if (o.value !== undefined && o.value !== null) input.value = o.value;
  }
  input.setAttribute('aria-describedby', `${id}-err`);
  return h('div.field', h('label', { for: id }, o.label), o.hint ? h('small.hint', o.hint) : null, input,
    h('span.field-error', { id: `${id}-err`, 'data-error-for': o.name }));
}

// The values of a form's named fields: numbers for type=number, booleans for
// checkboxes, trimmed text. Fields left empty are left out (never null:
// the API refuses null where a value must be a string, so what it gets is
// only what was filled in).
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.value.trim() === '') continue;
    else if (el.type === 'number') out[el.name] = Number(el.value);
    else out[el.name] = el.type === 'password' ? el.value : el.value.trim();
  }
  return out;
}

// The text for an API error: in the interface language from the problem's
// stable code (lib/errors.c), else its detail (or title), or a network
// message.
export function problemText(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('app.network');
    return problemCodeText(err.problem.code) || err.problem.detail || err.problem.title || `${t('app.error')} (${err.status})`;
  }
  return `${t('app.error')}: ${err.message}`;
}

// The text of one field error ({field, code, message}): from its code, with
// the limit read from the API's English message ("at most 200").
export function fieldErrorText(fe) {
  const n = /(?:at (?:least|most)|above|below|than) (-?\d+(?:\.\d+)?)/.exec(fe.message || '')?.[1];
  return problemCodeText(fe.code, n === undefined ? undefined : Number(n)) || fe.message || fe.code;
}

// Show err in container (an element with a .form-error slot, usually a
// form): the problem's text on top, each field error next to its field.
export function showProblem(container, err) {
  clearProblem(container);
  let box = container.querySelector(':scope > .form-error');
  if (!box) {
    box = h('div.form-error', { role: 'alert' });
    container.prepend(box);
  }
  const fields = err instanceof ApiError ? err.problem.errors || [] : [];
  box.append(h('strong', problemText(err)));
  let placed = 0;
  for (const fe of fields) {
    const slot = container.querySelector(`[data-error-for="${CSS.escape(fe.field)}"]`);
    if (slot) {
      slot.textContent = fieldErrorText(fe);
      const input = slot.parentElement.querySelector('input, select, textarea');
      if (input) input.setAttribute('aria-invalid', 'true');
      placed++;
    } else {
      box.append(h('div', `${fe.field}: ${fieldErrorText(fe)}`));
    }
  }
  if (placed) box.append(h('div', t('err.fix')));
  box.hidden = false;
  box.scrollIntoView?.({ block: 'nearest' });
}

export function clearProblem(container) {
  const box = container.querySelector(':scope > .form-error');
  if (box) { box.replaceChildren(); box.hidden = true; }
  for (const s of container.querySelectorAll('.field-error')) s.textContent = '';
  for (const i of container.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

// Run fn while button (and its form) shows progress: disabled, aria-busy,
// a spinner class. Resolves with fn's result; rethrows its error.
export async function busy(button, fn, container) {
  const holder = container || button?.closest('form, section') || document.body;
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); button.classList.add('busy'); }
  holder.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    if (button) { button.disabled = false; button.removeAttribute('aria-busy'); button.classList.remove('busy'); }
    holder.removeAttribute('aria-busy');
  }
}

// A form that submits through fn(values) with progress and problem display.
export function form(fields, submitLabel, fn, { cls = '' } = {}) {
  const btn = h('button.primary', { type: 'submit' }, submitLabel);
  const f = h(`form${cls}`, { novalidate: true }, h('div.form-error', { role: 'alert', hidden: true }), fields, h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    try {
      await busy(btn, () => fn(formValues(f), f), f);
    } catch (err) {
      showProblem(f, err);
    }
  });
  return f;
}

export function flash(text, kind = 'ok') {
  const el = document.getElementById('flash');
  clear(el, h(`div.flash.${kind}`, text));
}

export function section(title, ...children) {
  const id = `s-${++fieldSeq}`;
  return h('section.card', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export const today = () => new Date().toISOString().slice(0, 10);
