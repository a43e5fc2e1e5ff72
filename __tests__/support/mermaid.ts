// mermaid's own parser from the tests (support/mermaid-parse.mjs in a child process: mermaid needs a
// DOM, given by jsdom there), and the mermaid blocks of a markdown text.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PARSER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mermaid-parse.mjs');

export type Parsed = { readonly ok: true; readonly type: string } | { readonly ok: false; readonly error: string };

/** Each diagram as mermaid parses it: its type, or the parse error. */
export function parseMermaid(diagrams: readonly string[]): Parsed[] {
  const r = spawnSync(process.execPath, [PARSER], { input: JSON.stringify(diagrams), encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`mermaid-parse exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Parsed[];
}

/** The bodies of the ```mermaid blocks of a markdown text (a `> ` quote prefix removed). */
export function mermaidBlocks(markdown: string): string[] {
  const text = markdown.replace(/^> ?/gm, '');
  return [...text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}
