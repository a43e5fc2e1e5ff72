import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { readArchive } from '../../src/image/archive-reader.js';
import { countStream } from '../../src/image/layer-stream.js';
import { MeasureBudget } from '../../src/image/limits.js';
import { MINOR_PER_MAJOR, READ_BETWEEN, readBytes } from '../../src/image/stream-garbage.js';
import { TAR_END, tarMember } from '../support/tar-writer.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE24 = path.join(ROOT, 'node_modules', 'node', 'bin', 'node');

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const MiB = 1024 * 1024;
const external = (): number => process.memoryUsage().arrayBuffers;

describe('readBytes: a young-generation collection every READ_BETWEEN bytes read', () => {
  test('collects once READ_BETWEEN bytes were read, counting from the last collection', () => {
    readBytes(READ_BETWEEN); // whatever earlier reads left
    expect(readBytes(READ_BETWEEN - 1)).toBe(false);
    expect(readBytes(1)).toBe(true);
    expect(readBytes(READ_BETWEEN / 2)).toBe(false);
    expect(readBytes(READ_BETWEEN / 2)).toBe(true);
  });

  test('the collection frees dead stream chunks (Buffers outside the heap) that V8 would have kept', async () => {
    // One attempt can miss when a collection of the test runner's own promotes the chunks' holders
    // first (a young-generation collection frees only young garbage); three cannot all miss.
    const attempt = async (): Promise<boolean> => {
      readBytes(READ_BETWEEN);
      await tick();
      const before = external();
      // 10 MiB of chunks read and dropped, as a stream's are: far below what makes V8 collect by itself.
      ((): void => {
        for (let i = 0; i < 40; i++) Buffer.alloc(256 * 1024);
      })();
      if (external() < before + 8 * MiB) return false;
      expect(readBytes(READ_BETWEEN)).toBe(true);
      // Node 20 frees the backing stores a moment later; node 24 at once.
      for (let i = 0; i < 20 && external() > before + 2 * MiB; i++) await tick();
      return external() < before + 2 * MiB;
    };
    const freed = (await attempt()) || (await attempt()) || (await attempt());
    expect(freed).toBe(true);
  });
});

describe('readBytes: the whole heap every MINOR_PER_MAJOR collections', () => {
  test('of MINOR_PER_MAJOR collections in a row, one is of the whole heap, the others of the young generation', async () => {
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const { kind, flags } = (entry as unknown as { readonly detail: { readonly kind: number; readonly flags: number } }).detail;
        // Only those asked for: V8 may start one of its own meanwhile (the test runner allocates too).
        if (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) kinds.push(kind);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    for (let i = 0; i < MINOR_PER_MAJOR; i++) expect(readBytes(READ_BETWEEN)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    expect(kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MAJOR)).toHaveLength(1);
    expect(kinds.filter((k) => k === constants.NODE_PERFORMANCE_GC_MINOR).length).toBeGreaterThanOrEqual(MINOR_PER_MAJOR - 1);
  });
});

describe('readBytes: the young generation stays at its first size', () => {
  // In a process of its own (node 24 runs the module's TypeScript as it is), as the test runner's
  // young generation has grown long before: objects that survive a collection or two, as chunks in
  // flight do, make V8 grow the space to 2 x 16 MB unless the measurement has started.
  const youngSpaceAfterWork = (measuring: boolean): number => {
    const script = `
      import v8 from 'node:v8';
      const { READ_BETWEEN, readBytes } = await import(${JSON.stringify(path.join(ROOT, 'src/image/stream-garbage.ts'))});
      if (${measuring}) readBytes(READ_BETWEEN);
      let alive = [];
      for (let i = 0; i < 3e6; i++) { alive.push({ i, s: 'x' + i }); if (alive.length > 1000) alive = []; }
      const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      process.stdout.write(String(young.space_size));`;
    const run = spawnSync(NODE24, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/Error/);
    return Number(run.stdout);
  };

  test('once a measurement has read, the space does not grow; without one, the same work grows it', () => {
    expect(youngSpaceAfterWork(true)).toBeLessThanOrEqual(4 * MiB);
    expect(youngSpaceAfterWork(false)).toBeGreaterThan(8 * MiB);
  });
});

describe('the measurement paces the collections by the bytes it reads', () => {
  // 16 MiB in 256 KiB chunks: four collections' worth, with too few objects on V8's heap for it to
  // collect by itself.
  const CHUNK = 256 * 1024;
  const chunked = (data: Buffer): Readable => Readable.from(Array.from({ length: Math.ceil(data.length / CHUNK) }, (_, i) => data.subarray(i * CHUNK, (i + 1) * CHUNK)));
  const youngCollectionsDuring = async (work: () => Promise<unknown>): Promise<number> => {
    let young = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as unknown as { readonly detail: { readonly kind: number } }).detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) young++;
      }
    });
    readBytes(READ_BETWEEN); // the count starts from a collection
    observer.observe({ entryTypes: ['gc'] });
    await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    return young;
  };

  test('a layer counted as it streams (countStream, under every layer measurement)', async () => {
    expect(await youngCollectionsDuring(() => countStream(chunked(Buffer.alloc(16 * MiB))))).toBeGreaterThanOrEqual(3);
  });

  test('an archive read as it streams (readArchive, under docker save and the streamed export)', async () => {
    const archive = Buffer.concat([tarMember('big', Buffer.alloc(16 * MiB)), TAR_END]);
    const summarize = () => {
      let size = 0;
      return { write: (d: Buffer) => void (size += d.length), drained: async () => undefined, destroy: () => undefined, end: async () => ({ size }) };
    };
    const read = () => readArchive(chunked(archive), { label: 'a test archive', budget: new MeasureBudget(), summarize });
    expect(await youngCollectionsDuring(read)).toBeGreaterThanOrEqual(3);
  });
});
