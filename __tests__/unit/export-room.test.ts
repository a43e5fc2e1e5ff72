import { DIRECTORY_EXPORT_FREE_BYTES as ROOM, ExportRoom, exportKind, freeBytes } from '../../src/pipeline/export-room.js';
import os from 'node:os';

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
    expect((await room.take()).kind).toBe('directory');
    expect((await room.take()).kind).toBe('stream');
  });

  test('a file system that cannot say how much is free streams', async () => {
    const room = new ExportRoom(() => Promise.reject(new Error('ENOSYS')));
    expect((await room.take()).kind).toBe('stream');
  });

  test('freeBytes reads the file system of a folder', async () => {
    const free = await freeBytes(os.tmpdir());
    expect(Number.isSafeInteger(free)).toBe(true);
    expect(free).toBeGreaterThan(0);
    await expect(freeBytes('/nonexistent/folder')).rejects.toThrow(/ENOENT/);
  });
});
