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
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    return await readLayout(path.join(dir, 'layout'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
