// findStoredBaseline against a real git history and a store in memory: the base commit's own
// report, else the nearest ancestor's; a base report that is there but unusable means "build the
// base", never an older commit's numbers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findStoredBaseline } from '../../src/baseline/resolve.js';
import { baselineKey } from '../../src/baseline/store.js';
import type { Log } from '../../src/log.js';
import { runGit } from '../support/git-fixture.js';
import { MemoryStore } from '../support/memory-store.js';
import { makeReport } from '../support/reports.js';

let root = '';
let repo = '';
const shas: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ib-resolve-'));
  repo = path.join(root, 'repo');
  await runGit(root, ['init', '-q', '-b', 'main', repo]);
  for (const n of [1, 2, 3]) {
    await writeFile(path.join(repo, 'f.txt'), `${n}\n`);
    await runGit(repo, ['add', 'f.txt']);
    await runGit(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', `c${n}`]);
    shas.push(await runGit(repo, ['rev-parse', 'HEAD']));
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warning: (m) => void warnings.push(m), group: (_t, fn) => fn() };
}

async function storeWith(entries: ReadonlyArray<readonly [string, string]>): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const [sha, text] of entries) await store.save(baselineKey('o/r', 'k', sha), text);
  return store;
}

const report = (sha: string): string => JSON.stringify(makeReport({ rows: [{ target: 'release', head: 1000 }], headSha: sha, repository: 'o/r', event: 'push' }));

describe('findStoredBaseline', () => {
  const find = (store: MemoryStore, log: Log, base = shas[2]!) =>
    findStoredBaseline({ store, repository: 'o/r', commentKey: 'k', baseSha: base, repoDir: repo, log });

  it("uses the base commit's own report", async () => {
    const log = recordingLog();
    const found = await find(await storeWith([[shas[2]!, report(shas[2]!)], [shas[1]!, report(shas[1]!)]]), log);
    expect(found).toMatchObject({ sha: shas[2], distance: 0 });
    expect(log.warnings).toEqual([]);
  });

  it("without one, the nearest ancestor's, with its distance", async () => {
    const found = await find(await storeWith([[shas[0]!, report(shas[0]!)]]), recordingLog());
    expect(found).toMatchObject({ sha: shas[0], distance: 2 });
  });

  it("a broken report of the base itself: nothing is used (the base is built), with a warning, even when an ancestor has one", async () => {
    const log = recordingLog();
    const found = await find(await storeWith([[shas[2]!, '{broken'], [shas[1]!, report(shas[1]!)]]), log);
    expect(found).toBeUndefined();
    expect(log.warnings.join('\n')).toMatch(/Ignoring the stored baseline of [0-9a-f]{12}: it is not valid JSON/);
  });

  it('a broken ancestor report is skipped for an older usable one', async () => {
    const log = recordingLog();
    const found = await find(await storeWith([[shas[1]!, '{broken'], [shas[0]!, report(shas[0]!)]]), log);
    expect(found).toMatchObject({ sha: shas[0], distance: 2 });
    expect(log.warnings).toHaveLength(1);
  });

  it('nothing stored: undefined, silently', async () => {
    const log = recordingLog();
    expect(await find(await storeWith([]), log)).toBeUndefined();
    expect(log.warnings).toEqual([]);
  });
});
