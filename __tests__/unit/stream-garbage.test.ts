import { READ_BETWEEN, readBytes } from '../../src/image/stream-garbage.js';

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
