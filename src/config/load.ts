// Reads the config file the `config` input names. It comes from the checkout, so from the pull
// request: it must resolve inside the workspace after symlinks (as `context` and `file` must), and
// its size is checked before it is read.
import { readFile, stat } from 'node:fs/promises';
import { INPUT } from '../inputs/names.js';
import { resolveInside } from '../workspace/paths.js';
import { CONFIG_LIMITS, parseConfig, tooLarge, type ImageConfig } from './config.js';

/**
 * The images of the config file `value` (relative to the workspace, or absolute inside it). A
 * missing file, one outside the workspace or a directory is an InputError naming the input and the
 * path tried; anything wrong inside it, a ConfigError at its line.
 */
export async function loadConfig(workspace: string, value: string): Promise<ImageConfig[]> {
  const file = await resolveInside(workspace, value, INPUT.config, 'file');
  const { size } = await stat(file);
  // Checked before reading, so that a huge file is never loaded into memory.
  if (size > CONFIG_LIMITS.bytes) throw tooLarge(value, size);
  return parseConfig(await readFile(file, 'utf8'), value);
}
