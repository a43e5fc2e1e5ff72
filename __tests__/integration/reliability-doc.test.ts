// docs/reliability.md stays true: every row of RELIABILITY.md's checklist (1-52) and every security
// requirement (1-16) has a line, and every test it cites exists: the file, and each title of the
// `describe › test` path written in it (a title ending in `…` stands for a table-driven test's prefix; a
// title made by a `%s` template must fill each placeholder with a value the file holds).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = readFileSync(path.join(ROOT, 'docs', 'reliability.md'), 'utf8');
const section = (title: string): string => {
  const start = doc.indexOf(`## ${title}`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
};
const rowNumbers = (text: string): number[] => [...text.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));

interface Citation {
  readonly file: string;
  readonly titles: string[];
}

function citations(): Citation[] {
  const out: Citation[] = [];
  for (const m of doc.matchAll(/`((?:unit|integration|e2e)\/[\w.-]+\.test\.ts)` › ([^<|]+?)(?=<br>| \|)/g)) {
    out.push({ file: m[1]!, titles: m[2]!.trim().split(' › ') });
  }
  return out;
}

/**
 * The titles of a test file, unescaped: the string given first to `test(`, `it(` or `describe(`
 * (also `.only`/`.skip`), or to the call a `.each(table)` returns.
 */
function literals(source: string): string[] {
  const title = /(?:\b(?:test|it|describe)(?:\.(?:only|skip|concurrent))?|\))\(\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)/g;
  return [...source.matchAll(title)].map((m) => m[1]!.slice(1, -1).replace(/\\(.)/g, '$1'));
}

/** Every string literal of a test file, unescaped (the rows of `.each` tables among them). */
function allLiterals(source: string): string[] {
  return [...source.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((m) =>
    m[0].slice(1, -1).replace(/\\(.)/g, '$1')
  );
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a cited title is one of the file's tests: written as a literal; or, with `…`, each part of
 * it inside some literal; or produced by a table-driven template (`%s`, `%i`, `$name`, `${...}`).
 */
function appearsIn(texts: readonly string[], all: readonly string[], cited: string): boolean {
  const title = cited.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\\\|/g, '|');
  if (texts.includes(title)) return true;
  if (title.includes('…')) {
    // A part may end where a table-driven template's placeholder began (`%s: …`): drop that punctuation.
    const parts = title
      .split('…')
      .map((p) => p.trim().replace(/[:;,]$/, ''))
      .filter((p) => p !== '');
    return parts.every((part) => all.some((t) => t.includes(part)));
  }
  return texts.some((t) => templateMatches(t, all, title));
}

/**
 * Whether a table-driven template (`%s`, `%i`, `$name`, `${...}`) produces `title`: the literal parts
 * match in place, and what each placeholder stands for is a value written in the file (a row of its
 * table), a number, or a part of one. A template of placeholders only (`'%s'`) matches no more than that.
 */
function templateMatches(template: string, all: readonly string[], title: string): boolean {
  const pieces = template.split(/(%[sidjfpo#]|\$\{[^}]*\}|\$[a-zA-Z_][\w.]*)/);
  if (pieces.length === 1) return false;
  const pattern = pieces.map((piece, i) => (i % 2 === 1 ? '(.*?)' : escapeRegExp(piece))).join('');
  const match = new RegExp(`^${pattern}$`, 's').exec(title);
  if (!match) return false;
  return match.slice(1).every((value) => /^(-?[\d.]+|true|false|null|undefined)$/.test(value) || all.some((t) => t.includes(unjson(value))));
}

/** `%j` writes a value as JSON (`"-x"`): the file holds it unquoted. */
function unjson(value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

test('every checklist row and every security requirement has a line', () => {
  expect(rowNumbers(section('Checklist'))).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
  // The 16 requirements of RELIABILITY.md, then rows added since, numbered on.
  const security = rowNumbers(section('Security requirements'));
  expect(security).toEqual(Array.from({ length: Math.max(16, security.length) }, (_, i) => i + 1));
});

test('every row names at least one test, or says why it cannot be tested here', () => {
  for (const line of [...section('Checklist').split('\n'), ...section('Security requirements').split('\n')]) {
    if (!/^\| \d+ \|/.test(line)) continue;
    const lastCell = line.split(' | ').at(-1) ?? '';
    expect({ line: line.slice(0, 60), cites: /\.test\.ts`/.test(lastCell) || /not testable here/i.test(lastCell) }).toEqual({ line: line.slice(0, 60), cites: true });
  }
});

test('every cited test exists: its file, and each title on the way to it', () => {
  const found = citations();
  expect(found.length).toBeGreaterThan(150);
  const missing: string[] = [];
  for (const c of found) {
    const file = path.join(ROOT, '__tests__', c.file);
    if (!existsSync(file)) {
      missing.push(`${c.file} (no such file)`);
      continue;
    }
    const source = readFileSync(file, 'utf8');
    const texts = literals(source);
    const all = allLiterals(source);
    for (const title of c.titles) if (!appearsIn(texts, all, title)) missing.push(`${c.file} › ${title}`);
  }
  expect(missing).toEqual([]);
});

test('a table-driven title matches only the rows its file holds', () => {
  const all = ['checkoutBase rejects %j before git runs', '-x', 'row %s: %s', 'a comment', 'parses %s'];
  expect(templateMatches('%s', all, 'any title at all')).toBe(false);
  expect(templateMatches('%s', all, 'a comment')).toBe(true);
  expect(templateMatches('checkoutBase rejects %j before git runs', all, 'checkoutBase rejects "-x" before git runs')).toBe(true);
  expect(templateMatches('checkoutBase rejects %j before git runs', all, 'checkoutBase rejects "-y" before git runs')).toBe(false);
  expect(templateMatches('row %s: %s', all, 'row 12: a comment')).toBe(true);
  expect(templateMatches('parses %s', all, 'parses')).toBe(false);
});
