// The benchmark's images: generated build contexts (random or text-like files, one file per layer
// unless the spec says more, `FROM scratch` + one `COPY` per layer), built on the local engine twice
// from the same context: once into an OCI layout (what the action measures) and once loaded into the
// engine (what `docker save` reads, and what the action's benchmark builds FROM). Both are cached
// under one directory keyed by the spec, so reruns reuse them.
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../src/exec.js';

export type Content = 'random' | 'text';

export interface ImageSpec {
  /** Short name, used in tables, the cache directory and the engine tag. */
  readonly name: string;
  /** What the image is, for the report. */
  readonly title: string;
  /** Bytes of each layer's one file, base layer first. */
  readonly layers: readonly number[];
  /** `random`: incompressible bytes from node's crypto; `text`: words from a small vocabulary (gzip ~2.4×). */
  readonly content: Content;
  /**
   * Files per layer (default one). With more, layer i holds files f-<n>.bin, n from i × half to
   * i × half + filesPerLayer − 1, copied to /data/: half of each layer overwrites the previous one's.
   */
  readonly filesPerLayer?: number;
  /**
   * Files in each layer, base layer first (instead of filesPerLayer): layer i holds that many files
   * of equal size, together its bytes, in a folder of its own (/layer-<i>/), overwriting nothing.
   */
  readonly layerFiles?: readonly number[];
}

const MB = 1_000_000;

/** The issue's sizes (about 10 MB, 500 MB and 2 GB, a few layers each), the 100+ layer image, and a compressible one. */
export const IMAGES: readonly ImageSpec[] = [
  { name: '10mb', title: '10 MB random, 3 layers', layers: [5 * MB, 3 * MB, 2 * MB], content: 'random' },
  { name: '500mb', title: '500 MB random, 4 layers', layers: [200 * MB, 150 * MB, 100 * MB, 50 * MB], content: 'random' },
  { name: '2gb', title: '2 GB random, 4 layers', layers: [800 * MB, 600 * MB, 400 * MB, 200 * MB], content: 'random' },
  { name: '120-layers', title: '9.6 MB random, 120 layers of 80 kB', layers: Array.from({ length: 120 }, () => 80_000), content: 'random' },
  {
    name: '50k-files',
    title: '100 MB in 4 × 12,500 random files of 2 kB, each layer overwriting half the previous one',
    layers: [25 * MB, 25 * MB, 25 * MB, 25 * MB],
    content: 'random',
    filesPerLayer: 12_500
  },
  { name: '500mb-text', title: '500 MB text-like (gzip ~2.4×), 4 layers', layers: [200 * MB, 150 * MB, 100 * MB, 50 * MB], content: 'text' },
  {
    // Shaped like a single-stage Go build (`FROM golang`, `RUN go build`): a base system, the
    // toolchain (one heavy layer of many files), the module cache and the binary, all left in the image.
    name: 'go-650mb',
    title: '650 MB text-like, shaped like a single-stage Go build: one 400 MB layer of 8,000 files (~190 MB compressed)',
    layers: [130 * MB, 400 * MB, 100 * MB, 20 * MB],
    content: 'text',
    layerFiles: [2_000, 8_000, 3_000, 1]
  }
];

/** Bump to rebuild every cached image after a change to how contexts are generated. */
const GENERATOR_VERSION = 1;

export interface BuiltImage {
  readonly spec: ImageSpec;
  /** OCI image layout directory (`--output type=oci,tar=false`). */
  readonly layoutDir: string;
  /** The same build loaded into the engine, for `docker save`. */
  readonly tag: string;
  /** True when this run built it, false when the cache had it. */
  readonly built: boolean;
  /** Wall time of generating the context and both builds, when built. */
  readonly buildSeconds?: number;
}

export function specKey(spec: ImageSpec): string {
  return createHash('sha256')
    // layerFiles only when set: the keys (and cached builds) of the other images stay as they were.
    .update(
      JSON.stringify({
        v: GENERATOR_VERSION,
        layers: spec.layers,
        content: spec.content,
        files: spec.filesPerLayer ?? 1,
        ...(spec.layerFiles ? { layerFiles: spec.layerFiles } : {})
      })
    )
    .digest('hex')
    .slice(0, 12);
}

/** The layout and the loaded image of `spec`, built when either is missing from the cache or the engine. */
export async function ensureImage(spec: ImageSpec, cacheRoot: string, log: (line: string) => void): Promise<BuiltImage> {
  const key = specKey(spec);
  const dir = join(cacheRoot, `${spec.name}-${key}`);
  const layoutDir = join(dir, 'layout');
  const tag = `image-budget-bench/${spec.name}:${key}`;
  if (existsSync(join(layoutDir, 'index.json')) && (await imageLoaded(tag))) {
    return { spec, layoutDir, tag, built: false };
  }
  // Both from one context: the loaded image must hold the same bytes as the layout.
  const t0 = process.hrtime.bigint();
  await pruneStale(spec, cacheRoot, key);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const ctx = await mkdtemp(join(dir, 'ctx-'));
  try {
    log(`bench: generating the ${spec.name} context (${spec.layers.length} files, ${spec.content})`);
    await writeContext(ctx, spec);
    log(`bench: building ${spec.name} into an OCI layout`);
    const partial = join(dir, 'layout.partial');
    await docker(['buildx', 'build', '--network', 'none', '--provenance=false', '--progress', 'plain', '--output', `type=oci,dest=${partial},tar=false`, '--', ctx]);
    log(`bench: loading ${spec.name} into the engine as ${tag}`);
    await docker(['buildx', 'build', '--network', 'none', '--provenance=false', '--progress', 'plain', '--load', '-t', tag, '--', ctx]);
    // Renamed last, so an interrupted build is never taken for a cached one.
    await rename(partial, layoutDir);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  return { spec, layoutDir, tag, built: true, buildSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** Removes the cached layouts and every image-budget-bench/* image of the engine (`--clean`). */
export async function removeImages(cacheRoot: string): Promise<void> {
  await removeTags(await benchTags(), []);
  await rm(cacheRoot, { recursive: true, force: true });
}

/** Drops what an earlier spec of the same image left behind (another key): its layout and its engine tag. */
async function pruneStale(spec: ImageSpec, cacheRoot: string, key: string): Promise<void> {
  const mine = new RegExp(`^${spec.name.replace(/[^a-z0-9]/g, '\\$&')}-[0-9a-f]{12}$`);
  for (const entry of await readdir(cacheRoot).catch(() => [])) {
    if (mine.test(entry) && entry !== `${spec.name}-${key}`) await rm(join(cacheRoot, entry), { recursive: true, force: true });
  }
  await removeTags((await benchTags()).filter((t) => t.startsWith(`image-budget-bench/${spec.name}:`)), [`image-budget-bench/${spec.name}:${key}`]);
}

async function benchTags(): Promise<string[]> {
  const r = await exec('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=image-budget-bench/*']);
  return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
}

async function removeTags(tags: readonly string[], keep: readonly string[]): Promise<void> {
  const gone = tags.filter((t) => !keep.includes(t));
  if (gone.length) await exec('docker', ['image', 'rm', '--force', ...gone]);
}

async function imageLoaded(tag: string): Promise<boolean> {
  return (await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', tag])).code === 0;
}

async function docker(args: readonly string[]): Promise<void> {
  const r = await exec('docker', args, { maxCapture: 64 * 1024 });
  if (r.code !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
}

async function writeContext(ctx: string, spec: ImageSpec): Promise<void> {
  const lines = ['FROM scratch'];
  const perLayer = spec.filesPerLayer ?? 1;
  if (spec.layerFiles && spec.layerFiles.length !== spec.layers.length) throw new Error(`${spec.name}: layerFiles must give one count per layer`);
  for (const [i, bytes] of spec.layers.entries()) {
    const name = `layer-${String(i).padStart(3, '0')}`;
    const files = spec.layerFiles?.[i];
    if (files !== undefined) {
      await mkdir(join(ctx, name));
      const size = Math.floor(bytes / files);
      for (let n = 0; n < files; n++) await writeFileOf(join(ctx, name, `f-${n}.bin`), n === files - 1 ? bytes - size * (files - 1) : size, spec.content);
      lines.push(`COPY ${name}/ /${name}/`);
      continue;
    }
    if (perLayer === 1) {
      await writeFileOf(join(ctx, `${name}.bin`), bytes, spec.content);
      lines.push(`COPY ${name}.bin /data/${name}.bin`);
      continue;
    }
    await mkdir(join(ctx, name));
    const size = Math.floor(bytes / perLayer);
    const first = i * Math.floor(perLayer / 2);
    for (let n = first; n < first + perLayer; n++) await writeFileOf(join(ctx, name, `f-${n}.bin`), size, spec.content);
    lines.push(`COPY ${name}/ /data/`);
  }
  await writeFile(join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
}

const CHUNK = 16 * 1024 * 1024;

async function writeFileOf(path: string, bytes: number, content: Content): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, bytes));
    const words = content === 'text' ? vocabulary() : [];
    for (let written = 0; written < bytes; ) {
      const n = Math.min(buf.length, bytes - written);
      const part = buf.subarray(0, n);
      if (content === 'random') randomFillSync(part);
      else fillText(part, words);
      await handle.write(part, 0, n);
      written += n;
    }
  } finally {
    await handle.close();
  }
}

/** 4096 random lowercase words of 2 to 11 letters, each followed by a space or, one in 12, a newline. */
function vocabulary(): Buffer[] {
  const rnd = randomFillSync(Buffer.alloc(4096 * 12));
  return Array.from({ length: 4096 }, (_, w) => {
    const len = 2 + (rnd[w * 12]! % 10);
    const letters = Array.from({ length: len }, (_, i) => String.fromCharCode(97 + (rnd[w * 12 + 1 + i]! % 26)));
    return Buffer.from(`${letters.join('')}${w % 12 === 0 ? '\n' : ' '}`);
  });
}

/** Fills `buf` with words picked at random from `words`: text that gzip shrinks about 2.4 times. */
function fillText(buf: Buffer, words: readonly Buffer[]): void {
  const rnd = randomFillSync(Buffer.alloc(Math.ceil(buf.length / 2) * 2));
  const picks = new Uint16Array(rnd.buffer, rnd.byteOffset, rnd.length / 2);
  let off = 0;
  for (let p = 0; off < buf.length; p++) {
    const word = words[(picks[p % picks.length] ?? 0) & 4095]!;
    off += word.copy(buf, off);
  }
}
