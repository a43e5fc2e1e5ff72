// The limits on what measuring one image may cost (src/image/limits.ts), on generated archives:
// entries per layer and per measurement, path bytes and depth in the tar reader, paths alive in the
// file tree, the inflation ratio and total, and the deadline. Walks of a tree tens of thousands of
// levels deep must not reach the call stack.
import { FileSystemModel } from '../../src/image/file-tree.js';
import { DEFAULT_LIMITS, LimitError, MeasureBudget, limitMessage, type MeasureLimits } from '../../src/image/limits.js';
import { TarParser, type TarEntry } from '../../src/image/tar.js';
import { tarMember, tarOf } from '../support/tar-writer.js';

const limits = (over: Partial<MeasureLimits>): MeasureLimits => ({ ...DEFAULT_LIMITS, ...over });

/** Parses `bytes` with a parser charged to `budget`; resolves to the entries or the error thrown. */
function parse(bytes: Buffer, budget = new MeasureBudget()): TarEntry[] {
  const out: TarEntry[] = [];
  const parser = new TarParser((e) => out.push(e), budget);
  parser.push(bytes);
  parser.end();
  return out;
}

function thrown(run: () => unknown): LimitError {
  try {
    run();
  } catch (e) {
    if (e instanceof LimitError) return e;
    throw e;
  }
  throw new Error('no LimitError was thrown');
}

const files = (n: number, prefix = 'f'): Buffer[] => Array.from({ length: n }, (_, i) => tarMember(`${prefix}${i}`, 'x'));

describe('the tar reader stops at the entry limits', () => {
  it('entries per layer: the limit passes, one more is refused, naming the limit', () => {
    const budget = (): MeasureBudget => new MeasureBudget(limits({ maxLayerEntries: 50 }));
    expect(parse(tarOf(...files(50)), budget())).toHaveLength(50);
    const e = thrown(() => parse(tarOf(...files(51)), budget()));
    expect(e.detail).toBe('the layer has more than 50 entries (the limit per layer)');
  });

  it('entries per measurement: counted across the layers sharing one budget', () => {
    const budget = new MeasureBudget(limits({ maxLayerEntries: 50, maxEntries: 80 }));
    expect(parse(tarOf(...files(40)), budget)).toHaveLength(40);
    const e = thrown(() => parse(tarOf(...files(41, 'g')), budget));
    expect(e.detail).toBe("the image's layers have more than 80 entries in all (the limit per measured target)");
  });

  it('default path limits: 4096 bytes and 1024 levels pass, one more of either is refused', () => {
    const long = `${'x'.repeat(4091)}/file`; // 4096 bytes
    expect(parse(tarOf(tarMember(long, 'a')))).toEqual([{ path: long, type: 'file', size: 1 }]);
    expect(thrown(() => parse(tarOf(tarMember(`${long}s`, 'a')))).detail).toMatch(
      /^an entry's path is 4097 bytes long, more than the 4096 accepted \(it starts "x{60}"\)$/
    );
    const deep = `${'d/'.repeat(1023)}f`;
    expect(parse(tarOf(tarMember(deep, 'a')))).toHaveLength(1);
    expect(thrown(() => parse(tarOf(tarMember(`d/${deep}`, 'a')))).detail).toMatch(/^an entry's path is 1025 directory levels deep, more than the 1024 accepted/);
  });

  it("a path's preview in the message is printable ASCII only (the path is the image's)", () => {
    const e = thrown(() => parse(tarOf(tarMember(`${'\u001b[31m::warning::'.repeat(400)}`, 'a'))));
    expect(e.detail).toMatch(/it starts "\?\[31m::warning::/);
    expect(e.detail).not.toMatch(/[^\x20-\x7e]/);
  });

  it('default entries per layer: 1,000,000, per measurement 4,000,000', () => {
    expect(DEFAULT_LIMITS.maxLayerEntries).toBe(1_000_000);
    expect(DEFAULT_LIMITS.maxEntries).toBe(4_000_000);
    const budget = new MeasureBudget();
    expect(() => budget.entry(1_000_000)).not.toThrow();
    expect(thrown(() => budget.entry(1_000_001)).detail).toMatch(/more than 1000000 entries/);
  });
});

describe('the inflation limits', () => {
  const GiB = 1024 ** 3;

  it('defaults: a 20 GB image of ordinary layers (2.5:1) passes', () => {
    const budget = new MeasureBudget();
    const image = (): void => {
      for (let layer = 0; layer < 10; layer++) {
        for (let inflated = 0; inflated < 2 * GiB; ) {
          inflated += 64 * 1024 * 1024;
          budget.inflated(64 * 1024 * 1024, inflated, 0.8 * GiB);
        }
      }
    };
    expect(image).not.toThrow();
  });

  it('defaults: a layer of zeros (1000:1) is refused as soon as it inflates past 1 GiB', () => {
    const budget = new MeasureBudget();
    const compressed = 5 * 1024 * 1024; // 5 GiB of zeros gzip to about this
    expect(() => budget.inflated(GiB, GiB, compressed)).not.toThrow();
    expect(thrown(() => budget.inflated(1, GiB + 1, compressed)).detail).toBe(
      'the layer inflates to more than 100 times its compressed size of 5242880 bytes (over 1.0 GiB inflated so far; a layer above 1 GiB may inflate at most 100:1)'
    );
  });

  it('a small layer of zeros stays below the floor and passes, whatever its ratio', () => {
    expect(() => new MeasureBudget().inflated(512 * 1024 * 1024, 512 * 1024 * 1024, 1)).not.toThrow();
  });

  it('the inflated total of a measurement is capped (128 GiB by default)', () => {
    const budget = new MeasureBudget(limits({ maxInflatedBytes: 100 }));
    budget.inflated(60, 60, 60);
    expect(thrown(() => budget.inflated(41, 41, 41)).detail).toBe("the image's layers inflate to more than 100 bytes in all (the limit per measured target)");
    expect(DEFAULT_LIMITS.maxInflatedBytes).toBe(128 * GiB);
  });

  it('the deadline: 30 minutes from the start by default', () => {
    const budget = new MeasureBudget(DEFAULT_LIMITS, 1000);
    expect(() => budget.checkTime(1000 + 30 * 60_000)).not.toThrow();
    expect(thrown(() => budget.checkTime(1001 + 30 * 60_000)).detail).toBe('measuring took longer than 30 minutes (the limit per measured target)');
    expect(budget.remainingMs(1000 + 60_000)).toBe(29 * 60_000);
  });

  it('the message names the target, the layer and the limit, and how to go on', () => {
    expect(limitMessage('app', 'sha256:abc', 'the layer has more than 5 entries (the limit per layer)')).toBe(
      'app: measurement stopped at layer sha256:abc: the layer has more than 5 entries (the limit per layer); ' +
        'these limits guard against decompression bombs and are fixed (README, "Security"); if the image is genuine, ' +
        'split or shrink that layer (or the base image it comes from), or leave this target out of the measured targets'
    );
  });
});

describe('the file tree', () => {
  const f = (path: string): TarEntry => ({ path, type: 'file', size: 10 });

  it('paths alive at once are capped; what later layers delete is freed', () => {
    expect(DEFAULT_LIMITS.maxTreeNodes).toBe(2_000_000);
    const model = new FileSystemModel(limits({ maxTreeNodes: 12 }));
    // dir + 10 files = 11 nodes
    model.applyLayer(Array.from({ length: 10 }, (_, i) => f(`dir/${i}`)));
    // the whole dir goes (11 freed), 11 new paths come
    model.applyLayer([{ path: '.wh.dir', type: 'file', size: 0 }, ...Array.from({ length: 11 }, (_, i) => f(`n${i}`))]);
    expect(model.result().final.size).toBe(11);
    const e = thrown(() => model.applyLayer([f('n11'), f('n12')]));
    expect(e.detail).toBe("the image's file tree has more than 12 paths (the limit per image)");
  });

  it('a path 50,000 levels deep: applied, whited out and listed without recursion', () => {
    const depth = 50_000;
    const deep = `${'d/'.repeat(depth)}file`;
    const model = new FileSystemModel(limits({ maxPathDepth: Infinity, maxPathBytes: Infinity }));
    model.applyLayer([f(deep), f('top')]);
    expect([...model.result().final.keys()]).toEqual([deep, 'top']);
    // An opaque directory at the top hides the whole chain of the lower layer; the file counts as wasted.
    model.applyLayer([{ path: 'd/.wh..wh..opq', type: 'file', size: 0 }, f('d/new')]);
    const result = model.result();
    expect([...result.final.keys()]).toEqual(['d/new', 'top']);
    expect(result.wasted).toEqual([{ path: deep, bytes: 10 }]);
    // A file over the top directory removes what is left of it.
    model.applyLayer([f('d')]);
    expect([...model.result().final.keys()]).toEqual(['d', 'top']);
  });
});
