// A layout folder followed while it is written (LayoutFollower), by a writer that does what buildx's
// content store does (recorded in the e2e test, side-by-side.test.ts): each blob into
// `ingest/<id>/data` beside `ref` and `total`, a chunk at a time, then renamed into `blobs/sha256/`.
// The layers measured on the way must give what the finished folder gives, files included, and be
// what the measurement uses; whatever went wrong on the way (a blob rewritten, a blob never finished)
// must leave the numbers to the finished folder.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FOLLOWED_AT_ONCE, LayoutFollower } from '../../src/image/layout-follow.js';
import { measureOciLayout, type MeasureOptions } from '../../src/image/measure.js';
import type { LayerSizes } from '../../src/image/layer-stream.js';
import { SharedLayers } from '../../src/image/shared-layers.js';
import { tarMember, tarOf } from '../support/tar-writer.js';

const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const TAR = 'application/vnd.oci.image.layer.v1.tar';
const opts: MeasureOptions = { target: 'app', secrets: [], files: true };

let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'image-budget-follow-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const files = (n: number, size: number): Buffer => tarOf(...Array.from({ length: n }, (_, i) => tarMember(`d/f${i}`, randomBytes(size))));

interface Layer {
  readonly blob: Buffer;
  readonly mediaType: string;
  readonly tar: Buffer;
}
const gz = (tar: Buffer): Layer => ({ blob: gzipSync(tar), mediaType: GZIP, tar });

/** Writes a blob the way the content store does: ingest, a chunk at a time, then the rename. */
async function ingest(dir: string, id: string, ref: string, blob: Buffer, o: { chunks?: number; total?: number; commit?: boolean } = {}): Promise<void> {
  const at = join(dir, 'ingest', id);
  await mkdir(at, { recursive: true });
  await writeFile(join(at, 'ref'), ref);
  await writeFile(join(at, 'total'), String(o.total ?? blob.length));
  await writeFile(join(at, 'data'), '');
  const n = o.chunks ?? 6;
  const step = Math.ceil(blob.length / n);
  for (let i = 0; i < blob.length; i += step) {
    await appendFile(join(at, 'data'), blob.subarray(i, i + step));
    await sleep(30);
  }
  if (o.commit === false) return;
  await rename(join(at, 'data'), join(dir, 'blobs', 'sha256', hex(blob)));
  await rm(at, { recursive: true, force: true });
}

/** The small documents, written directly; returns the layer descriptors' digests. */
function finish(dir: string, layers: readonly Layer[]): void {
  const put = (s: string): { digest: string; size: number } => {
    writeFileSync(join(dir, 'blobs', 'sha256', hex(s)), s);
    return { digest: `sha256:${hex(s)}`, size: Buffer.byteLength(s) };
  };
  const config = put(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${hex(l.tar)}`) },
      history: layers.map((_, i) => ({ created_by: `RUN step ${i}` }))
    })
  );
  const manifest = put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: `sha256:${hex(l.blob)}`, size: l.blob.length }))
    })
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] })
  );
}

function folder(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  return dir;
}

describe('LayoutFollower: layers measured as they are written', () => {
  it('each layer is measured on the way, the measurement uses it, and the numbers are the finished folder’s', async () => {
    const dir = folder('slow');
    const a = gz(files(30, 4000));
    const tar = files(3, 9000);
    const plain: Layer = { blob: tar, mediaType: TAR, tar };
    const follower = new LayoutFollower(dir, opts);
    follower.start();
    expect(follower.budget).toBeUndefined();
    await Promise.all([ingest(dir, '1', `layer-sha256:${hex(a.blob)}`, a.blob), ingest(dir, '2', `layer-sha256:${hex(plain.blob)}`, plain.blob)]);
    finish(dir, [a, plain]);
    await follower.end();
    expect(follower.budget).toBeDefined();
    expect(follower.early(`sha256:${hex(a.blob)}`)).toMatchObject({ size: a.blob.length, compression: 'gzip' });
    expect(follower.early(`sha256:${hex(plain.blob)}`)).toMatchObject({ compression: 'none' });
    const expected = await measureOciLayout(dir, opts);
    expect(await measureOciLayout(dir, opts, follower)).toEqual(expected);
    // What was measured on the way is what counts: the files on disk are not read again (here,
    // spoiled after the fact, they would fail their digest).
    writeFileSync(join(dir, 'blobs', 'sha256', hex(a.blob)), Buffer.alloc(a.blob.length));
    await expect(measureOciLayout(dir, opts)).rejects.toThrow(/does not match|cannot read/);
    expect(await measureOciLayout(dir, opts, follower)).toEqual(expected);
  });

  it('a layer the run measured or is measuring elsewhere is not followed; what it follows, the run shares', async () => {
    const first = folder('shared-first');
    const second = folder('shared-second');
    const x = gz(files(20, 4000));
    const y = gz(files(3, 900));
    const z = gz(files(4, 800));
    // The first image, as a pull request's head: followed, its layers shared with the run.
    const shared = new SharedLayers();
    const withShared: MeasureOptions = { ...opts, shared };
    const head = new LayoutFollower(first, withShared);
    head.start();
    await Promise.all([ingest(first, '1', `layer-sha256:${hex(x.blob)}`, x.blob), ingest(first, '2', `layer-sha256:${hex(y.blob)}`, y.blob)]);
    finish(first, [x, y]);
    await head.end();
    expect(shared.find(`sha256:${hex(x.blob)}`, x.blob.length, true, 'gzip')).toBe(head.early(`sha256:${hex(x.blob)}`)?.sizes);
    expect(await measureOciLayout(first, withShared, head)).toEqual(await measureOciLayout(first, opts));
    // The second, as its base: x is not followed (nor read: spoiled on disk, it would fail its digest), z is.
    const base = new LayoutFollower(second, withShared);
    base.start();
    await Promise.all([ingest(second, '1', `layer-sha256:${hex(x.blob)}`, x.blob), ingest(second, '2', `layer-sha256:${hex(z.blob)}`, z.blob)]);
    finish(second, [x, z]);
    await base.end();
    expect(base.early(`sha256:${hex(x.blob)}`)).toBeUndefined();
    expect(base.early(`sha256:${hex(z.blob)}`)).toMatchObject({ compression: 'gzip' });
    const alone = await measureOciLayout(second, opts);
    writeFileSync(join(second, 'blobs', 'sha256', hex(x.blob)), Buffer.alloc(x.blob.length));
    await expect(measureOciLayout(second, opts)).rejects.toThrow(/does not match|cannot read/);
    expect(await measureOciLayout(second, withShared, base)).toEqual(alone);
  });

  it('a layer the run is measuring elsewhere is not followed; when that measurement fails, the file is measured', async () => {
    const dir = folder('shared-pending');
    const z = gz(files(4, 800));
    const shared = new SharedLayers();
    let fail: () => void = () => undefined;
    shared.add(`sha256:${hex(z.blob)}`, z.blob.length, 'gzip', true, new Promise<LayerSizes>((_, reject) => (fail = () => reject(new Error('cut short')))));
    const withShared: MeasureOptions = { ...opts, shared };
    const follower = new LayoutFollower(dir, withShared);
    follower.start();
    await ingest(dir, '1', `layer-sha256:${hex(z.blob)}`, z.blob);
    finish(dir, [z]);
    await follower.end();
    expect(follower.early(`sha256:${hex(z.blob)}`)).toBeUndefined();
    const measuring = measureOciLayout(dir, withShared, follower);
    fail();
    expect(await measuring).toEqual(await measureOciLayout(dir, opts));
  });

  it(`buildx writing many blobs at once: ${FOLLOWED_AT_ONCE} are read at a time, the others in turn, and every one counts`, async () => {
    const dir = folder('many');
    const layers = [gz(files(6, 5000)), gz(files(7, 5000)), gz(files(8, 5000)), gz(files(9, 5000))];
    const follower = new LayoutFollower(dir, opts);
    follower.start();
    // Every 5 ms while the blobs are written: how many are being read (seen early, not yet measured).
    // Counted once the callbacks of the measurements already settled have run (the next turn of the
    // event loop), so that a layer just finished is not counted as still read.
    const seen = new Set<string>();
    const settled = new Set<string>();
    let most = 0;
    let writing = true;
    const watch = (async (): Promise<void> => {
      while (writing) {
        for (const l of layers) {
          const digest = `sha256:${hex(l.blob)}`;
          const early = follower.early(digest);
          if (!early || seen.has(digest)) continue;
          seen.add(digest);
          void early.sizes.then(() => settled.add(digest), () => settled.add(digest));
        }
        await new Promise((resolve) => setImmediate(resolve));
        most = Math.max(most, [...seen].filter((d) => !settled.has(d)).length);
        await sleep(5);
      }
    })();
    await Promise.all(layers.map((l, i) => ingest(dir, String(i), `layer-sha256:${hex(l.blob)}`, l.blob, { chunks: 10 })));
    writing = false;
    await watch;
    finish(dir, layers);
    await follower.end();
    expect(most).toBe(FOLLOWED_AT_ONCE);
    // Each was read whole on the way, those that waited included (a failed early read would only send
    // the measurement back to the file, and the last check would pass all the same).
    for (const l of layers) {
      const early = follower.early(`sha256:${hex(l.blob)}`);
      expect(early).toMatchObject({ size: l.blob.length, compression: 'gzip' });
      await expect(early!.sizes).resolves.toMatchObject({ uncompressedBytes: l.tar.length });
    }
    expect(await measureOciLayout(dir, opts, follower)).toEqual(await measureOciLayout(dir, opts));
  });

  it('a blob rewritten on the way (other bytes than its digest): the finished file is measured', async () => {
    const dir = folder('rewritten');
    const a = gz(files(5, 3000));
    const follower = new LayoutFollower(dir, opts);
    follower.start();
    // First attempt: wrong bytes under the layer's ref, abandoned; then the right ones.
    const wrong = gzipSync(files(5, 3000));
    await ingest(dir, '1', `layer-sha256:${hex(a.blob)}`, wrong.subarray(0, a.blob.length), { commit: false, total: a.blob.length });
    await rm(join(dir, 'ingest', '1'), { recursive: true });
    await writeFile(join(dir, 'blobs', 'sha256', hex(a.blob)), a.blob);
    finish(dir, [a]);
    await follower.end();
    await expect(follower.early(`sha256:${hex(a.blob)}`)?.sizes).rejects.toThrow();
    expect(await measureOciLayout(dir, opts, follower)).toEqual(await measureOciLayout(dir, opts));
  });

  it('a blob never finished: end() does not wait for it, and the finished folder is measured', async () => {
    const dir = folder('unfinished');
    const a = gz(files(5, 3000));
    const follower = new LayoutFollower(dir, opts);
    follower.start();
    await ingest(dir, '1', `layer-sha256:${hex(a.blob)}`, a.blob.subarray(0, 700), { commit: false, total: a.blob.length });
    await writeFile(join(dir, 'blobs', 'sha256', hex(a.blob)), a.blob);
    finish(dir, [a]);
    await follower.end();
    await expect(follower.early(`sha256:${hex(a.blob)}`)?.sizes).rejects.toThrow(/the blob ended at 700 bytes/);
    expect(await measureOciLayout(dir, opts, follower)).toEqual(await measureOciLayout(dir, opts));
  });

  it('only layers are followed: a manifest, a ref of another form, a blob that is no layer', async () => {
    const dir = folder('others');
    const follower = new LayoutFollower(dir, opts);
    follower.start();
    const json = Buffer.from(JSON.stringify({ schemaVersion: 2, padding: 'x'.repeat(2000) }));
    await ingest(dir, '1', `manifest-sha256:${hex(json)}`, json);
    await ingest(dir, '2', 'layer-sha256:not-hex', json);
    await ingest(dir, '3', `layer-sha256:${hex(json)}`, json);
    await follower.end();
    expect(follower.early(`sha256:${hex(json)}`)).toBeUndefined();
  });

  it('a folder nothing is written to: end() returns, nothing early', async () => {
    const follower = new LayoutFollower(join(work, 'never-made'), opts);
    follower.start();
    await sleep(50);
    await follower.end();
    expect(follower.budget).toBeUndefined();
  });
});
