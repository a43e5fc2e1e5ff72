// Image archives on disk for `measure`: a tar (a file, or the stream of `docker save`) extracted
// into a temporary directory with the system's tar (run through the exec seam), then read as what
// it holds: an OCI layout, a `docker save`, or both.
import { lstat, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../errors.js';
import { spawnStream } from '../exec.js';
import type { DockerSaveOptions } from '../image/docker-save.js';
import { measureOciLayout } from '../image/measure.js';
import { parseLegacyManifest } from '../image/save-images.js';
import { normalisePath } from '../image/tar.js';
import type { ImageStats } from '../model.js';
import { CliError, lastLine, type CliIO } from './io.js';

/** An image as read, with how it was read (for the title line and the JSON). */
export interface Measured {
  readonly kind: 'engine image' | 'registry image' | 'docker save archive' | 'OCI layout' | 'OCI layout archive';
  readonly images: ImageStats[];
}

export async function tempDir(cleanups: Array<() => Promise<unknown>>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-budget-measure-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Whether the file begins with `magic` (false for a shorter file). */
export async function startsWith(file: string, magic: readonly number[]): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(magic.length), 0, magic.length, 0);
    return bytesRead === magic.length && magic.every((b, i) => buffer[i] === b);
  } finally {
    await handle.close();
  }
}

async function isRegularFile(p: string): Promise<boolean> {
  const st = await lstat(p).catch(() => undefined);
  return st?.isFile() === true;
}

/**
 * An extracted archive: an OCI layout (index.json), a `docker save` (manifest.json), or both (Docker
 * 25+ saves hold an OCI layout). Which measurement fits depends on how the layers are stored:
 * - compressed (an OCI layout tar, a save from the containerd image store): measureOciLayout, every
 *   number exact, the blobs being the ones a registry stores;
 * - uncompressed (a save from the classic image store): the pull size is unknown, so it is read as
 *   the action reads that store, with measureDockerSave (exact uncompressed sizes, gzip-estimated
 *   compressed ones, marked as such). `asSave` reads the source again as a save stream.
 */
export async function measureExtracted(dir: string, asSave: () => Promise<ImageStats[]>, options: DockerSaveOptions, what: 'archive' | 'image'): Promise<Measured> {
  const layout = await isRegularFile(path.join(dir, 'index.json'));
  const save = await isRegularFile(path.join(dir, 'manifest.json'));
  const saveKind = what === 'image' ? ('engine image' as const) : ('docker save archive' as const);
  if (save && (!layout || !(await firstLayerCompressed(dir)))) return { kind: saveKind, images: await asSave() };
  if (layout) return { kind: save ? saveKind : what === 'image' ? 'engine image' : 'OCI layout archive', images: await measureOciLayout(dir, options) };
  throw new CliError('not an image archive: it holds neither index.json (an OCI layout) nor manifest.json (docker save)');
}

/** Whether the first layer of a save's manifest.json is gzip- or zstd-compressed, by its first bytes. */
async function firstLayerCompressed(dir: string): Promise<boolean> {
  const entries = parseLegacyManifest(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  const layer = entries[0]?.layers[0];
  // An image without layers reads the same either way.
  if (layer === undefined) return true;
  const file = path.join(dir, normalisePath(layer));
  if (!(await isRegularFile(file))) return false;
  return (await startsWith(file, [0x1f, 0x8b])) || (await startsWith(file, [0x28, 0xb5, 0x2f, 0xfd]));
}

/** Extracts a tar (file, any compression tar detects; or stream) into `dir` with the system's tar. */
export async function extract(source: { readonly file: string } | { readonly stream: Readable }, dir: string, io: CliIO): Promise<void> {
  // Ownership and modes from the archive are not applied: the files are only read, then removed.
  // tar itself refuses members that climb out of `dir` (`..`, absolute names); the measurers then
  // refuse symlinks where they expect blobs.
  const args = ['-x', '--no-same-owner', '--no-same-permissions', '-C', dir, '-f', 'file' in source ? source.file : '-'];
  if ('file' in source) {
    const r = await io.exec('tar', args, { env: io.env });
    if (r.code !== 0) throw new CliError(`cannot read ${source.file} as a tar archive: ${lastLine(r.stderr) || `tar exited with code ${r.code}`}`);
    return;
  }
  const tar = spawnStream('tar', args, { env: io.env, stdin: 'pipe' });
  // tar -x writes nothing to stdout; drained all the same, so it can never block on it.
  tar.stdout.resume();
  const exited = tar.done.catch((e: unknown) => {
    throw new CliError(`tar could not be run: ${errorMessage(e)}`);
  });
  const input = tar.stdin;
  if (input === undefined) throw new Error('spawnStream gave no stdin though asked for one');
  const [piped, code] = await Promise.allSettled([pipeline(source.stream, input), exited]);
  if (code.status === 'rejected') throw code.reason;
  if (code.value.code !== 0) throw new CliError(`tar could not extract the image: ${lastLine(code.value.stderr) || `exit code ${code.value.code}`}`);
  if (piped.status === 'rejected') throw piped.reason;
}
