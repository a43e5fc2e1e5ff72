// Where a target's image is exported, decided when its build starts. Into an OCI layout directory
// under the run's temp folder when the disk has room: buildx writes a directory about twice as fast
// as a tar (BuildKit's tar export costs twice the CPU, in the engine and in buildx), and the folder is
// removed as soon as the image is measured. Otherwise as a tar on buildx's stdout, measured while it
// is written, which needs no disk at all.
// "Room" is START_FREE of free space on the temp folder's file system for every directory export
// running at once, this one included (most images are far smaller). The size of an image is not known
// before its export, so the room is watched while directory exports run: when the free space falls
// under KEEP_FREE (a large image, or other writers on the same disk), every directory export that is
// writing its folder at that moment is told to stop (its slot's `low` signal), and side.ts builds it
// again as a stream. A build still solving, or whose folder is complete, is left alone: it adds
// nothing to the disk, and stopping it would cost its steps. No folder of ours fills the disk, which
// would fail other writers (BuildKit's own steps share that disk on GitHub-hosted runners).
import { statfs } from 'node:fs/promises';

export interface RoomLimits {
  /** Free bytes the temp folder's file system must have per directory export running at once. */
  readonly startFree: number;
  /** Free bytes under which the directory exports running are stopped. */
  readonly keepFree: number;
  /** How often the free space is read while directory exports run. */
  readonly watchMs: number;
}

export const ROOM_LIMITS: RoomLimits = { startFree: 4 * 1024 ** 3, keepFree: 2 * 1024 ** 3, watchMs: 200 };

export type ExportKind = 'directory' | 'stream';

/** The decision alone: `free` bytes on the file system, `running` directory exports already under way. */
export function exportKind(free: number, running: number, startFree = ROOM_LIMITS.startFree): ExportKind {
  return free >= startFree * (running + 1) ? 'directory' : 'stream';
}

/** Free bytes for an unprivileged writer of the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** One export's place: its kind, and `release` once its folder is gone (a no-op for a stream). */
export interface ExportSlot {
  readonly kind: ExportKind;
  /** A directory export's: aborted when the disk runs short while it writes its folder (build it again as a stream). */
  readonly low?: AbortSignal;
  release(): void;
}

/**
 * The run's directory exports, shared by head and base. `free` reads the free space (freeBytes of the
 * temp folder in production); a file system that cannot say streams.
 */
export class ExportRoom {
  /** Each directory export running: its `low` signal, and whether it is writing its folder now. */
  private readonly running = new Map<AbortController, () => Promise<boolean>>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly free: () => Promise<number>,
    private readonly limits: RoomLimits = ROOM_LIMITS
  ) {}

  /** `writing` says whether a directory export is writing its folder now (only those are stopped when short of room). */
  async take(writing: () => Promise<boolean> = async () => true): Promise<ExportSlot> {
    const free = await this.free().catch(() => 0);
    const kind = exportKind(free, this.running.size, this.limits.startFree);
    if (kind === 'stream') return { kind, release: () => undefined };
    const low = new AbortController();
    this.running.set(low, writing);
    this.timer ??= setInterval(() => void this.check(), this.limits.watchMs).unref();
    return {
      kind,
      low: low.signal,
      release: () => {
        this.running.delete(low);
        if (this.running.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      }
    };
  }

  /** Short of free space: every directory export writing its folder is told to stop. A reading that fails changes nothing. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const free = await this.free().catch(() => undefined);
      if (free === undefined || free >= this.limits.keepFree) return;
      for (const [low, writing] of this.running) {
        if (!low.signal.aborted && (await writing().catch(() => false))) low.abort();
      }
    } finally {
      this.checking = false;
    }
  }
}
