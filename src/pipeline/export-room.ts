// Where a target's image is exported, decided when its build starts. Into an OCI layout directory
// under the run's temp folder when the disk has room: buildx writes a directory about twice as fast
// as a tar (BuildKit's tar export costs twice the CPU, in the engine and in buildx), and the folder is
// removed as soon as the image is measured. Otherwise as a tar on buildx's stdout, measured while it
// is written, which needs no disk at all. "Room" is DIRECTORY_EXPORT_FREE_BYTES of free space on the
// temp folder's file system for every directory export running at once, this one included: a 6 GB
// image on a runner with 14 GB free streams, head and base alike.
import { statfs } from 'node:fs/promises';

/** Free bytes the temp folder's file system must have per directory export running at once. */
export const DIRECTORY_EXPORT_FREE_BYTES = 16 * 1024 ** 3;

export type ExportKind = 'directory' | 'stream';

/** The decision alone: `free` bytes on the file system, `running` directory exports already under way. */
export function exportKind(free: number, running: number): ExportKind {
  return free >= DIRECTORY_EXPORT_FREE_BYTES * (running + 1) ? 'directory' : 'stream';
}

/** Free bytes for an unprivileged writer of the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** One export's place: its kind, and `release` once its folder is gone (a no-op for a stream). */
export interface ExportSlot {
  readonly kind: ExportKind;
  release(): void;
}

/**
 * The run's directory exports, shared by head and base. `free` reads the free space (freeBytes of the
 * temp folder in production); a file system that cannot say streams.
 */
export class ExportRoom {
  private running = 0;
  constructor(private readonly free: () => Promise<number>) {}

  async take(): Promise<ExportSlot> {
    const free = await this.free().catch(() => 0);
    const kind = exportKind(free, this.running);
    if (kind === 'stream') return { kind, release: () => undefined };
    this.running++;
    let released = false;
    return {
      kind,
      release: () => {
        if (!released) this.running--;
        released = true;
      }
    };
  }
}
