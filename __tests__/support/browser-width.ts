// Lays a comment out the way GitHub does and measures its tables: the markdown goes through
// cmark-gfm (GitHub's renderer), the HTML gets GitHub's own stylesheet (npm github-markdown-css) in a
// column of a given width, and headless Chromium (Debian's chromium, with Liberation Sans standing
// in for Arial in GitHub's font stack) reports each table's width. GitHub styles a table as a block
// of `width: max-content; max-width: 100%; overflow: auto`, so a table wider than the column scrolls
// sideways: its content (scrollWidth) is wider than its box (clientWidth).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gfm } from './gfm.js';

export const CHROMIUM = '/usr/bin/chromium';

/** One table as laid out: its first row's text, its content width and the width it was given. */
export interface TableWidth {
  readonly header: string;
  readonly contentPx: number;
  readonly boxPx: number;
}

function githubCss(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8');
}

/** The page: every <details> open (a collapsed table has no width), then each table measured into a <pre>. */
function page(html: string, columnPx: number): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>${githubCss()}</style>
<style>body { margin: 0 } .markdown-body { width: ${columnPx}px; box-sizing: border-box; }</style></head>
<body><article class="markdown-body">${html}</article>
<script>
for (const d of document.querySelectorAll('details')) d.open = true;
const widths = [...document.querySelectorAll('article table')].map((t) => ({
  header: t.rows[0] ? t.rows[0].innerText.replace(/\\s+/g, ' ').trim() : '',
  contentPx: t.scrollWidth,
  boxPx: t.clientWidth
}));
const pre = document.createElement('pre');
pre.id = 'widths';
pre.textContent = JSON.stringify(widths);
document.body.appendChild(pre);
</script></body></html>`;
}

const decode = (s: string): string => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The tables of `markdown`, laid out in a column `columnPx` wide. */
export function tableWidths(markdown: string, columnPx = 850): TableWidth[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'image-budget-width-'));
  try {
    const file = path.join(dir, 'comment.html');
    writeFileSync(file, page(gfm(markdown), columnPx));
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    const r = spawnSync(CHROMIUM, [...flags, `--user-data-dir=${path.join(dir, 'profile')}`, '--window-size=1280,1024', '--dump-dom', `file://${file}`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000
    });
    if (r.error) throw r.error;
    const found = /<pre id="widths">([\s\S]*?)<\/pre>/.exec(r.stdout);
    if (!found) throw new Error(`chromium did not lay the page out (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    return JSON.parse(decode(found[1]!)) as TableWidth[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
