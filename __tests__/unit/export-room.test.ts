import { ExportRoom, ROOM_LIMITS, exportKind, freeBytes, type RoomLimits } from '../../src/pipeline/export-room.js';
import os from 'node:os';

const ROOM = ROOM_LIMITS.startFree;

describe('exportKind: a directory only with room for every directory export at once', () => {
  test.each([
    [0, 0, 'stream'],
    [ROOM - 1, 0, 'stream'],
    [ROOM, 0, 'directory'],
    [2 * ROOM - 1, 1, 'stream'],
    [2 * ROOM, 1, 'directory'],
    [10 * ROOM, 3, 'directory']
  ])('%d bytes free, %d running: %s', (free, running, kind) => {
    expect(exportKind(free, running)).toBe(kind);
  });

  test('the room kept is less than the room a start asks for', () => {
    expect(ROOM_LIMITS.keepFree).toBeLessThan(ROOM_LIMITS.startFree);
  });
});

describe('ExportRoom', () => {
  test('counts the directory exports running until each is released, once', async () => {
    const room = new ExportRoom(async () => 2 * ROOM);
    const a = await room.take();
    const b = await room.take();
    const c = await room.take();
    expect([a.kind, b.kind, c.kind]).toEqual(['directory', 'directory', 'stream']);
    a.release();
    a.release();
    const d = await room.take();
    expect(d.kind).toBe('directory');
    expect((await room.take()).kind).toBe('stream');
    for (const slot of [b, c, d]) slot.release();
  });

  test('a file system that cannot say how much is free streams', async () => {
    const room = new ExportRoom(() => Promise.reject(new Error('ENOSYS')));
    expect((await room.take()).kind).toBe('stream');
  });

  describe('watched while directory exports run', () => {
    const limits: RoomLimits = { startFree: 100, keepFree: 40, watchMs: 5 };
    const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    test('the free space falling under what is kept stops every directory export running, not a stream', async () => {
      let free = 300;
      const room = new ExportRoom(async () => free, limits);
      const [a, b, c] = [await room.take(), await room.take(), await room.take()];
      const s = await room.take();
      expect([a.kind, b.kind, c.kind, s.kind]).toEqual(['directory', 'directory', 'directory', 'stream']);
      expect(s.low).toBeUndefined();
      free = 40;
      await wait(30);
      expect([a.low?.aborted, b.low?.aborted, c.low?.aborted]).toEqual([false, false, false]);
      free = 39;
      await wait(30);
      expect([a.low?.aborted, b.low?.aborted, c.low?.aborted]).toEqual([true, true, true]);
      for (const slot of [a, b, c]) slot.release();
    });

    test('a released export is no longer stopped, and nothing is read once none runs', async () => {
      let free = 100;
      let reads = 0;
      const room = new ExportRoom(async () => {
        reads++;
        return free;
      }, limits);
      const a = await room.take();
      a.release();
      const readsAfter = reads;
      free = 0;
      await wait(30);
      expect(a.low?.aborted).toBe(false);
      expect(reads).toBe(readsAfter);
    });

    test('a reading that fails stops nothing', async () => {
      let fail = false;
      const room = new ExportRoom(async () => {
        if (fail) throw new Error('EIO');
        return 100;
      }, limits);
      const a = await room.take();
      fail = true;
      await wait(30);
      expect(a.low?.aborted).toBe(false);
      a.release();
    });
  });

  test('freeBytes reads the file system of a folder', async () => {
    const free = await freeBytes(os.tmpdir());
    expect(Number.isSafeInteger(free)).toBe(true);
    expect(free).toBeGreaterThan(0);
    await expect(freeBytes('/nonexistent/folder')).rejects.toThrow(/ENOENT/);
  });
});
