// GitHub's markdown renderer (Debian's cmark-gfm) with the extensions GitHub turns on. `--unsafe`
// keeps raw HTML: GitHub keeps the <details> and <summary> we write, and a test sees any tag that leaks.
import { spawnSync } from 'node:child_process';

export const CMARK = '/usr/bin/cmark-gfm';

/** HTML as GitHub's parser produces it. */
export function gfm(markdown: string): string {
  const extensions = ['table', 'autolink', 'strikethrough', 'tagfilter'].flatMap((e) => ['--extension', e]);
  const r = spawnSync(CMARK, ['--unsafe', ...extensions], { input: markdown, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`cmark-gfm exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}
