// Keeps the measurement's memory small and fixed. A stream's chunks are Buffers whose bytes live
// outside V8's heap, and they are freed only when V8 collects the small objects that hold them. V8
// starts a collection for such memory only after about 64 MB of it has piled up, so a measurement
// that reads gigabytes in 256 KiB chunks carried some 70 MB of dead chunks at any time. Here, every
// READ_BETWEEN bytes read, the measurement asks V8 for a young-generation collection (a scavenge:
// about a millisecond, as the chunks die young), through the `gc` function that `--expose-gc`
// gives, turned on at run time as jest's leak detector does. Where that cannot be had, nothing is done.
// Every MINOR_PER_MAJOR-th collection is of the whole heap (about 10 ms on a measurement's heap, once
// per 64 MiB read): a chunk in flight when the young generation is collected twice moves to the old
// one, where, dead a moment later, it would wait for a whole-heap collection that V8 starts only
// after tens of megabytes of such chunks have piled up.
// The young generation is also kept at its first size (two semi-spaces of 1 MB): V8 grows it to
// 2 x 16 MB when objects survive its collections, as chunks in flight do, and that space stays
// resident; a measurement's young objects are small and die young (`--semi-space-growth-factor=1`,
// read by V8 each time it would grow the space).
import v8 from 'node:v8';
import vm from 'node:vm';

/** Bytes read between two collections. */
export const READ_BETWEEN = 4 * 1024 * 1024;

/** Young collections between two whole-heap ones. */
export const MINOR_PER_MAJOR = 16;

type Collect = (options: { type: 'minor' | 'major'; execution: 'sync' }) => void;

let collect: Collect | null | undefined;
let sinceLast = 0;
let minors = 0;

function collector(): Collect | null {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      v8.setFlagsFromString('--semi-space-growth-factor=1');
      const gc: unknown = vm.runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as Collect) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/**
 * `bytes` more were read by a measurement (any of them, at once): collects young garbage every
 * READ_BETWEEN bytes, and the whole heap every MINOR_PER_MAJOR-th time. Says whether it collected now.
 */
export function readBytes(bytes: number): boolean {
  sinceLast += bytes;
  if (sinceLast < READ_BETWEEN) return false;
  sinceLast = 0;
  const gc = collector();
  minors = (minors + 1) % MINOR_PER_MAJOR;
  gc?.({ type: minors === 0 ? 'major' : 'minor', execution: 'sync' });
  return gc !== null;
}
