// The OCI export measured as it streams (measureOciStream) against the same layout measured from a
// directory (measureOciLayout): generated layouts of every layer kind, archived the way buildx
// streams them (blobs first, by digest, then index.json and oci-layout), in small and large chunks.
// The numbers must be the same to the byte, files included; a stream that lies about a blob, ends
// early or holds a bomb must fail as the directory does. A blob the run measured already
// (SharedLayers) is not read again, by a stream or a directory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ArchiveError } from '../../src/image/archive-reader.js';
import { DEFAULT_LIMITS } from '../../src/image/limits.js';
import { measureOciLayout, type MeasureOptions } from '../../src/image/measure.js';
import type { LayerSizes } from '../../src/image/layer-stream.js';
import type { ImageStats } from '../../src/model.js';
import { measureOciStream } from '../../src/image/oci-stream.js';
import { SharedLayers } from '../../src/image/shared-layers.js';
import { tarMember, tarOf, ustarHeader } from '../support/tar-writer.js';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MiB = 1024 * 1024;
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const TAR = 'application/vnd.oci.image.layer.v1.tar';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'image-budget-stream-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Layer {
  readonly blob: Buffer;
  readonly mediaType: string;
  readonly diffId: string;
}
const gz = (tar: Buffer): Layer => ({ blob: gzipSync(tar), mediaType: GZIP, diffId: sha256(tar) });
const raw = (tar: Buffer): Layer => ({ blob: tar, mediaType: TAR, diffId: sha256(tar) });

class LayoutWriter {
  readonly dir: string;
  constructor(name: string) {
    this.dir = join(work, name);
    mkdirSync(join(this.dir, 'blobs', 'sha256'), { recursive: true });
  }
  blob(content: Buffer | string): { digest: string; size: number } {
    const digest = sha256(content);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), content);
    return { digest, size: Buffer.byteLength(content) };
  }
  image(layers: readonly Layer[], arch = 'amd64'): { mediaType: string; digest: string; size: number; platform: object } {
    const config = this.blob(
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({ created_by: `RUN step ${i}` }))
      })
    );
    const manifest = this.blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((l) => ({ mediaType: l.mediaType, ...this.blob(l.blob) }))
      })
    );
    return { mediaType: MANIFEST, ...manifest, platform: { architecture: arch, os: 'linux' } };
  }
  finish(manifests: readonly object[]): string {
    writeFileSync(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests }));
    return this.dir;
  }
}

/** The layout as buildx streams it: the blobs by digest, then index.json and oci-layout. */
function archive(dir: string): Buffer {
  const blobs = readdirSync(join(dir, 'blobs', 'sha256')).sort();
  return tarOf(
    tarMember('blobs/', '', '5'),
    tarMember('blobs/sha256/', '', '5'),
    ...blobs.map((b) => tarMember(`blobs/sha256/${b}`, readFileSync(join(dir, 'blobs', 'sha256', b)))),
    tarMember('index.json', readFileSync(join(dir, 'index.json'))),
    tarMember('oci-layout', readFileSync(join(dir, 'oci-layout')))
  );
}

const chunked = (bytes: Buffer, size: number): Readable =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    })()
  );

const files = (n: number, size: number): Buffer => tarOf(...Array.from({ length: n }, (_, i) => tarMember(`d/f${i}`, randomBytes(size))));

async function sameAsDirectory(dir: string, opts: MeasureOptions): Promise<void> {
  const expected = await measureOciLayout(dir, opts);
  for (const size of [511, 4096, 1 << 20]) {
    expect(await measureOciStream(chunked(archive(dir), size), opts)).toEqual(expected);
  }
}

describe('measureOciStream gives what measureOciLayout gives', () => {
  const opts = (files: boolean): MeasureOptions => ({ target: 'app', secrets: [], files });

  it.each([false, true])('gzip layers, an uncompressed layer, an empty tar layer, a layer listed twice (files: %s)', async (withFiles) => {
    const w = new LayoutWriter(`kinds-${withFiles}`);
    const a = gz(files(40, 3000));
    const empty = raw(Buffer.alloc(1024));
    const image = w.image([a, raw(files(3, 700)), empty, gz(tarOf(tarMember('d/f1', 'replaced'))), empty, a]);
    await sameAsDirectory(w.finish([image]), opts(withFiles));
  });

  it('a gzip layer of fewer bytes than it takes to recognise one, and a large one', async () => {
    const w = new LayoutWriter('sizes');
    const tiny = gz(Buffer.alloc(1024));
    expect(tiny.blob.length).toBeLessThan(512);
    await sameAsDirectory(w.finish([w.image([tiny, gz(files(2, 3 * MiB))])]), opts(true));
  });

  it('an index of two platforms sharing a layer, and a nested index', async () => {
    const w = new LayoutWriter('platforms');
    const shared = gz(files(5, 100));
    const amd = w.image([shared, gz(files(1, 10))], 'amd64');
    const arm = w.image([shared], 'arm64');
    const nested = w.blob(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [amd, arm] }));
    await sameAsDirectory(w.finish([{ mediaType: INDEX, ...nested }]), opts(true));
  });
});

describe('measureOciStream refuses what does not hold', () => {
  const opts: MeasureOptions = { target: 'app', secrets: [] };

  it('a blob whose content is not its digest', async () => {
    const w = new LayoutWriter('lie');
    const layer = gz(files(2, 100));
    const dir = w.finish([w.image([layer])]);
    const name = sha256(layer.blob).slice(7);
    writeFileSync(join(dir, 'blobs', 'sha256', name), gzipSync(files(2, 100)));
    await expect(measureOciStream(chunked(archive(dir), 4096), opts)).rejects.toThrow(/^Layer blob sha256:[0-9a-f]{64} does not match its digest/);
  });

  it('a layer its manifest calls gzip that is a plain tar', async () => {
    const w = new LayoutWriter('kind');
    const tar = files(2, 100);
    const dir = w.finish([w.image([{ blob: tar, mediaType: GZIP, diffId: sha256(tar) }])]);
    await expect(measureOciStream(chunked(archive(dir), 4096), opts)).rejects.toThrow(`Layer ${sha256(tar)}: cannot read it as gzip data (it is not)`);
    await expect(measureOciLayout(dir, opts)).rejects.toThrow(`Layer ${sha256(tar)}: cannot read it as gzip data`);
  });

  it('a stream cut short: an incomplete archive, said to be truncated', async () => {
    const w = new LayoutWriter('cut');
    const bytes = archive(w.finish([w.image([gz(files(3, 5000))])]));
    const failure = measureOciStream(chunked(bytes.subarray(0, 9000), 4096), opts);
    await expect(failure).rejects.toThrow(ArchiveError);
    await expect(failure).rejects.toMatchObject({ truncated: true });
  });

  it('a missing index', async () => {
    const w = new LayoutWriter('noindex');
    const dir = w.finish([w.image([gz(files(1, 10))])]);
    const blobs = readdirSync(join(dir, 'blobs', 'sha256'));
    const bytes = tarOf(...blobs.map((b) => tarMember(`blobs/sha256/${b}`, readFileSync(join(dir, 'blobs', 'sha256', b)))));
    await expect(measureOciStream(chunked(bytes, 4096), opts)).rejects.toThrow('the OCI export: oci-layout is missing');
  });

  it('a gzip bomb stops the read once past the limit, naming the target, the layer and the limit', async () => {
    const zeros = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    const bomb = Buffer.concat([gzipSync(ustarHeader('zeros', 8 * 64 * MiB)), ...Array.from({ length: 8 }, () => zeros), gzipSync(Buffer.alloc(1024))]);
    const w = new LayoutWriter('bomb');
    const dir = w.finish([w.image([{ blob: bomb, mediaType: GZIP, diffId: sha256('x') }])]);
    const limits = { ...DEFAULT_LIMITS, ratioFloorBytes: 64 * MiB };
    await expect(measureOciStream(chunked(archive(dir), 1 << 16), { ...opts, limits })).rejects.toThrow(
      new RegExp(`^app: measurement stopped at layer ${sha256(bomb)}: the layer inflates to more than 100 times its compressed size`)
    );
  }, 60_000);
});

describe('layers the run measured already (SharedLayers): each blob read once per run', () => {
  const opts = (shared?: SharedLayers): MeasureOptions => ({ target: 'app', secrets: [], files: true, ...(shared ? { shared } : {}) });
  /** Two layouts, as a pull request's head and base: `x` in both, `y` only in the first, `z` only in the second. */
  function headAndBase(name: string, xFiles = 30): { first: string; second: string; x: Layer } {
    const x = gz(files(xFiles, 2000));
    const h = new LayoutWriter(`${name}-head`);
    const first = h.finish([h.image([x, gz(files(5, 900))])]);
    const b = new LayoutWriter(`${name}-base`);
    const second = b.finish([b.image([x, gz(files(4, 800))])]);
    return { first, second, x };
  }
  /**
   * The layout's archive with the blob of `layer` replaced by as many other bytes after its gzip
   * header: still recognised as a gzip layer, but reading it would fail.
   */
  const withBlobReplaced = (dir: string, layer: Layer): Buffer => {
    const bytes = Buffer.from(archive(dir));
    const at = bytes.indexOf(layer.blob);
    expect(at).toBeGreaterThan(0);
    randomBytes(layer.blob.length - 10).copy(bytes, at + 10);
    return bytes;
  };
  /** `bytes` in chunks of `size`, counting in `read` what the measurement took so far. */
  const counted = (bytes: Buffer, size: number, read: { bytes: number }): Readable =>
    Readable.from(
      (function* () {
        for (let at = 0; at < bytes.length; at += size) {
          read.bytes = Math.min(at + size, bytes.length);
          yield bytes.subarray(at, at + size);
        }
      })()
    );

  it('a second layout reads only the blobs the first did not hold: a shared blob removed from it is not missed', async () => {
    const { first, second, x } = headAndBase('dirs');
    const alone = await measureOciLayout(second, opts());
    const shared = new SharedLayers();
    expect(await measureOciLayout(first, opts(shared))).toEqual(await measureOciLayout(first, opts()));
    rmSync(join(second, 'blobs', 'sha256', sha256(x.blob).slice(7)));
    await expect(measureOciLayout(second, opts())).rejects.toThrow(/missing/);
    expect(await measureOciLayout(second, opts(shared))).toEqual(alone);
  });

  it('an export stream waits while the run measures a blob it holds, then lets its bytes pass unread and takes those numbers', async () => {
    // A blob larger than what the reader buffers ahead (1 MiB).
    const { first, second, x } = headAndBase('wait', 1500);
    const alone = await measureOciLayout(second, opts());
    const measuredFirst = new SharedLayers();
    await measureOciLayout(first, opts(measuredFirst));
    const xSizes = await measuredFirst.find(sha256(x.blob), x.blob.length, true)!;
    const shared = new SharedLayers();
    let finish: () => void = () => undefined;
    shared.add(sha256(x.blob), x.blob.length, 'gzip', true, new Promise<LayerSizes>((resolve) => (finish = () => resolve(xSizes))));
    const bytes = withBlobReplaced(second, x);
    const read = { bytes: 0 };
    const streamed = measureOciStream(counted(bytes, 4096, read), opts(shared));
    await new Promise((r) => setTimeout(r, 100));
    // Held at that blob: not read to its end (the stream reads ahead at most its buffers' worth).
    expect(read.bytes).toBeLessThan(bytes.indexOf(x.blob) + x.blob.length);
    finish();
    expect(await streamed).toEqual(alone);
  });

  it('when the run’s measurement of that blob fails while the stream waits, the stream measures it itself, from its first byte', async () => {
    const { second, x } = headAndBase('fails', 1500);
    const alone = await measureOciLayout(second, opts());
    /** The stream of `bytes`, held at x by a measurement under way that then fails. */
    const heldThenFailed = async (bytes: Buffer, size: number): Promise<ImageStats[]> => {
      const shared = new SharedLayers();
      let fail: () => void = () => undefined;
      shared.add(sha256(x.blob), x.blob.length, 'gzip', true, new Promise<LayerSizes>((_, reject) => (fail = () => reject(new Error('cut short')))));
      const read = { bytes: 0 };
      const streamed = measureOciStream(counted(bytes, size, read), opts(shared));
      streamed.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
      expect(read.bytes).toBeLessThan(bytes.indexOf(x.blob) + x.blob.length);
      fail();
      return streamed;
    };
    for (const size of [511, 4096, 1 << 20]) {
      expect(await heldThenFailed(archive(second), size)).toEqual(alone);
      // And reads it: the same stream with other bytes in its place fails.
      await expect(heldThenFailed(withBlobReplaced(second, x), size)).rejects.toThrow(/cannot read it as gzip data|does not match its digest/);
    }
  });

  it('a stream shares what it measured with the layouts measured after it', async () => {
    const { first, second, x } = headAndBase('streams');
    const alone = await measureOciLayout(second, opts());
    const shared = new SharedLayers();
    expect(await measureOciStream(chunked(archive(first), 4096), opts(shared))).toEqual(await measureOciLayout(first, opts()));
    expect(await measureOciStream(chunked(withBlobReplaced(second, x), 4096), opts(shared))).toEqual(alone);
  });

  it('a measurement without files is not taken where files are asked for', async () => {
    const { first, second, x } = headAndBase('nofiles');
    const shared = new SharedLayers();
    await measureOciLayout(first, { ...opts(shared), files: false });
    rmSync(join(second, 'blobs', 'sha256', sha256(x.blob).slice(7)));
    await expect(measureOciLayout(second, opts(shared))).rejects.toThrow(/missing/);
  });
});
