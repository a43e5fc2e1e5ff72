// The one tar reader: it is pushed the bytes of a tar stream chunk by chunk (a layer, or the outer
// archive `docker save` writes) and reports each entry's path, type and size. Contents are counted
// past, or handed piece by piece to a sink the caller gives for the entries it reads (docker-save.ts:
// the layers, configs and JSON documents of a save); the reader itself keeps only the small pax and
// GNU long-name records (capped), which describe the next entry.
//
// Formats: v7, ustar (prefix + name), GNU (`ustar  ` magic, `L`/`K` long names, old sparse files,
// base-256 numbers) and pax (`x` records: path, linkpath, size, GNU.sparse.*).
//
// The rules are those of Go's archive/tar, the reader of the OCI unpackers (containerd, moby), so the
// entries are what unpacking the image makes:
// - end of archive: two zero blocks; the stream may also end after one zero block or right after an
//   entry (tolerated; `complete` tells which, for a caller whose writer always ends with the marker),
//   but an entry after a zero block is an error;
// - pax `g` (global) records are checked and otherwise ignored, as Go and containerd ignore them;
//   a later `x` record replaces an earlier one, a GNU long name wins over a pax path;
// - numeric fields: leading and trailing NULs and spaces are padding, the value ends at a NUL inside;
//   base-256 with the sign bit set is negative, hence an error for a size;
// - pax records fill their data exactly (NUL padding inside the record area is an error), and a
//   path or linkpath holding a NUL is refused;
// - paths are cleaned as containerd cleans them: `.` and empty segments go, `..` takes the segment
//   before it away and stops at the root (`../x` unpacks as `x`).
//
// Limits (limits.ts): entries per layer and per measurement, path bytes and depth; a LimitError
// (not a TarError: the archive may be valid, only too costly) stops the stream.
import { Transform } from 'node:stream';
import { MeasureBudget, checkPath } from './limits.js';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One member of a tar stream. */
export interface TarEntry {
  /** Cleaned (normalisePath): no leading `./` or `/`, no trailing `/`, no empty, `.` or `..` segments; `''` is the root. */
  readonly path: string;
  readonly type: TarEntryType;
  /** The file's size in bytes (its real size for sparse files); 0 for every non-file entry. */
  readonly size: number;
}

/** The stream is not a readable tar archive (bad checksum, truncated, invalid field). */
export class TarError extends Error {
  constructor(
    message: string,
    /** The stream ended inside an entry: what wrote it may have failed, and has the better message. */
    readonly truncated = false
  ) {
    super(message);
    this.name = 'TarError';
  }
}

/** Receives an entry's stored content while it streams past (views of the pushed chunk: copy what is kept), then its end. */
export interface TarContentSink {
  write(data: Buffer): void;
  end(): void;
}

/** Chooses the entries whose content the caller reads: a sink, or undefined to count past it. `linkpath` is the link target of a link. */
export type ContentPicker = (entry: TarEntry, linkpath: string) => TarContentSink | undefined;

const BLOCK = 512;
/** Largest pax record or GNU long name accepted (Go's archive/tar uses the same bound). */
export const MAX_META_BYTES = 1024 * 1024;

/** Types whose header is the whole entry: no data follows even when the size field says otherwise (as Go and GNU tar read them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

type State =
  /** Collecting a 512-byte header block. */
  | { readonly kind: 'header' }
  /** Going past `left` bytes of content (into `sink` when the caller reads it), then `pad` bytes of padding. */
  | { readonly kind: 'data'; left: number; pad: number; readonly sink?: TarContentSink }
  /** Collecting a pax or GNU long-name record of `size` bytes, then `pad` bytes of padding. */
  | { readonly kind: 'meta'; readonly type: string; readonly size: number; readonly parts: Buffer[]; got: number; readonly pad: number }
  /** Collecting an old-GNU sparse extension block; `then` bytes of content follow it. */
  | { readonly kind: 'sparse'; readonly then: number }
  /** After the end-of-archive marker: the rest (record padding) is ignored. */
  | { readonly kind: 'end' };

/** What pax `x` records and GNU long names say about the next entry. */
interface Pending {
  /** From the last pax `x` header (a later one replaces it). */
  pax?: { path?: string; sparseName?: string; linkpath?: string; size?: number; realSize?: number };
  longName?: string;
  longLink?: string;
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
  private pending: Pending = {};
  /** Entries handed out so far. */
  private entries = 0;

  /**
   * `budget` counts entries across the layers of one measurement; a fresh one has the default limits.
   * `pick` is asked for each entry whether its content is read, and where to.
   */
  constructor(
    private readonly onEntry: (entry: TarEntry) => void,
    private readonly budget: MeasureBudget = new MeasureBudget(),
    private readonly pick?: ContentPicker
  ) {}

  /** Whether the end-of-archive marker (two zero blocks) has been read. */
  get complete(): boolean {
    return this.state.kind === 'end';
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'end':
          this.offset += chunk.length - at;
          return;
        case 'data':
          at = this.data(state, chunk, at);
          break;
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

  /** Goes past content and padding from `at`, handing the content to the sink; returns where it stopped. */
  private data(state: Extract<State, { kind: 'data' }>, chunk: Uint8Array, at: number): number {
    if (state.left > 0) {
      const n = Math.min(state.left, chunk.length - at);
      state.left -= n;
      this.offset += n;
      if (state.sink) {
        const view = chunk.subarray(at, at + n);
        state.sink.write(Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.length));
        if (state.left === 0) state.sink.end();
      }
      at += n;
    }
    const n = Math.min(state.pad, chunk.length - at);
    state.pad -= n;
    this.offset += n;
    if (state.left === 0 && state.pad === 0) this.state = { kind: 'header' };
    return at + n;
  }

  /** The stream has ended: throws unless it stopped between entries. */
  end(): void {
    const state = this.state;
    const truncated = (message: string): TarError => new TarError(`truncated tar stream: ${message}`, true);
    switch (state.kind) {
      case 'end':
        return;
      case 'header':
        // A missing end-of-archive marker is tolerated, as Go's archive/tar (and so containerd) does,
        // but not a header cut short or one that announced a following entry.
        if (this.fill > 0) throw truncated(`it ends ${this.fill} bytes into a header at byte ${this.offset - this.fill}`);
        if (this.announced()) throw truncated(`it ends after a pax or long-name header, without the entry it describes`);
        return;
      case 'data':
        throw truncated(`it ends ${state.left + state.pad} bytes before the end of an entry's content`);
      case 'meta':
        throw truncated(`it ends inside a ${state.type === 'L' || state.type === 'K' ? 'GNU long-name' : 'pax'} record`);
      case 'sparse':
        throw truncated('it ends inside a GNU sparse header');
    }
  }

  private announced(): boolean {
    return this.pending.pax !== undefined || this.pending.longName !== undefined || this.pending.longLink !== undefined;
  }

  private header(): void {
    const b = this.block;
    const at = this.offset - BLOCK;
    if (b.every((x) => x === 0)) {
      if (this.announced()) throw new TarError(`tar stream ends after a pax or long-name header, without the entry it describes`);
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
    this.member(type, size, at);
  }

  /** A header that is an entry of the archive (not a pax or long-name record). */
  private member(type: string, headerSize: number, at: number): void {
    const b = this.block;
    const { pax = {}, longName, longLink } = this.pending;
    this.pending = {};
    const name = cString(b, 0, 100);
    // Only POSIX ustar has a prefix field; old GNU headers keep times there.
    const prefix = b.toString('latin1', 257, 263) === 'ustar\0' ? cString(b, 345, 155) : '';
    const rawPath = longName ?? pax.sparseName ?? pax.path ?? (prefix ? `${prefix}/${name}` : name);
    const linkpath = longLink ?? pax.linkpath ?? cString(b, 157, 100);
    const stored = pax.size ?? headerSize;
    const kind = entryType(type, rawPath);
    if (kind === undefined) return this.skipData(stored); // a GNU volume label: not a member of the filesystem
    // Header-only types and v7 directories carry no data, whatever the size says.
    const data = HEADER_ONLY.has(type) || (kind === 'dir' && type !== 'D') ? 0 : stored;
    let size = 0;
    if (kind === 'file') size = type === 'S' ? (pax.realSize ?? numeric(b, 483, 12, 'realsize', at)) : (pax.realSize ?? stored);
    const entry: TarEntry = { path: normalisePath(rawPath), type: kind, size };
    checkPath(entry.path, this.budget.limits);
    this.budget.entry(++this.entries);
    this.onEntry(entry);
    // A sparse file's stored data is not its content: it is counted past.
    const sink = type === 'S' || pax.realSize !== undefined ? undefined : this.pick?.(entry, linkpath);
    // An old GNU sparse header is followed by extension blocks while its `isextended` flag is set.
    if (type === 'S' && (b[482] ?? 0) !== 0) this.state = { kind: 'sparse', then: data + padding(data) };
    else this.skipData(data, sink);
  }

  private sparseExtension(then: number): void {
    if ((this.block[504] ?? 0) !== 0) this.state = { kind: 'sparse', then };
    else this.state = then > 0 ? { kind: 'data', left: 0, pad: then } : { kind: 'header' };
  }

  private skipData(bytes: number, sink?: TarContentSink): void {
    if (bytes === 0) sink?.end();
    const pad = padding(bytes);
    this.state = bytes + pad > 0 ? { kind: 'data', left: bytes, pad, ...(sink ? { sink } : {}) } : { kind: 'header' };
  }

  private applyMeta(type: string, data: Buffer): void {
    const at = this.offset - data.length - padding(data.length);
    if (type === 'L') this.pending.longName = cString(data, 0, data.length);
    else if (type === 'K') this.pending.longLink = cString(data, 0, data.length);
    else if (type === 'g') paxRecords(data, at); // checked, then ignored (Go's reader and containerd do not apply them)
    else this.pending.pax = paxFields(paxRecords(data, at), at);
  }
}

/** Entry types by typeflag; others are `other` (GNU dumpdir `D` is a directory whose data lists its contents). */
const TYPES: Readonly<Record<string, TarEntryType>> = { '0': 'file', '7': 'file', S: 'file', '1': 'hardlink', '2': 'symlink', '5': 'dir', D: 'dir' };

/** The entry type of a header's typeflag; undefined for a GNU volume label, which is no entry. */
function entryType(type: string, rawPath: string): TarEntryType | undefined {
  if (type === 'V') return undefined;
  // A v7 header marks a directory only by the trailing slash of its name.
  if (type === '\0') return rawPath.endsWith('/') ? 'dir' : 'file';
  return TYPES[type] ?? 'other';
}

/** The fields of a pax `x` header this reader uses; an empty value leaves the header's own (as Go does). */
function paxFields(records: Array<[string, string]>, at: number): NonNullable<Pending['pax']> {
  const out: NonNullable<Pending['pax']> = {};
  for (const [key, value] of records) {
    if (value === '') continue;
    switch (key) {
      case 'path':
      case 'linkpath':
      case 'GNU.sparse.name':
        if (value.includes('\0')) throw new TarError(`pax record at byte ${at}: ${key} holds a NUL byte`);
        out[key === 'GNU.sparse.name' ? 'sparseName' : key] = value;
        break;
      case 'size':
      case 'GNU.sparse.realsize':
      case 'GNU.sparse.size':
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new TarError(`pax record at byte ${at}: ${key}="${value}" is not a size`);
        out[key === 'size' ? 'size' : 'realSize'] = Number(value);
        break;
    }
  }
  return out;
}

/** Parses `"%d %s=%s\n"` records; the length counts the whole record, its own digits included. */
export function paxRecords(data: Buffer, at = 0): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < data.length) {
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

/**
 * A path cleaned as containerd cleans an entry's name before unpacking it: `./`, `/` and empty
 * segments go, `..` removes the segment before it and stops at the root; `''` is the root.
 */
export function normalisePath(raw: string): string {
  const out: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out.join('/');
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

/**
 * An octal field as Go reads it: leading and trailing NULs and spaces are padding, the value ends
 * at a NUL inside; or GNU base-256 when the high bit is set (negative, an error, when the next bit is).
 */
function numeric(b: Buffer, start: number, length: number, field: string, at: number): number {
  const first = b[start] ?? 0;
  if (first & 0x80) {
    if (first & 0x40) throw new TarError(`tar header at byte ${at}: negative ${field}`);
    let value = first & 0x3f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + (b[i] ?? 0);
      if (!Number.isSafeInteger(value)) throw new TarError(`tar header at byte ${at}: ${field} too large`);
    }
    return value;
  }
  const value = octal(b, start, length);
  if (value === undefined) {
    const text = b.toString('latin1', start, start + length).replace(/^[\0 ]+|[\0 ]+$/g, '');
    throw new TarError(`tar header at byte ${at}: ${field} field "${text.replace(/[^\x20-\x7e]/g, '?')}" is not an octal number`);
  }
  return value;
}

/** The value of an octal field (see numeric), undefined when it holds anything else. */
function octal(b: Buffer, start: number, length: number): number | undefined {
  let from = start;
  let to = start + length;
  while (from < to && (b[from] === 0 || b[from] === 0x20)) from++;
  while (to > from && (b[to - 1] === 0 || b[to - 1] === 0x20)) to--;
  const nul = b.indexOf(0, from);
  if (nul >= 0 && nul < to) to = nul;
  const text = b.toString('latin1', from, to);
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

function checkChecksum(b: Buffer, at: number): void {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  const field = b.subarray(148, 156);
  const expected = field.every((x) => x === 0 || x === 0x20) ? undefined : octal(b, 148, 8);
  if (expected !== unsigned && expected !== signed) {
    throw new TarError(
      expected === undefined
        ? `not a tar stream: the header at byte ${at} has no valid checksum`
        : `tar header at byte ${at}: checksum mismatch (header says ${expected}, content sums to ${unsigned})`
    );
  }
}

/**
 * A pass-through that parses the tar bytes flowing through it: for reading the entries in the same
 * pass that counts and digests the stream. Each chunk goes on unchanged once parsed; a malformed or
 * truncated stream fails with a TarError.
 */
export function createTarTap(onEntry: (entry: TarEntry) => void, budget?: MeasureBudget): Transform {
  const parser = new TarParser(onEntry, budget);
  const run = (step: () => void): Error | null => {
    try {
      step();
      return null;
    } catch (e) {
      return e as Error;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const error = run(() => parser.push(chunk));
      if (error) callback(error);
      else callback(null, chunk);
    },
    flush(callback) {
      callback(run(() => parser.end()));
    }
  });
}
