// The C sources stay readable (issue 16): no file of api/ or lib/ over
// 1,000 lines and no function over 100. A function is counted from the
// line that starts with its name (the return type is on the line before)
// to its closing brace in the first column. A file that grows past the
// limit is split by what its parts do (docs/conventions.md, "Adding an
// endpoint"); a function, into smaller ones that say what they do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.mjs';

export const MAX_FILE_LINES = 1000;
export const MAX_FUNCTION_LINES = 100;

// The functions of C source text over the limit: [{name, line, lines}].
// A definition starts at a line beginning with an identifier and "(" (not
// a continued macro or a declaration ending in ";") and ends at the first
// "}" alone on a line.
export function longFunctions(text, limit = MAX_FUNCTION_LINES) {
  const lines = text.split('\n');
  const long = [];
  let start = -1;
  let name = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\(/.exec(l);
    if (m && !(i > 0 && lines[i - 1].endsWith('\\')) && !l.trimEnd().endsWith(';')) {
      start = i;
      name = m[1];
    } else if (l === '}' && start >= 0) {
      const n = i - start + 1;
      if (n > limit) long.push({ name, line: start + 1, lines: n });
      start = -1;
    }
  }
  return long;
}

function sources() {
  const out = [];
  // api/ has a folder for each kind of code (handlers, pipeline, jobs, commands)
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (/\.[ch]$/.test(e.name)) out.push(path.join(dir, e.name));
    }
  };
  for (const dir of ['api', 'lib']) walk(dir);
  return out;
}

test('the checker finds a function of 101 lines and passes one of 100 (it can fail)', () => {
  const body = Array.from({ length: MAX_FUNCTION_LINES - 3 }, (_, i) => `\tx += ${i};`);
  const fits = ['static int', 'fits(int x)', '{', ...body, '}'].join('\n');
  const over = ['static int', 'too_long(int x)', '{', ...body, '\tx++;', '}'].join('\n');
  assert.deepEqual(longFunctions(fits), []);
  assert.deepEqual(longFunctions(`${fits}\n\n${over}\n`),
    [{ name: 'too_long', line: MAX_FUNCTION_LINES + 4, lines: MAX_FUNCTION_LINES + 1 }]);
  // a prototype and a macro's continuation line start no definition
  assert.deepEqual(longFunctions(`int f(void);\n#define M \\\ng(x) \\\n\n}\n`), []);
});

test(`no source file of api/ or lib/ is over ${MAX_FILE_LINES} lines`, () => {
  const files = sources();
  assert.ok(files.length > 40, 'the sources are found');
  const long = files
    .map((f) => ({ f, n: fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n').length - 1 }))
    .filter(({ n }) => n > MAX_FILE_LINES)
    .map(({ f, n }) => `${f}: ${n} lines`);
  assert.deepEqual(long, [], `split these files by what their parts do:\n${long.join('\n')}`);
});

test(`no function of api/ or lib/ is over ${MAX_FUNCTION_LINES} lines`, () => {
  const long = [];
  for (const f of sources())
    for (const fn of longFunctions(fs.readFileSync(path.join(ROOT, f), 'utf8')))
      long.push(`${f}:${fn.line}: ${fn.name} has ${fn.lines} lines`);
  assert.deepEqual(long, [], `split these functions:\n${long.join('\n')}`);
});
