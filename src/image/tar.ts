// A streaming tar reader: it is pushed the uncompressed bytes of a layer chunk by chunk and reports
// each entry's path, type and size. File contents are never buffered, only counted past; the only
// data kept are the small pax and GNU long-name records (capped), which describe the next entry.
//
// Formats: v7, ustar (prefix + name), GNU (`ustar  ` magic, `L`/`K` long names, old sparse files,
// base-256 sizes) and pax (`x` per entry, `g` global: path, linkpath, size, GNU.sparse.*).
//
// Limits (limits.ts): entries per layer and per measurement, path bytes and depth; a LimitError
// (not a TarError: the archive may be valid, only too costly) stops the stream.
import { Transform, Writable } from 'node:stream';
import { MeasureBudget, checkPath } from './limits.js';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One member of a tar stream. */
export interface TarEntry {
  /** Normalised: no leading `./` or `/`, no trailing `/`, no empty or `.` segments; `''` is the root. */
  readonly path: string;
  readonly type: TarEntryType;
  /** The file's size in bytes (its real size for sparse files); 0 for every non-file entry. */
  readonly size: number;
}

/** The stream is not a readable tar archive (bad checksum, truncated, invalid field). */
export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

const BLOCK = 512;
/** Largest pax record or GNU long name accepted (Go's archive/tar uses the same bound). */
export const MAX_META_BYTES = 1024 * 1024;

/** Types whose header is the whole entry: no data follows even when the size field says otherwise (as Go and GNU tar read them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

type State =
  /** Collecting a 512-byte header block. */
  | { readonly kind: 'header' }
  /** Counting past `left` bytes of content and padding. */
  | { readonly kind: 'skip'; left: number }
  /** Collecting a pax or GNU long-name record of `size` bytes, then `pad` bytes of padding. */
  | { readonly kind: 'meta'; readonly type: string; readonly size: number; readonly parts: Buffer[]; got: number; readonly pad: number }
  /** Collecting an old-GNU sparse extension block; `then` bytes of content follow it. */
  | { readonly kind: 'sparse'; readonly then: number }
  /** After the end-of-archive marker: the rest (record padding) is ignored. */
  | { readonly kind: 'end' };

/** Attributes from pax headers and GNU long names that apply to the next entry. */
interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
  realSize?: number;
}

/**
 * The tar state machine: `push` each chunk as it comes (any split, down to single bytes), then `end`.
 * Entries are handed to `onEntry` synchronously, in archive order; errors are thrown as TarError.
 */
export class TarParser {
  private state: State = { kind: 'header' };
  private readonly block = Buffer.alloc(BLOCK);
  private fill = 0;
  /** Offset in the stream of the next byte pushed, for messages. */
  private offset = 0;
  /** Zero blocks read in a row (the second one ends the archive). */
  private zeroBlocks = 0;
  private global: Pending = {};
  private local: Pending = {};
  private hasLocal = false;
  /** Entries handed out so far. */
  private entries = 0;

  /** `budget` counts entries across the layers of one measurement; a fresh one has the default limits. */
  constructor(
    private readonly onEntry: (entry: TarEntry) => void,
    private readonly budget: MeasureBudget = new MeasureBudget()
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'end':
          this.offset += chunk.length - at;
          return;
        case 'skip': {
          const n = Math.min(state.left, chunk.length - at);
          state.left -= n;
          at += n;
          this.offset += n;
          if (state.left === 0) this.state = { kind: 'header' };
          break;
        }
        case 'meta': {
          const want = state.size + state.pad - state.got;
          const n = Math.min(want, chunk.length - at);
          const dataLeft = state.size - state.got;
          if (dataLeft > 0) state.parts.push(Buffer.from(chunk.subarray(at, at + Math.min(n, dataLeft))));
          state.got += n;
          at += n;
          this.offset += n;
          if (state.got === state.size + state.pad) {
            this.state = { kind: 'header' };
            this.applyMeta(state.type, Buffer.concat(state.parts));
          }
          break;
        }
        case 'header':
        case 'sparse': {
          const n = Math.min(BLOCK - this.fill, chunk.length - at);
          this.block.set(chunk.subarray(at, at + n), this.fill);
          this.fill += n;
          at += n;
          this.offset += n;
          if (this.fill === BLOCK) {
            this.fill = 0;
            if (state.kind === 'header') this.header();
            else this.sparseExtension(state.then);
          }
          break;
        }
      }
    }
  }

  /** The stream has ended: throws unless it stopped between entries. */
  end(): void {
    const state = this.state;
    switch (state.kind) {
      case 'end':
        return;
      case 'header':
        // A missing end-of-archive marker is tolerated, as Go's archive/tar (and so containerd) does,
        // but not a header cut short or one that announced a following entry.
        if (this.fill > 0) throw new TarError(`truncated tar stream: it ends ${this.fill} bytes into a header at byte ${this.offset - this.fill}`);
        if (this.hasLocal) throw new TarError(`truncated tar stream: it ends after a pax or long-name header, without the entry it describes`);
        return;
      case 'skip':
        throw new TarError(`truncated tar stream: it ends ${state.left} bytes before the end of an entry's content`);
      case 'meta':
        throw new TarError(`truncated tar stream: it ends inside a ${state.type === 'L' || state.type === 'K' ? 'GNU long-name' : 'pax'} record`);
      case 'sparse':
        throw new TarError('truncated tar stream: it ends inside a GNU sparse header');
    }
  }

  private header(): void {
    const b = this.block;
    const at = this.offset - BLOCK;
    if (b.every((x) => x === 0)) {
      if (this.hasLocal) throw new TarError(`tar stream ends after a pax or long-name header, without the entry it describes`);
      // Two zero blocks end the archive; one zero block at the very end of the stream is tolerated (see end()).
      if (++this.zeroBlocks >= 2) this.state = { kind: 'end' };
      return;
    }
    if (this.zeroBlocks > 0) throw new TarError(`tar header at byte ${at}: an entry follows a zero block (corrupt archive)`);
    checkChecksum(b, at);
    const type = String.fromCharCode(b[156] ?? 0);
    const size = numeric(b, 124, 12, 'size', at);
    switch (type) {
      case 'x':
      case 'g':
      case 'L':
      case 'K':
        if (size > MAX_META_BYTES) throw new TarError(`tar header at byte ${at}: a ${type} record of ${size} bytes is larger than the ${MAX_META_BYTES} accepted`);
        this.state = { kind: 'meta', type, size, parts: [], got: 0, pad: padding(size) };
        if (size === 0) {
          this.state = { kind: 'header' };
          this.applyMeta(type, Buffer.alloc(0));
        }
        return;
    }
    const magic = b.toString('latin1', 257, 263);
    const name = cString(b, 0, 100);
    // Only POSIX ustar has a prefix field; old GNU headers keep times there.
    const prefix = magic === 'ustar\0' ? cString(b, 345, 155) : '';
    const headerPath = prefix ? `${prefix}/${name}` : name;
    const pending = this.pending();
    const path = normalisePath(pending.path ?? headerPath);
    const stored = pending.size ?? size;
    let entryType: TarEntryType;
    let data = stored;
    let reported = stored;
    if (HEADER_ONLY.has(type)) {
      data = 0;
      reported = 0;
      entryType = type === '1' ? 'hardlink' : type === '2' ? 'symlink' : type === '5' ? 'dir' : 'other';
    } else if (type === '\0' && (pending.path ?? headerPath).endsWith('/')) {
      // A v7 header marks a directory only by the trailing slash of its name.
      entryType = 'dir';
      data = 0;
      reported = 0;
    } else if (type === '0' || type === '\0' || type === '7') {
      entryType = 'file';
      if (pending.realSize !== undefined) reported = pending.realSize;
    } else if (type === 'D') {
      // GNU dumpdir: a directory whose data lists its contents.
      entryType = 'dir';
      reported = 0;
    } else if (type === 'V') {
      // GNU volume label: not a member of the filesystem.
      this.local = {};
      this.hasLocal = false;
      this.skipData(data);
      return;
    } else if (type === 'S') {
      entryType = 'file';
      reported = pending.realSize ?? numeric(b, 483, 12, 'realsize', at);
      this.local = {};
      this.hasLocal = false;
      this.emit({ path, type: entryType, size: reported });
      // An extension block follows the header while its `isextended` flag is set.
      if ((b[482] ?? 0) !== 0) this.state = { kind: 'sparse', then: data + padding(data) };
      else this.skipData(data);
      return;
    } else {
      entryType = 'other';
      reported = 0;
    }
    this.local = {};
    this.hasLocal = false;
    this.emit({ path, type: entryType, size: reported });
    this.skipData(data);
  }

  private sparseExtension(then: number): void {
    if ((this.block[504] ?? 0) !== 0) this.state = { kind: 'sparse', then };
    else this.skipData(then);
  }

  private skipData(bytes: number): void {
    const left = bytes + padding(bytes);
    this.state = left > 0 ? { kind: 'skip', left } : { kind: 'header' };
  }

  private emit(entry: TarEntry): void {
    checkPath(entry.path, this.budget.limits);
    this.budget.entry(++this.entries);
    this.onEntry(entry);
  }

  /** Global pax values overridden by this entry's own. */
  private pending(): Pending {
    const g = this.global;
    const l = this.local;
    const pick = <K extends keyof Pending>(k: K): Pending[K] => (k in l ? l[k] : g[k]);
    return { path: pick('path'), linkpath: pick('linkpath'), size: pick('size'), realSize: pick('realSize') };
  }

  private applyMeta(type: string, data: Buffer): void {
    const at = this.offset - data.length - padding(data.length);
    if (type === 'L' || type === 'K') {
      const text = cString(data, 0, data.length);
      if (type === 'L') this.local.path = text;
      else this.local.linkpath = text;
      this.hasLocal = true;
      return;
    }
    const target = type === 'g' ? this.global : this.local;
    for (const [key, value] of paxRecords(data, at)) {
      // An empty value removes the key (pax: "the field shall be deleted"), here: back to the header's own.
      const field = paxField(key);
      if (!field) continue;
      if (value === '') {
        if (type === 'g') delete target[field];
        else target[field] = undefined;
        continue;
      }
      if (field === 'size' || field === 'realSize') {
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new TarError(`pax record at byte ${at}: ${key}="${value}" is not a size`);
        target[field] = Number(value);
      } else {
        target[field] = value;
      }
    }
    if (type === 'x') this.hasLocal = true;
  }
}

function paxField(key: string): keyof Pending | undefined {
  switch (key) {
    case 'path':
    case 'GNU.sparse.name':
      return 'path';
    case 'linkpath':
      return 'linkpath';
    case 'size':
      return 'size';
    case 'GNU.sparse.realsize':
    case 'GNU.sparse.size':
      return 'realSize';
    default:
      return undefined;
  }
}

/** Parses `"%d %s=%s\n"` records; the length counts the whole record, its own digits included. */
export function paxRecords(data: Buffer, at = 0): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < data.length) {
    // Some writers pad the record area with NULs.
    if (data[i] === 0) break;
    const space = data.indexOf(0x20, i);
    const lengthText = space > i ? data.toString('latin1', i, space) : '';
    const length = /^\d{1,7}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!Number.isFinite(length) || length <= space - i + 1 || i + length > data.length || data[i + length - 1] !== 0x0a) {
      throw new TarError(`pax header at byte ${at}: malformed record at offset ${i}`);
    }
    const record = data.toString('utf8', space + 1, i + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarError(`pax header at byte ${at}: record without "key=" at offset ${i}`);
    out.push([record.slice(0, eq), record.slice(eq + 1)]);
    i += length;
  }
  return out;
}

/** Strips `./` and `/` prefixes, a trailing `/`, and empty or `.` segments; `..` is kept as it is. */
export function normalisePath(raw: string): string {
  return raw
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function cString(b: Uint8Array, start: number, length: number): string {
  const end = start + length;
  let stop = start;
  while (stop < end && b[stop] !== 0) stop++;
  return Buffer.from(b.buffer, b.byteOffset + start, stop - start).toString('utf8');
}

/** An octal field (NUL- or space-terminated, maybe space-padded), or GNU base-256 when the high bit is set. */
function numeric(b: Buffer, start: number, length: number, field: string, at: number): number {
  const first = b[start] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new TarError(`tar header at byte ${at}: negative ${field}`);
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + (b[i] ?? 0);
      if (!Number.isSafeInteger(value)) throw new TarError(`tar header at byte ${at}: ${field} too large`);
    }
    return value;
  }
  const text = b.toString('latin1', start, start + length).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`tar header at byte ${at}: ${field} field "${text.replace(/[^\x20-\x7e]/g, '?')}" is not an octal number`);
  return parseInt(text, 8);
}

function checkChecksum(b: Buffer, at: number): void {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  const text = b.toString('latin1', 148, 156).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  const expected = /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
  if (expected !== unsigned && expected !== signed) {
    throw new TarError(
      Number.isNaN(expected)
        ? `not a tar stream: the header at byte ${at} has no valid checksum`
        : `tar header at byte ${at}: checksum mismatch (header says ${expected}, content sums to ${unsigned})`
    );
  }
}

/** A sink that parses everything written to it; it fails with a TarError on malformed input or a truncated end. */
export function createTarReader(onEntry: (entry: TarEntry) => void, budget?: MeasureBudget): Writable {
  const parser = new TarParser(onEntry, budget);
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        parser.push(chunk);
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
    final(callback) {
      try {
        parser.end();
        callback();
      } catch (e) {
        callback(e as Error);
      }
    }
  });
}

/**
 * A pass-through that parses the tar bytes flowing through it: for reading the entries in the same
 * pass that counts and digests the stream. Each chunk goes on unchanged once parsed.
 */
export function createTarTap(onEntry: (entry: TarEntry) => void, budget?: MeasureBudget): Transform {
  const parser = new TarParser(onEntry, budget);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        parser.push(chunk);
        callback(null, chunk);
      } catch (e) {
        callback(e as Error);
      }
    },
    flush(callback) {
      try {
        parser.end();
        callback();
      } catch (e) {
        callback(e as Error);
      }
    }
  });
}
