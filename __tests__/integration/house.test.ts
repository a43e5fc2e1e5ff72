// The shape of src/ that docs/architecture.md describes, checked: imports go down the layers only
// (a module never imports one above it), no file passes 450 lines without saying why at its top,
// and no function passes 80 lines. Read from the source text with the TypeScript compiler.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SRC = path.join(root, 'src');

/** The layers of src/, bottom first: a module may import from its own layer and the ones below. */
export const LAYERS: readonly (readonly string[])[] = [
  ['model.ts', 'exec.ts', 'errors.ts', 'first-use.ts', 'http.ts', 'log.ts', 'tool.ts', 'state.ts', 'types'],
  ['inputs', 'dockerfile', 'image', 'registry', 'report', 'git', 'github'],
  ['workspace', 'baseline', 'buildx', 'config'],
  ['pipeline', 'modes'],
  ['publish'],
  ['main.ts', 'post.ts', 'cli', 'index.ts']
];
const FILE_MAX = 450;
const FUNCTION_MAX = 80;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []
  );
}
const files = sources(SRC);
const rel = (file: string): string => path.relative(SRC, file).split(path.sep).join('/');
/** The room of a file: its top folder under src/, or the file itself. */
const room = (file: string): string => rel(file).split('/')[0]!;
const layerOf = (file: string): number => LAYERS.findIndex((rooms) => rooms.includes(room(file)));

describe('src/', () => {
  test('every room has a layer', () => {
    expect(files.filter((f) => layerOf(f) === -1).map(rel)).toEqual([]);
  });

  test('imports go down the layers, never up', () => {
    const upward: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"](\.{1,2}\/[^'"]+)['"]/gm)) {
        const target = path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'));
        if (layerOf(target) > layerOf(file)) upward.push(`${rel(file)} → ${rel(target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  test(`no file over ${FILE_MAX} lines without a reason at its top`, () => {
    const long = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return text.split('\n').length > FILE_MAX && !/^\/\/ Longer than 450 lines: /m.test(text.split('\n').slice(0, 20).join('\n'));
    });
    expect(long.map(rel)).toEqual([]);
  });

  test(`no function over ${FUNCTION_MAX} lines`, () => {
    const long: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const first = sf.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = sf.getLineAndCharacterOfPosition(node.end).line;
          if (last - first + 1 > FUNCTION_MAX) long.push(`${rel(file)}:${first + 1} (${last - first + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    expect(long).toEqual([]);
  });

  test('the checks are not vacuous: a file above its layer is caught', () => {
    expect(layerOf(path.join(SRC, 'report', 'render.ts'))).toBeLessThan(layerOf(path.join(SRC, 'pipeline', 'run.ts')));
    expect(files.length).toBeGreaterThan(50);
  });
});

describe('docs/architecture.md', () => {
  const doc = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
  test('names every file of src/', () => {
    expect(files.map(rel).filter((f) => !f.startsWith('types/') && !doc.includes(f))).toEqual([]);
  });
  test('names no file that is gone', () => {
    const named = [...doc.matchAll(/`((?:[\w-]+\/)*[\w.-]+\.ts)`/g)].map((m) => m[1]!);
    expect(named.filter((n) => !files.map(rel).includes(n) && !n.includes('test'))).toEqual([]);
  });
});
