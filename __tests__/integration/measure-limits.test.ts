// Both measuring paths on generated hostile images: an OCI layout on disk whose gzip layer is a bomb
// (measured with the default limits: refused once it inflates past 1 GiB, long before its end), a
// layer with too many entries, a measurement past its deadline, and `docker save` streams with a
// layer of zeros, too many entries, and a stream that never ends. Each must fail with the target,
// the layer and the limit named, quickly, never hang.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { measureDockerSave } from '../../src/image/docker-save.js';
import { DEFAULT_LIMITS, type MeasureLimits } from '../../src/image/limits.js';
import { measureOciLayout } from '../../src/image/measure.js';
import { tarMember, tarOf, ustarHeader } from '../support/tar-writer.js';

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MiB = 1024 * 1024;
const limits = (over: Partial<MeasureLimits>): MeasureLimits => ({ ...DEFAULT_LIMITS, ...over });

let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'image-budget-limits-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes an OCI layout of one linux/amd64 image with these gzip layers; returns its directory. */
function layout(name: string, layers: readonly Buffer[]): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blob = (content: Buffer | string): { digest: string; size: number } => {
    const digest = sha256(content);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), content);
    return { digest, size: Buffer.byteLength(content) };
  };
  const config = blob(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) },
      history: layers.map((_, i) => ({ created_by: `RUN step ${i}` }))
    })
  );
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(l) }))
    })
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  return dir;
}

/**
 * A gzip layer holding one file of `members` x 64 MiB of zeros: gzip members concatenated (a valid
 * gzip stream), each 64 MiB of zeros compressed once, so the blob is small and quick to make.
 */
let zeroMember: Buffer | undefined;
function zeroBomb(members: number): Buffer {
  const zeros = (zeroMember ??= gzipSync(Buffer.alloc(64 * MiB), { level: 9 }));
  const size = members * 64 * MiB;
  return Buffer.concat([gzipSync(ustarHeader('zeros', size)), ...Array.from({ length: members }, () => zeros), gzipSync(Buffer.alloc(1024))]);
}

describe('an OCI layout with hostile layers', () => {
  it('default limits: a gzip bomb (1000:1) is refused once past 1 GiB, naming the target, the layer and the limit', async () => {
    const bomb = zeroBomb(32); // 2 GiB of zeros in about 2 MiB
    const dir = layout('bomb', [gzipSync(tarOf(tarMember('etc/os-release', 'ID=test\n'))), bomb]);
    const started = Date.now();
    const measuring = measureOciLayout(dir, { target: 'app', secrets: [], files: true });
    await expect(measuring).rejects.toThrow(
      new RegExp(
        `^app: measurement stopped at layer ${sha256(bomb)}: the layer inflates to more than 100 times its compressed size of ${bomb.length} bytes ` +
          `\\(over 1\\.0 GiB inflated so far; a layer above 1 GiB may inflate at most 100:1\\); these limits guard against decompression bombs`
      )
    );
    // Stopped at 1 GiB of the 2: well under the time of the whole layer.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('a layer of ordinary data above the floor passes (ratio under the limit)', async () => {
    const data = randomBytes(3 * MiB);
    const layer = gzipSync(tarOf(tarMember('data.bin', data)));
    const [image] = await measureOciLayout(layout('ordinary', [layer]), { target: 'app', secrets: [], limits: limits({ ratioFloorBytes: MiB }) });
    expect(image?.uncompressedBytes).toBe(3 * MiB + 512 + 1024);
  });

  it('too many entries in a layer: refused with the layer and the limit', async () => {
    const layer = gzipSync(tarOf(...Array.from({ length: 30 }, (_, i) => tarMember(`f${i}`, 'x'))));
    await expect(
      measureOciLayout(layout('entries', [layer]), { target: 'web', secrets: [], files: true, limits: limits({ maxLayerEntries: 20 }) })
    ).rejects.toThrow(`web: measurement stopped at layer ${sha256(layer)}: the layer has more than 20 entries (the limit per layer); these limits`);
  });

  it('a path deeper than the limit: refused; the file tree is never built for it', async () => {
    const layer = gzipSync(tarOf(tarMember(`${'a/'.repeat(1500)}f`, 'x')));
    await expect(measureOciLayout(layout('deep', [layer]), { target: 'web', secrets: [], files: true })).rejects.toThrow(
      /^web: measurement stopped at layer sha256:[0-9a-f]{64}: an entry's path is 1501 directory levels deep, more than the 1024 accepted/
    );
  });

  it('the deadline: a measurement taking longer stops with the timeout named', async () => {
    const bomb = zeroBomb(16);
    await expect(
      measureOciLayout(layout('slow', [bomb]), { target: 'app', secrets: [], limits: limits({ timeoutMs: 50, ratioFloorBytes: Infinity }) })
    ).rejects.toThrow(`app: measurement stopped at layer ${sha256(bomb)}: measuring took longer than 50 ms (the limit per measured target)`);
  }, 30_000);
});

// ── docker save streams ──────────────────────────────────────────────────────────────────────────

/** A legacy-free OCI save tar of one image with these uncompressed layers. */
function saveTar(layers: readonly Buffer[]): Buffer {
  const members: Buffer[] = [];
  const blob = (content: Buffer | string): { digest: string; size: number } => {
    const digest = sha256(content);
    members.push(tarMember(`blobs/sha256/${digest.slice(7)}`, Buffer.from(content)));
    return { digest, size: Buffer.byteLength(content) };
  };
  const layerDescs = layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blob(l) }));
  const config = blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layerDescs.map((l) => l.digest) }, history: [] }));
  const manifest = blob(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: layerDescs })
  );
  members.push(tarMember('index.json', JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] })));
  return tarOf(...members);
}

const chunked = (bytes: Buffer, size = 65536): Readable =>
  Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  })());

describe('a docker save stream with hostile layers', () => {
  it('a layer of zeros far above its gzip estimate: refused, naming the layer digest', async () => {
    const layer = tarOf(tarMember('zeros', Buffer.alloc(8 * MiB)));
    await expect(
      measureDockerSave(chunked(saveTar([layer])), { target: 'api', secrets: [], limits: limits({ ratioFloorBytes: 2 * MiB }) })
    ).rejects.toThrow(new RegExp(`^api: measurement stopped at layer ${sha256(layer)}: the layer inflates to more than 100 times its compressed size`));
  });

  it('too many entries in a layer (files asked for): refused, naming the layer digest', async () => {
    const layer = tarOf(...Array.from({ length: 30 }, (_, i) => tarMember(`f${i}`, 'x')));
    await expect(
      measureDockerSave(chunked(saveTar([layer])), { target: 'api', secrets: [], files: true, limits: limits({ maxLayerEntries: 20 }) })
    ).rejects.toThrow(`api: measurement stopped at layer ${sha256(layer)}: the layer has more than 20 entries (the limit per layer)`);
  });

  it('the same image within the limits is measured', async () => {
    const layer = tarOf(...Array.from({ length: 20 }, (_, i) => tarMember(`f${i}`, 'x')));
    const [image] = await measureDockerSave(chunked(saveTar([layer])), { target: 'api', secrets: [], files: true, limits: limits({ maxLayerEntries: 20 }) });
    expect(image?.files?.final.size).toBe(20);
  });

  it("the save's own entries: held to the path limits, not counted in the image's entries", async () => {
    const layer = tarOf(...Array.from({ length: 20 }, (_, i) => tarMember(`f${i}`, 'x')));
    const [image] = await measureDockerSave(chunked(saveTar([layer])), { target: 'api', secrets: [], files: true, limits: limits({ maxEntries: 20 }) });
    expect(image?.files?.final.size).toBe(20);
    const deep = Buffer.concat([saveTar([layer]).subarray(0, -1024), tarOf(tarMember(`${'d/'.repeat(30)}x`, 'x'))]);
    await expect(measureDockerSave(chunked(deep), { target: 'api', secrets: [], limits: limits({ maxPathDepth: 30 }) })).rejects.toThrow(
      /^api: measurement stopped: an entry's path is 31 directory levels deep, more than the 30 accepted/
    );
  });

  it('a layer that stops streaming: the deadline stops the read, naming the layer', async () => {
    const layer = tarOf(tarMember('data', Buffer.alloc(4096, 1)));
    const save = saveTar([layer]);
    const stalled = new Readable({ read() {} });
    // Everything up to the middle of the layer's content, then nothing more.
    stalled.push(save.subarray(0, 512 + 512 + 2048));
    await expect(measureDockerSave(stalled, { target: 'api', secrets: [], limits: limits({ timeoutMs: 200 }) })).rejects.toThrow(
      `api: measurement stopped at layer ${sha256(layer)}: measuring took longer than 200 ms (the limit per measured target)`
    );
  });

  it('a stream that stops between entries: the deadline stops it', async () => {
    const stalled = new Readable({ read() {} });
    stalled.push(tarMember('oci-layout', '{}'));
    await expect(measureDockerSave(stalled, { target: 'api', secrets: [], limits: limits({ timeoutMs: 200 }) })).rejects.toThrow(
      'api: measurement stopped: measuring took longer than 200 ms (the limit per measured target); these limits'
    );
  });
});
