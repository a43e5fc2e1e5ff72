// Small outcomes for renderer tests: one-layer images compared through the real compare and judge.
import type { ImageStats, LayerStats, Outcome, SideResult } from '../../src/model.js';
import { compare } from '../../src/report/compare.js';
import { buildOutcome, judge } from '../../src/report/policy.js';

/** A one-layer OCI image of `bytes` compressed bytes (twice that uncompressed). */
export function oneLayerImage(target: string, bytes: number): ImageStats {
  const digest = `sha256:${String(bytes).padStart(64, '0')}`;
  return {
    target,
    platform: 'linux/amd64',
    digest,
    configDigest: digest,
    compressedBytes: bytes,
    uncompressedBytes: bytes * 2,
    layerCount: 1,
    layers: [{ digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: bytes, uncompressedBytes: bytes * 2, instruction: 'COPY / /' }],
    method: 'oci-layout'
  };
}

export const measured = (i: ImageStats): SideResult => ({ state: 'measured', image: i });

/** Targets `name → [base bytes, head bytes]`, judged on compressed size with `max-increase` when given. */
export function smallOutcome(
  sizes: ReadonlyArray<readonly [string, number, number]>,
  options: { readonly maxIncreasePercent?: number; readonly notes?: string[]; readonly head?: { sha: string; ref?: string }; readonly base?: { sha: string; ref?: string } } = {}
): Outcome {
  const pct = options.maxIncreasePercent;
  const budgets = {
    maxIncrease: { ...(pct !== undefined ? { fallback: { kind: 'percent' as const, percent: pct, text: `${pct}%` } } : {}), byTarget: new Map() },
    maxSize: { byTarget: new Map() },
    maxLayers: { byTarget: new Map() }
  };
  const rows = sizes.map(([target, base, head]) => ({
    target,
    platform: 'linux/amd64',
    head: measured(oneLayerImage(target, head)),
    base: measured(oneLayerImage(target, base))
  }));
  return buildOutcome({
    metric: 'compressed',
    rows: judge(compare(rows), budgets, 'compressed'),
    head: options.head ?? { sha: '1'.repeat(40) },
    base: options.base ?? { sha: '2'.repeat(40) },
    notes: options.notes ?? []
  });
}

const layerDigest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Layer `n` (its digest is derived from n) of `compressed` bytes, `ratio` times that uncompressed. */
export function testLayer(n: number, compressed: number, ratio: number, instruction = `RUN step ${n}`): LayerStats {
  return { digest: layerDigest(n), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedBytes: compressed, uncompressedBytes: compressed * ratio, instruction };
}

/** An OCI image of these layers: sizes and count summed from them, digests derived from them. */
export function testImage(target: string, layers: readonly LayerStats[], extra: Partial<ImageStats> = {}): ImageStats {
  return {
    target,
    platform: 'linux/amd64',
    digest: layerDigest(layers.reduce((n, l) => n * 31 + l.compressedBytes, 7) % 2 ** 40),
    configDigest: layerDigest(layers.length + 5000),
    compressedBytes: layers.reduce((n, l) => n + l.compressedBytes, 0),
    uncompressedBytes: layers.reduce((n, l) => n + l.uncompressedBytes, 0),
    layerCount: layers.length,
    layers,
    method: 'oci-layout',
    ...extra
  };
}
