// Filesystem confinement: every path a user or a pull request names must stay inside the workspace
// (or the base checkout) after symlinks are resolved (RELIABILITY row 5, security 11).
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../inputs/errors.js';

/** The path does not exist (as opposed to escaping the root or being of the wrong kind). */
export class MissingPathError extends InputError {}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Resolve `value` (relative to `root`) to a real path inside `root`, or throw an InputError that
 * names the input and the path tried.
 */
export async function resolveInside(
  root: string,
  value: string,
  input: string,
  kind: 'file' | 'directory'
): Promise<string> {
  const realRoot = await realpath(root);
  // An absolute path (`${{ github.workspace }}/Dockerfile`) is fine as long as it is inside.
  const joined = path.isAbsolute(value) ? path.resolve(value) : path.resolve(realRoot, value);
  const lexicalRoot = path.resolve(root);
  if (path.isAbsolute(value) && !inside(realRoot, joined) && inside(lexicalRoot, joined)) {
    // Written against the workspace as given, which itself sits behind a symlink.
    return resolveInside(root, path.relative(lexicalRoot, joined) || '.', input, kind);
  }
  if (!inside(realRoot, joined)) {
    throw new InputError(input, value, `a path inside the workspace (${realRoot}); resolved to ${joined}`);
  }
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw new MissingPathError(input, value, `an existing ${kind}; not found at ${joined}`);
  }
  if (!inside(realRoot, real)) {
    throw new InputError(input, value, `a path inside the workspace (${realRoot}); it links to ${real}`);
  }
  const st = await stat(real);
  if (kind === 'file' ? !st.isFile() : !st.isDirectory()) {
    throw new InputError(input, value, `a ${kind}; ${joined} is not one`);
  }
  return real;
}

/** Like resolveInside, but a missing path is `undefined` instead of an error (for the base commit). */
export async function resolveInsideIfExists(
  root: string,
  value: string,
  input: string,
  kind: 'file' | 'directory'
): Promise<string | undefined> {
  try {
    return await resolveInside(root, value, input, kind);
  } catch (e) {
    if (e instanceof MissingPathError) return undefined;
    throw e;
  }
}
