// storedHistory against real git histories and a store in memory: the reports of the base commit and
// its first-parent ancestors, newest first, at most 20, ten keys a lookup; a refused report is passed
// over with a warning; from a depth-1 checkout the history is fetched outside it, commits only, and
// the checkout is left as it was.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BaselineStoreError, baselineKey, type BaselineStore, type StoredBaseline } from '../../src/baseline/store.js';
import { TREND_POINTS_MAX, storedHistory } from '../../src/baseline/trend.js';
import type { Log } from '../../src/log.js';
import { isolatedExec, runGit } from '../support/git-fixture.js';
import { MemoryStore } from '../support/memory-store.js';
import { makeReport } from '../support/reports.js';

let root = '';
let repo = '';
let shallow = '';
/** main's commits, newest first. */
let shas: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ib-trend-'));
  repo = path.join(root, 'repo');
  await runGit(root, ['init', '-q', '-b', 'main', repo]);
  for (let n = 0; n < 32; n++) {
    await writeFile(path.join(repo, 'f.txt'), `${n}\n`);
    await runGit(repo, ['add', 'f.txt']);
    await runGit(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', `c${n}`]);
  }
  shas = (await runGit(repo, ['rev-list', '--first-parent', 'main'])).split('\n').filter(Boolean);
  // A depth-1 checkout of main, as actions/checkout makes one, whose origin has the history.
  shallow = path.join(root, 'shallow');
  await runGit(root, ['clone', '-q', '--depth=1', `file://${repo}`, shallow]);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function recordingLog(): Log & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (m) => void infos.push(m), warning: (m) => void warnings.push(m), group: (_t, fn) => fn() };
}

/** A memory store that counts its lookups and the keys of each. */
class CountingStore implements BaselineStore {
  readonly description = 'memory';
  readonly lookups: number[] = [];
  constructor(private readonly inner: MemoryStore) {}
  find(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    this.lookups.push(keys.length);
    return this.inner.find(keys);
  }
  save(key: string, text: string): Promise<boolean> {
    return this.inner.save(key, text);
  }
}

const report = (sha: string, repository = 'o/r'): string =>
  JSON.stringify(makeReport({ rows: [{ target: 'release', head: 1000 }], headSha: sha, repository, event: 'push' }));

async function storeFor(indexes: readonly number[], text: (sha: string) => string = (s) => report(s)): Promise<CountingStore> {
  const store = new MemoryStore();
  for (const i of indexes) await store.save(baselineKey('o/r', 'k', shas[i]!), text(shas[i]!));
  return new CountingStore(store);
}

const history = (store: BaselineStore, log: Log, repoDir = repo, baseSha = shas[0]!) =>
  storedHistory({ store, repository: 'o/r', commentKey: 'k', log, baseSha, repoDir, tmpDir: root, exec: isolatedExec });

describe('storedHistory', () => {
  it('the reports of the base commit and its ancestors, newest first, commits without one passed over', async () => {
    const store = await storeFor([0, 2, 3, 7, 15]);
    const log = recordingLog();
    const points = await history(store, log);
    expect(points.map((p) => p.sha)).toEqual([shas[0], shas[2], shas[3], shas[7], shas[15]]);
    expect(points.every((p) => p.report.head.sha === p.sha)).toBe(true);
    // Never more than 10 keys a lookup (one Actions cache request each).
    expect(Math.max(...store.lookups)).toBeLessThanOrEqual(10);
    expect(log.infos).toContain("Trend: 5 of the last 26 commits of the base branch stored a report.");
    expect(log.warnings).toEqual([]);
  });

  it('ten commits in a row without a report end the history (one lookup, not five, when nothing is stored)', async () => {
    const store = await storeFor([0, 12]);
    expect((await history(store, recordingLog())).map((p) => p.sha)).toEqual([shas[0]]);
    const empty = await storeFor([]);
    expect(await history(empty, recordingLog())).toEqual([]);
    expect(empty.lookups).toEqual([10]);
  });

  it(`at most ${TREND_POINTS_MAX}, the newest`, async () => {
    const store = await storeFor(Array.from({ length: 30 }, (_, i) => i));
    const points = await history(store, recordingLog());
    expect(points.map((p) => p.sha)).toEqual(shas.slice(0, TREND_POINTS_MAX));
  });

  it('a report that is not this repository’s is passed over with a warning; the others still count', async () => {
    const store = await storeFor([1, 4, 5], (sha) => (sha === shas[4] ? report(sha, 'other/repo') : report(sha)));
    const log = recordingLog();
    const points = await history(store, log);
    expect(points.map((p) => p.sha)).toEqual([shas[1], shas[5]]);
    expect(log.warnings).toEqual([`Ignoring the stored baseline of ${shas[4]!.slice(0, 12)}: it belongs to another repository (other/repo).`]);
  });

  it('a store that cannot be read ends the history there, with a warning', async () => {
    const broken: BaselineStore = {
      description: 'a broken store',
      find: () => Promise.reject(new BaselineStoreError('the service answered 500')),
      save: () => Promise.resolve(true)
    };
    const log = recordingLog();
    expect(await history(broken, log)).toEqual([]);
    expect(log.warnings).toEqual(['Stored baselines could not be read from a broken store: the service answered 500']);
  });

  it('from a depth-1 checkout: the history is fetched outside it, and the checkout is left as it was', async () => {
    const before = await runGit(shallow, ['rev-parse', '--is-shallow-repository']);
    const objects = await readdir(path.join(shallow, '.git', 'objects', 'pack'));
    const store = await storeFor([0, 6, 15]);
    const points = await history(store, recordingLog(), shallow);
    expect(points.map((p) => p.sha)).toEqual([shas[0], shas[6], shas[15]]);
    expect(await runGit(shallow, ['rev-parse', '--is-shallow-repository'])).toBe(before);
    expect(await readdir(path.join(shallow, '.git', 'objects', 'pack'))).toEqual(objects);
    expect((await readdir(root)).filter((d) => d.startsWith('image-budget-history-'))).toEqual([]);
  });

  it('a commit the remote does not have: no history, an info line, no failure', async () => {
    const log = recordingLog();
    const points = await history(await storeFor([0]), log, shallow, 'ab'.repeat(20));
    expect(points).toEqual([]);
    expect(log.infos.join('\n')).toMatch(/The base branch's history could not be listed \(.+\); no trend is shown\./);
  });
});
