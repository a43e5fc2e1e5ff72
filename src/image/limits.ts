// Fixed limits on what measuring one image may cost, shared by both readers (OCI layouts and
// `docker save` streams) and the file model. A layer or an image is hostile input (a pull request
// names the `FROM`): a gzip bomb, millions of entries or paths thousands of levels deep must fail
// the one target quickly, with a message that says which limit, never hold the job or its memory.
//
// The defaults are far above real images (the layers of a 20 GB CUDA image inflate 2 to 3 times
// their compressed size and hold tens of thousands of files, a few dozen levels deep) and far below
// what a bomb reaches (a layer of zeros inflates about 1000:1).

/** What measuring one target may cost. Tests inject smaller values; the action uses DEFAULT_LIMITS. */
export interface MeasureLimits {
  /** A layer inflating past `ratioFloorBytes` may not inflate to more than this many times its compressed size. */
  readonly maxRatio: number;
  /** Inflated bytes of one layer below which the ratio is not looked at (small layers of zeros are real). */
  readonly ratioFloorBytes: number;
  /** Inflated bytes of all layers of one measurement together. */
  readonly maxInflatedBytes: number;
  /** Tar entries of one layer. */
  readonly maxLayerEntries: number;
  /** Tar entries of all layers of one measurement together (their lists are held until the end). */
  readonly maxEntries: number;
  /** Paths (files and directories) alive at once in an image's file tree. */
  readonly maxTreeNodes: number;
  /** Bytes of one entry's path (Linux's PATH_MAX: a longer path cannot be unpacked). */
  readonly maxPathBytes: number;
  /** Directory levels of one entry's path. */
  readonly maxPathDepth: number;
  /** Milliseconds one measurement (every layer of every platform of a target) may take. */
  readonly timeoutMs: number;
}

const GiB = 1024 * 1024 * 1024;

export const DEFAULT_LIMITS: MeasureLimits = {
  maxRatio: 100,
  ratioFloorBytes: 1 * GiB,
  maxInflatedBytes: 128 * GiB,
  maxLayerEntries: 1_000_000,
  maxEntries: 4_000_000,
  maxTreeNodes: 2_000_000,
  maxPathBytes: 4096,
  maxPathDepth: 1024,
  timeoutMs: 30 * 60 * 1000
};

/** What to do about any of these limits, said once at the end of every message. */
export const LIMIT_HINT =
  'these limits guard against decompression bombs and are fixed (README, "Security"); if the image is genuine, ' +
  'split or shrink that layer (or the base image it comes from), or leave this target out of the measured targets';

/** A limit was reached. `detail` says what and which limit; the reader adds the target and the layer. */
export class LimitError extends Error {
  override readonly name = 'LimitError';
  constructor(
    readonly detail: string,
    /** The layer it was reached in, when the reader that throws knows it. */
    readonly layer?: string
  ) {
    super(layer ? `layer ${layer}: ${detail}` : detail);
  }
}

/** The message of a limit reached while measuring `target`, at `layer` when one is known. */
export function limitMessage(target: string, layer: string | undefined, detail: string): string {
  return `${target}: measurement stopped${layer ? ` at layer ${layer}` : ''}: ${detail}; ${LIMIT_HINT}`;
}

/** A byte count as people read it: `1 GiB`, `512 MiB`, `4096 bytes`. */
export function formatLimitBytes(n: number): string {
  const units: Array<[number, string]> = [
    [GiB, 'GiB'],
    [1024 * 1024, 'MiB'],
    [1024, 'KiB']
  ];
  for (const [size, unit] of units) if (n >= size) return `${n % size === 0 ? n / size : (n / size).toFixed(1)} ${unit}`;
  return `${n} bytes`;
}

/**
 * The running costs of one measurement, checked as bytes and entries come in. One per call of a
 * measuring function; the readers call `inflated` for every chunk a layer inflates to.
 */
export class MeasureBudget {
  private inflatedTotal = 0;
  private entryTotal = 0;
  readonly deadline: number;

  constructor(
    readonly limits: MeasureLimits = DEFAULT_LIMITS,
    now = Date.now()
  ) {
    this.deadline = now + limits.timeoutMs;
  }

  /**
   * `bytes` more of a layer have come out of the decompressor, `layerBytes` in all so far; the
   * layer's compressed size is `compressedBytes` (an estimate that grows with it for the classic store).
   */
  inflated(bytes: number, layerBytes: number, compressedBytes: number): void {
    this.inflatedTotal += bytes;
    const { maxRatio, ratioFloorBytes, maxInflatedBytes } = this.limits;
    if (layerBytes > ratioFloorBytes && layerBytes > maxRatio * Math.max(compressedBytes, 1)) {
      throw new LimitError(
        `the layer inflates to more than ${maxRatio} times its compressed size of ${compressedBytes} bytes ` +
          `(over ${formatLimitBytes(layerBytes)} inflated so far; a layer above ${formatLimitBytes(ratioFloorBytes)} may inflate at most ${maxRatio}:1)`
      );
    }
    if (this.inflatedTotal > maxInflatedBytes) {
      throw new LimitError(`the image's layers inflate to more than ${formatLimitBytes(maxInflatedBytes)} in all (the limit per measured target)`);
    }
  }

  /** One more tar entry read, the `layerEntries`th of its layer. */
  entry(layerEntries: number): void {
    const { maxLayerEntries, maxEntries } = this.limits;
    if (layerEntries > maxLayerEntries) throw new LimitError(`the layer has more than ${maxLayerEntries} entries (the limit per layer)`);
    if (++this.entryTotal > maxEntries) throw new LimitError(`the image's layers have more than ${maxEntries} entries in all (the limit per measured target)`);
  }

  /** Throws once the measurement has run longer than the limit. */
  checkTime(now = Date.now()): void {
    if (now > this.deadline) throw timeoutError(this.limits.timeoutMs);
  }

  /** Milliseconds left before the deadline (at least 0). */
  remainingMs(now = Date.now()): number {
    return Math.max(0, this.deadline - now);
  }
}

/** Whether `e` is what a stream pipeline rejects with when its AbortSignal fires (the deadline). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'name' in e && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

export function timeoutError(ms: number): LimitError {
  return new LimitError(`measuring took longer than ${formatDuration(ms)} (the limit per measured target)`);
}

function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** Throws unless a tar entry's normalised path is within the path limits. */
export function checkPath(path: string, limits: MeasureLimits): void {
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > limits.maxPathBytes) {
    throw new LimitError(`an entry's path is ${bytes} bytes long, more than the ${limits.maxPathBytes} accepted (it starts "${preview(path)}")`);
  }
  let depth = path === '' ? 0 : 1;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) depth++;
  if (depth > limits.maxPathDepth) {
    throw new LimitError(`an entry's path is ${depth} directory levels deep, more than the ${limits.maxPathDepth} accepted (it starts "${preview(path)}")`);
  }
}

/** The start of a path for a message: printable ASCII only (a path is the image's, hence untrusted). */
function preview(path: string): string {
  return path.slice(0, 60).replace(/[^\x20-\x7e]|"/g, '?');
}
