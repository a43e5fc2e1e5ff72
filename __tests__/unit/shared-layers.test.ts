// SharedLayers: which of the run's measurements a blob may take, and what is forgotten.
import type { LayerSizes } from '../../src/image/layer-stream.js';
import { SharedLayers } from '../../src/image/shared-layers.js';

const D = `sha256:${'a'.repeat(64)}`;
const sizes = (uncompressedBytes: number, withFiles = false): Promise<LayerSizes> =>
  Promise.resolve(withFiles ? { uncompressedBytes, entries: [] } : { uncompressedBytes });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SharedLayers', () => {
  it('finds a blob by its digest and size; the compression, when given, must be the same', async () => {
    const shared = new SharedLayers();
    expect(shared.find(D, 100, false)).toBeUndefined();
    shared.add(D, 100, 'gzip', false, sizes(300));
    expect(await shared.find(D, 100, false)).toEqual({ uncompressedBytes: 300 });
    expect(await shared.find(D, 100, false, 'gzip')).toEqual({ uncompressedBytes: 300 });
    expect(shared.find(D, 100, false, 'zstd')).toBeUndefined();
    expect(shared.find(D, 101, false)).toBeUndefined();
    expect(shared.find(`sha256:${'b'.repeat(64)}`, 100, false)).toBeUndefined();
  });

  it('a measurement without entries does not answer one that asks for files; one with entries answers both', async () => {
    const shared = new SharedLayers();
    shared.add(D, 100, 'gzip', false, sizes(300));
    expect(shared.find(D, 100, true)).toBeUndefined();
    shared.add(D, 100, 'gzip', true, sizes(300, true));
    expect(await shared.find(D, 100, true)).toEqual({ uncompressedBytes: 300, entries: [] });
    expect(await shared.find(D, 100, false)).toEqual({ uncompressedBytes: 300, entries: [] });
  });

  it('keeps the first measurement of a digest', async () => {
    const shared = new SharedLayers();
    shared.add(D, 100, 'gzip', true, sizes(300, true));
    shared.add(D, 100, 'gzip', true, sizes(999, true));
    shared.add(D, 100, 'gzip', false, sizes(999));
    expect(await shared.find(D, 100, false)).toEqual({ uncompressedBytes: 300, entries: [] });
  });

  it('shares a measurement under way, and forgets it when it fails', async () => {
    const shared = new SharedLayers();
    let fail: (e: Error) => void = () => undefined;
    const underWay = new Promise<LayerSizes>((_, reject) => (fail = reject));
    shared.add(D, 100, 'gzip', false, underWay);
    expect(shared.find(D, 100, false)).toBe(underWay);
    fail(new Error('cut short'));
    await expect(underWay).rejects.toThrow('cut short');
    await tick();
    expect(shared.find(D, 100, false)).toBeUndefined();
    // The next measurement of that digest is shared in its place.
    shared.add(D, 100, 'gzip', false, sizes(300));
    expect(await shared.find(D, 100, false)).toEqual({ uncompressedBytes: 300 });
  });

  it('a failed measurement does not take away the one that replaced it', async () => {
    const shared = new SharedLayers();
    let fail: (e: Error) => void = () => undefined;
    const withoutFiles = new Promise<LayerSizes>((_, reject) => (fail = reject));
    shared.add(D, 100, 'gzip', false, withoutFiles);
    shared.add(D, 100, 'gzip', true, sizes(300, true));
    fail(new Error('cut short'));
    await expect(withoutFiles).rejects.toThrow();
    await tick();
    expect(await shared.find(D, 100, true)).toEqual({ uncompressedBytes: 300, entries: [] });
  });
});
