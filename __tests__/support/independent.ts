// An independent reading of an image, for checking the action's numbers: buildx writes the image to
// an OCI layout, the manifest is read with plain JSON.parse, and each layer is gunzipped by the
// system's `gzip` and counted by `wc -c`. No code of the action is used.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface IndependentReading {
  readonly manifestDigest: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly layerDigests: string[];
  readonly layerCount: number;
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}

const blob = (dir: string, digest: string): string => path.join(dir, 'blobs', ...digest.split(':'));

async function json<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

function gunzipCount(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', 'gzip -dc < "$1" | wc -c', 'sh', file], (err, stdout) => (err ? reject(err) : resolve(Number(stdout.trim()))));
  });
}

/** Reads every platform image of an OCI layout dir, attestation manifests left out. */
export async function readLayout(dir: string): Promise<Map<string, IndependentReading>> {
  const out = new Map<string, IndependentReading>();
  const index = await json<{ manifests: Desc[] }>(path.join(dir, 'index.json'));
  const queue: Desc[] = [...index.manifests];
  while (queue.length) {
    const d = queue.shift()!;
    if (d.mediaType.includes('index') || d.mediaType.includes('manifest.list')) {
      queue.push(...(await json<{ manifests: Desc[] }>(blob(dir, d.digest))).manifests);
      continue;
    }
    if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    const manifest = await json<{ config: Desc; layers: Desc[] }>(blob(dir, d.digest));
    const config = await json<{ os: string; architecture: string }>(blob(dir, manifest.config.digest));
    let uncompressed = 0;
    for (const layer of manifest.layers) uncompressed += await gunzipCount(blob(dir, layer.digest));
    out.set(`${config.os}/${config.architecture}`, {
      manifestDigest: d.digest,
      compressedBytes: manifest.layers.reduce((a, l) => a + l.size, 0),
      uncompressedBytes: uncompressed,
      layerDigests: manifest.layers.map((l) => l.digest),
      layerCount: manifest.layers.length
    });
  }
  return out;
}

/**
 * Builds `target` of `context` again with plain buildx (the engine's cache makes the layer blobs the
 * ones the action measured) and reads it independently.
 */
export async function buildAndRead(
  context: string,
  target: string,
  extra: readonly string[] = ['--network', 'none']
): Promise<Map<string, IndependentReading>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-independent-'));
  try {
    execFileSync(
      'docker',
      ['buildx', 'build', '--target', target, ...extra, '--output', `type=oci,dest=${dir}/layout,tar=false`, '--', context],
      { stdio: ['ignore', 'ignore', 'pipe'], env: process.env }
    );
    return await readLayout(path.join(dir, 'layout'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function sh(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...args], { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script}: ${String(stderr).trim() || err.message}`)) : resolve(stdout)
    );
  });
}

/**
 * Bytes of regular files in one layer, listed by GNU tar (`tar -tv`, gunzipped by tar itself when
 * `gzip`): hard links and whiteouts count 0, as they hold no data.
 */
export async function layerFileBytes(file: string, gzip: boolean): Promise<number> {
  const listing = await sh(gzip ? 'tar -tvzf "$1"' : 'tar -tvf "$1"', [file]);
  let total = 0;
  for (const line of listing.split('\n')) {
    if (!line.startsWith('-')) continue;
    const fields = line.split(/\s+/);
    total += Number(fields[2]);
  }
  return total;
}

/**
 * The final filesystem of `target` by buildx's local exporter (the engine unpacks the layers, not
 * the action): regular file path → bytes.
 */
export async function finalFiles(context: string, target: string, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-rootfs-'));
  try {
    await sh('docker buildx build --quiet --network none --target "$1" --output "type=local,dest=$2" -- "$3" >/dev/null', [target, `${dir}/fs`, context], env);
    const listing = await sh('cd "$1" && find . -type f -printf "%s %P\\n"', [`${dir}/fs`]);
    const out = new Map<string, number>();
    for (const line of listing.split('\n').filter(Boolean)) {
      const at = line.indexOf(' ');
      out.set(line.slice(at + 1), Number(line.slice(0, at)));
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Wasted space read independently: every regular file's bytes in every layer (GNU tar's listing),
 * less the bytes of the final filesystem (buildx's local export). What a later layer overwrites or
 * deletes is exactly that difference, for images without hard links.
 */
export async function independentWasted(layerFiles: readonly string[], gzip: boolean, final: ReadonlyMap<string, number>): Promise<number> {
  let inLayers = 0;
  for (const f of layerFiles) inLayers += await layerFileBytes(f, gzip);
  let kept = 0;
  for (const bytes of final.values()) kept += bytes;
  return inLayers - kept;
}

export interface ClassicReading {
  readonly uncompressedBytes: number;
  readonly layerSizes: number[];
  readonly wastedBytes: number;
  readonly final: Map<string, number>;
}

/**
 * The classic image store's view of `target`: built again with plain buildx (`type=docker`), then
 * `docker save | tar -x`, manifest.json read with JSON.parse, each layer counted by `wc -c`.
 */
export async function buildAndReadClassic(context: string, target: string, env: NodeJS.ProcessEnv): Promise<ClassicReading> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-classic-'));
  const tag = `image-budget.local/independent-${path.basename(dir).toLowerCase().replace(/[^a-z0-9]+/g, '-')}:${target.toLowerCase()}`;
  try {
    await sh('docker buildx build --quiet --network none --target "$1" --output "type=docker,name=$2" -- "$3" >/dev/null', [target, tag, context], env);
    await sh('mkdir -p "$2" && docker save "$1" | tar -x -C "$2"', [tag, `${dir}/save`], env);
    const manifest = JSON.parse(await readFile(path.join(dir, 'save', 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const layers = (manifest[0]?.Layers ?? []).map((l) => path.join(dir, 'save', l));
    const layerSizes: number[] = [];
    for (const l of layers) layerSizes.push(Number((await sh('wc -c < "$1"', [l])).trim()));
    const final = await finalFiles(context, target, env);
    return {
      uncompressedBytes: layerSizes.reduce((a, b) => a + b, 0),
      layerSizes,
      wastedBytes: await independentWasted(layers, false, final),
      final
    };
  } finally {
    await sh('docker image rm "$1" >/dev/null 2>&1 || true', [tag], env);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Like buildAndRead, for one platform, with the layer blobs' wasted space read independently too. */
export async function buildAndReadFiles(context: string, target: string): Promise<{ reading: IndependentReading; wastedBytes: number; final: Map<string, number> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-independent-'));
  try {
    execFileSync('docker', ['buildx', 'build', '--target', target, '--network', 'none', '--output', `type=oci,dest=${dir}/layout,tar=false`, '--', context], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env
    });
    const readings = [...(await readLayout(path.join(dir, 'layout'))).values()];
    if (readings.length !== 1) throw new Error(`expected one platform image, found ${readings.length}`);
    const reading = readings[0]!;
    const final = await finalFiles(context, target);
    const wastedBytes = await independentWasted(
      reading.layerDigests.map((d) => blob(path.join(dir, 'layout'), d)),
      true,
      final
    );
    return { reading, wastedBytes, final };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
