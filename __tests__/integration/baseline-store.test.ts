// The baseline store, for real: ActionsCacheStore (its own client of the cache service, over real
// HTTP) against the loopback stand-in of the cache service (__tests__/support/cache-standin.ts),
// which holds it to the v2 protocol as @actions/cache speaks it; and readStoredReport, which reads
// what the `reports` input names, on real files.
//
// Decided here: a cache service that fails (5xx, garbage, after the retries) makes `find` and `save`
// throw BaselineStoreError, which their callers turn into a warning (baseline/resolve.ts,
// publish/baseline.ts): a baseline that cannot be read or stored never stops the action, and the
// user is told why rather than shown a silent miss.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ActionsCacheStore } from '../../src/baseline/actions-cache.js';
import { findStoredBaseline } from '../../src/baseline/resolve.js';
import { checkReportSize, readStoredReport } from '../../src/baseline/stored-file.js';
import { BaselineStoreError, MAX_STORED_REPORT_BYTES, baselineKey } from '../../src/baseline/store.js';
import type { Log } from '../../src/log.js';
import {
  ALREADY_EXISTS_MESSAGE,
  TWIRP_PREFIX,
  applyEnv,
  startCacheStandin,
  type CacheStandin,
  type CacheStandinOptions
} from '../support/cache-standin.js';
import {
  CreateCacheEntryResponse,
  GetCacheEntryDownloadURLResponse
} from '../../node_modules/@actions/cache/lib/generated/results/api/v1/cache.js';
import { makeReport } from '../support/reports.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const SHA_C = 'c'.repeat(40);
const key = (sha: string): string => baselineKey('Octo/Repo', 'image-budget', sha);
const report = (n: number): string => `{"schemaVersion":1,"n":${n},"note":"ünïcode ✓\\n"}\n`;

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `baseline-store-${prefix}-`));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

// ---- reading a stored file (the Actions cache entry, a report the `reports` input names) ----

describe('readStoredReport (a stored report is untrusted)', () => {
  /** What `readStoredReport` rejects with; fails the test when it resolves. */
  async function refusal(file: string, noun?: string): Promise<Error> {
    const error: unknown = await readStoredReport(file, noun).then(
      (text) => new Error(`resolved ${JSON.stringify(text?.slice(0, 40))}`),
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(BaselineStoreError);
    return error as Error;
  }

  test('a missing file, or a missing directory above it, is undefined, not an error', async () => {
    const dir = await tempDir('read');
    expect(await readStoredReport(path.join(dir, 'nothing.json'))).toBeUndefined();
    expect(await readStoredReport(path.join(dir, 'no-such-dir', 'nothing.json'))).toBeUndefined();
  });

  test('a regular file comes back with exactly its text, up to exactly the cap', async () => {
    const dir = await tempDir('read');
    await writeFile(path.join(dir, 'r.json'), report(1));
    expect(await readStoredReport(path.join(dir, 'r.json'))).toBe(report(1));
    await writeFile(path.join(dir, 'empty.json'), '');
    expect(await readStoredReport(path.join(dir, 'empty.json'))).toBe('');
    // Larger than one read chunk, exactly the cap: still a report, every byte of it.
    await writeFile(path.join(dir, 'cap.json'), Buffer.alloc(MAX_STORED_REPORT_BYTES, 0x20));
    const text = await readStoredReport(path.join(dir, 'cap.json'));
    expect(text).toHaveLength(MAX_STORED_REPORT_BYTES);
    // Compared as a string, not with /^ +$/: a regular expression over 8 MiB can exhaust the stack.
    expect(text === ' '.repeat(MAX_STORED_REPORT_BYTES)).toBe(true);
  });

  test('a symbolic link is refused without being read, even when it points at a report', async () => {
    const dir = await tempDir('read');
    const SECRET = `secret-${'5'.repeat(8)}`;
    const secret = path.join(dir, 'secret.json');
    await writeFile(secret, `{"schemaVersion":1,"note":"${SECRET}"}`);
    const link = path.join(dir, 'link.json');
    await symlink(secret, link);
    const error = await refusal(link);
    expect(error.message).toBe(`stored report ${link} is a symbolic link; refusing to follow it`);
    expect(error.message).not.toContain(SECRET);
    // A link to nothing is refused too, not taken for a missing file.
    const dangling = path.join(dir, 'dangling.json');
    await symlink(path.join(dir, 'gone.json'), dangling);
    expect((await refusal(dangling, 'report')).message).toBe(`report ${dangling} is a symbolic link; refusing to follow it`);
    // The link and what it points at are left as they were.
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(secret, 'utf8')).toContain(SECRET);
  });

  test('a directory or a FIFO is not a regular file, and a FIFO is refused at once (no hang)', async () => {
    const dir = await tempDir('read');
    const sub = path.join(dir, 'sub.json');
    await mkdir(sub);
    expect((await refusal(sub)).message).toBe(`stored report ${sub} is not a regular file`);
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    expect((await refusal(fifo, 'report')).message).toBe(`report ${fifo} is not a regular file`);
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 5_000);

  test('a path that cannot be looked at (through a regular file) is an error saying why, not undefined', async () => {
    const dir = await tempDir('read');
    await writeFile(path.join(dir, 'plain'), 'x');
    const through = path.join(dir, 'plain', 'r.json');
    expect((await refusal(through)).message).toMatch(new RegExp(`^cannot read stored report ${through}: ENOTDIR`));
  });

  test('a file over MAX_STORED_REPORT_BYTES is refused, with its size, before it is read', async () => {
    const dir = await tempDir('read');
    const big = path.join(dir, 'big.json');
    await writeFile(big, Buffer.alloc(MAX_STORED_REPORT_BYTES + 1, 0x20));
    expect((await refusal(big)).message).toBe(
      `stored report ${big} is larger than 8388608 bytes (8388609); refusing to read it`
    );
  });

  test('checkReportSize refuses a report over the cap, counted in UTF-8 bytes, and accepts one at the cap', () => {
    expect(() => checkReportSize('x'.repeat(MAX_STORED_REPORT_BYTES))).not.toThrow();
    expect(() => checkReportSize('x'.repeat(MAX_STORED_REPORT_BYTES + 1))).toThrow(BaselineStoreError);
    expect(() => checkReportSize('x'.repeat(MAX_STORED_REPORT_BYTES + 1))).toThrow(
      new BaselineStoreError('report is larger than 8388608 bytes (8388609); not storing it')
    );
    // Half as many characters as the cap, each two bytes: the cap exactly; one more is over it.
    expect(() => checkReportSize('ü'.repeat(MAX_STORED_REPORT_BYTES / 2))).not.toThrow();
    expect(() => checkReportSize('ü'.repeat(MAX_STORED_REPORT_BYTES / 2 + 1))).toThrow(
      new BaselineStoreError('report is larger than 8388608 bytes (8388610); not storing it')
    );
  });
});

// ---- ActionsCacheStore ----

/** Runs `fn` with a fresh stand-in, its env on process.env (put back afterwards). */
async function withCache(options: CacheStandinOptions, fn: (cache: CacheStandin) => Promise<void>): Promise<void> {
  const cache = await startCacheStandin(options);
  const restoreEnv = applyEnv(cache.env);
  try {
    await fn(cache);
  } finally {
    restoreEnv();
    await cache.close();
  }
}

const twirpCalls = (cache: CacheStandin, rpc: string): number =>
  cache.requests().filter((r) => r.path === `${TWIRP_PREFIX}${rpc}`).length;

/**
 * Runs `fn` with the clock of timers driven fast: the store tries a failing call five times, as
 * @actions/cache does, sleeping 3 s to about 10 s between attempts (about 25 s a call). The requests,
 * the stand-in and the store's code are all real; only the waits between attempts are skipped.
 */
async function withFastRetries<T>(fn: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance', 'Date'] });
  try {
    let settled = false;
    const run = fn().finally(() => {
      settled = true;
    });
    run.catch(() => undefined);
    while (!settled) {
      await jest.advanceTimersByTimeAsync(500);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return await run;
  } finally {
    jest.useRealTimers();
  }
}

describe('ActionsCacheStore against the cache stand-in', () => {
  test.each(['loopback', 'azure'] as const)(
    'a saved report is found again with exactly its text (blob host %s)',
    async (blobHost) => {
      await withCache({ blobHost }, async (cache) => {
        const store = new ActionsCacheStore();
        expect(await store.save(key(SHA_A), report(1))).toBe(true);
        expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });

        const [entry, ...others] = cache.entries();
        expect(others).toHaveLength(0);
        expect(entry).toMatchObject({ key: key(SHA_A), scope: 'refs/heads/main', finalized: true });
        // One Put Blob and one Get Blob. On the Azure host name (as on github.com) they can only have
        // come through HTTPS_PROXY, the stand-in: that host is never reached from here.
        const blobs = cache.requests().filter((r) => r.target === 'blob');
        expect(blobs.map((r) => [r.method, r.status])).toEqual([['PUT', 201], ['GET', 200]]);
      });
    },
    30_000
  );

  test('find answers the first of the keys that exists, in the order asked, not the newest', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await store.save(key(SHA_C), report(3));
      await store.save(key(SHA_B), report(2)); // newer
      expect(await store.find([key(SHA_A), key(SHA_C), key(SHA_B)])).toEqual({ key: key(SHA_C), text: report(3) });
      expect(await store.find([key(SHA_B), key(SHA_C)])).toEqual({ key: key(SHA_B), text: report(2) });
      expect(await store.find([key(SHA_A)])).toBeUndefined();
      // One lookup per find, and one more when a later key was the hit: the keys before it are asked
      // for again, as they may be in another scope (next test).
      expect(twirpCalls(cache, 'GetCacheEntryDownloadURL')).toBe(4);
    });
  }, 30_000);

  test('a key only matched as a prefix by the service is not ours: not found', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await store.save(`${key(SHA_A)}-longer`, report(1));
      expect(await store.find([key(SHA_A)])).toBeUndefined();
      // The service did answer a hit (its prefix rule); the store turned it down without downloading it.
      const lookups = cache.requests().filter((r) => r.target === 'GetCacheEntryDownloadURL');
      expect(lookups.map((r) => r.status)).toEqual([200]);
      expect(cache.requests().filter((r) => r.target === 'blob' && r.method === 'GET')).toHaveLength(0);
    });
  }, 30_000);

  test('an existing key is kept: save answers false (the service said 409) and the first report stays', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      expect(await store.save(key(SHA_A), report(1))).toBe(true);
      expect(await store.save(key(SHA_A), report(2))).toBe(false);
      const creates = cache.requests().filter((r) => r.path === `${TWIRP_PREFIX}CreateCacheEntry`);
      expect(creates.map((r) => r.status)).toEqual([200, 409]);
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
    });
  }, 30_000);

  test('a report over the cap is refused before anything is sent: save throws, and the service never hears of it', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      const huge = 'x'.repeat(MAX_STORED_REPORT_BYTES + 1);
      await expect(store.save(key(SHA_A), huge)).rejects.toThrow(
        new BaselineStoreError(`report is larger than ${MAX_STORED_REPORT_BYTES} bytes (${MAX_STORED_REPORT_BYTES + 1}); not storing it`)
      );
      expect(cache.requests()).toEqual([]);
    });
  }, 30_000);

  test('a pull request entry is seen only by that pull request; a default-branch entry by every ref', async () => {
    await withCache({ scope: 'refs/pull/7/merge', baseRef: 'refs/heads/main' }, async (cache) => {
      const store = new ActionsCacheStore();
      expect(await store.save(key(SHA_B), report(2))).toBe(true);
      expect(await store.find([key(SHA_B)])).toEqual({ key: key(SHA_B), text: report(2) });

      cache.setScope('refs/pull/8/merge', 'refs/heads/main');
      expect(await store.find([key(SHA_B)])).toBeUndefined();
      cache.setScope('refs/heads/main');
      expect(await store.find([key(SHA_B)])).toBeUndefined();

      expect(await store.save(key(SHA_A), report(1))).toBe(true);
      cache.setScope('refs/pull/8/merge', 'refs/heads/main');
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
      cache.setScope('refs/heads/feature');
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
      expect(cache.entries().map((e) => [e.key, e.scope])).toEqual([
        [key(SHA_B), 'refs/pull/7/merge'],
        [key(SHA_A), 'refs/heads/main']
      ]);
    });
  }, 30_000);

  test('across scopes too: a later key in the run’s own scope does not hide an earlier default-branch key', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await store.save(key(SHA_A), report(1)); // default branch
      cache.setScope('refs/pull/7/merge', 'refs/heads/main');
      await store.save(key(SHA_B), report(2)); // the pull request's own scope, searched first
      expect(await store.find([key(SHA_A), key(SHA_B)])).toEqual({ key: key(SHA_A), text: report(1) });
      // The service answered B first; the store asked again for the keys before it.
      const lookups = cache.requests().filter((r) => r.path === `${TWIRP_PREFIX}GetCacheEntryDownloadURL`);
      expect(lookups.map((r) => r.body)).toEqual([
        { key: key(SHA_A), restore_keys: [key(SHA_B)], version: expect.any(String) as unknown },
        { key: key(SHA_A), version: expect.any(String) as unknown }
      ]);
    });
  }, 30_000);

  test.each(['v2', 'v1'] as const)('entries are interchangeable with @actions/cache 6.3 (earlier releases stored through it): each reads what the other wrote (protocol %s)', async (protocol) => {
    await withCache({ protocol }, async (cache) => {
      const library = await import('@actions/cache');
      const FILE = 'image-budget-baseline.json';
      // The library resolves and extracts its paths in the working directory and GITHUB_WORKSPACE.
      const inFolder = async <T>(dir: string, fn: () => Promise<T>): Promise<T> => {
        const cwd = process.cwd();
        const env = applyEnv({ GITHUB_WORKSPACE: dir });
        process.chdir(dir);
        try {
          return await fn();
        } finally {
          process.chdir(cwd);
          env();
        }
      };
      const written = await tempDir('library-save');
      await writeFile(path.join(written, FILE), report(1));
      expect(await inFolder(written, () => library.saveCache([FILE], key(SHA_A)))).toBeGreaterThan(0);
      const store = new ActionsCacheStore();
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });

      expect(await store.save(key(SHA_B), report(2))).toBe(true);
      const restored = await tempDir('library-restore');
      expect(await inFolder(restored, () => library.restoreCache([FILE], key(SHA_B)))).toBe(key(SHA_B));
      expect(await readdir(restored)).toEqual([FILE]);
      expect(await readFile(path.join(restored, FILE), 'utf8')).toBe(report(2));
      // One version for both: the library's for the one path, compressed with zstd.
      const [ours, theirs] = [cache.entries()[1]!, cache.entries()[0]!];
      expect(ours.version).toBe(theirs.version);
    });
  }, 30_000);

  test('on GitHub Enterprise Server (protocol v1): saved, found, kept, and only exact keys', async () => {
    await withCache({ protocol: 'v1' }, async (cache) => {
      const store = new ActionsCacheStore();
      expect(await store.save(key(SHA_A), report(1))).toBe(true);
      expect(await store.save(key(SHA_A), report(2))).toBe(false);
      expect(await store.save(`${key(SHA_C)}-longer`, report(3))).toBe(true);
      expect(await store.find([key(SHA_B), key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
      expect(await store.find([key(SHA_C)])).toBeUndefined();
      // Reserve, one chunk, commit; lookups by GET with the keys joined by commas; no twirp call.
      const targets = cache.requests().map((r) => r.target);
      expect(targets.slice(0, 3)).toEqual(['v1-reserve', 'v1-upload', 'v1-commit']);
      expect(targets.filter((t) => t?.startsWith('v1-') !== true && t !== 'blob')).toEqual([]);
      const lookups = cache.requests().filter((r) => r.target === 'v1-lookup');
      expect(lookups.length).toBeGreaterThan(0);
      expect(cache.entries().map((e) => [e.key, e.finalized])).toEqual([
        [key(SHA_A), true],
        [`${key(SHA_C)}-longer`, true]
      ]);
    });
  }, 30_000);

  test('on GitHub Enterprise Server, failures are retried as the library retries v1: a 503 twice, 5 s apart; a 500 not at all', async () => {
    await withCache({ protocol: 'v1' }, async (cache) => {
      const store = new ActionsCacheStore();
      cache.setFault({ status: 503 });
      await expect(withFastRetries(() => store.find([key(SHA_A)]))).rejects.toThrow(/did not answer the lookup after 2 attempts: 503/);
      await expect(withFastRetries(() => store.save(key(SHA_A), report(1)))).rejects.toThrow(/did not answer the reservation after 2 attempts: 503/);
      expect(cache.requests()).toHaveLength(4);
      cache.setFault({ status: 500 });
      await expect(store.find([key(SHA_A)])).rejects.toThrow(/^the Actions cache answered 500 to the lookup: injected failure$/);
      expect(cache.requests()).toHaveLength(5);
      cache.setFault(undefined);
      expect(await store.save(key(SHA_A), report(1))).toBe(true);
    });
  }, 30_000);

  test('an archive moved elsewhere (a redirect, as GHES storage may answer) is followed, without the token', async () => {
    const { createServer } = await import('node:http');
    const archive = (await import('../../src/baseline/cache-archive.js')).packBaseline(report(7));
    const seen: Array<{ url: string; authorization: string | undefined }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/moved') res.writeHead(302, { Location: '/archive?sig=x' }).end();
      else res.writeHead(200, { 'Content-Length': String(archive.length) }).end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { CacheService } = await import('../../src/baseline/cache-service.js');
      const port = (server.address() as { port: number }).port;
      const service = new CacheService({ protocol: 'v1', base: new URL(`http://127.0.0.1:${port}/_apis/artifactcache/`), token: 'secret-token', readable: true, writable: true });
      try {
        const data = await service.download({ key: key(SHA_A), archiveUrl: `http://127.0.0.1:${port}/moved` }, 1 << 20);
        expect(data.equals(archive)).toBe(true);
      } finally {
        service.close();
      }
      expect(seen).toEqual([
        { url: '/moved', authorization: undefined },
        { url: '/archive?sig=x', authorization: undefined }
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a cache service that cannot be reached fails at once, saying so, without five attempts', async () => {
    await withCache({}, async (cache) => {
      await cache.close();
      const store = new ActionsCacheStore();
      const started = Date.now();
      await expect(store.find([key(SHA_A)])).rejects.toThrow(
        /^the Actions cache could not be reached for GetCacheEntryDownloadURL \(ECONNREFUSED\): a self-hosted runner needs to reach GitHub's endpoints$/
      );
      await expect(store.save(key(SHA_A), report(1))).rejects.toThrow(/could not be reached for CreateCacheEntry \(ECONNREFUSED\)/);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  test("the job's ACTIONS_CACHE_MODE: read finds but never writes, write-only writes but never reads, none does neither", async () => {
    await withCache({}, async (cache) => {
      expect(await new ActionsCacheStore().save(key(SHA_A), report(1))).toBe(true);
      const inMode = (mode: string): ActionsCacheStore => new ActionsCacheStore({ env: { ...process.env, ACTIONS_CACHE_MODE: mode } });
      const before = cache.requests().length;
      expect(await inMode('read').find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
      const afterRead = cache.requests().length;
      expect(afterRead).toBeGreaterThan(before);
      await expect(inMode('read').save(key(SHA_B), report(2))).rejects.toThrow("the job's cache mode (ACTIONS_CACHE_MODE read) does not permit writes");
      expect(await inMode('write-only').find([key(SHA_A)])).toBeUndefined();
      expect(await inMode('none').find([key(SHA_A)])).toBeUndefined();
      await expect(inMode('none').save(key(SHA_B), report(2))).rejects.toThrow(/does not permit writes/);
      // None of those asked the service anything.
      expect(cache.requests().length).toBe(afterRead);
      // Write-only: a key that exists is refused, and the store cannot look to tell why.
      await expect(inMode('write-only').save(key(SHA_A), report(3))).rejects.toThrow(
        /refused to create .* \(cache entry with the same key, version, and scope already exists\), and this job may not read the cache to tell whether it exists$/
      );
      expect(await inMode('write-only').save(key(SHA_C), report(3))).toBe(true);
      expect(cache.entries().map((e) => e.key)).toEqual([key(SHA_A), key(SHA_C)]);
    });
  });

  test('nothing is written to disk: RUNNER_TEMP, the working directory and GITHUB_WORKSPACE are left as they were', async () => {
    await withCache({}, async () => {
      const store = new ActionsCacheStore();
      const cwd = process.cwd();
      const [workspace, runnerTemp] = [await tempDir('caller-ws'), await tempDir('caller-temp')];
      const env = applyEnv({ GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp });
      try {
        expect(await store.save(key(SHA_A), report(1))).toBe(true);
        expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
        await store.find([key(SHA_B)]);
        expect(process.cwd()).toBe(cwd);
        expect(await readdir(runnerTemp)).toEqual([]);
        expect(await readdir(workspace)).toEqual([]);
      } finally {
        env();
      }
    });
  }, 30_000);

  test('a service answering 500: find and save throw BaselineStoreError, both after the five attempts', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await store.save(key(SHA_A), report(1));
      cache.setFault({ status: 500 });
      const before = cache.requests().length;
      const lookup = await withFastRetries(() => store.find([key(SHA_A)])).catch((e: unknown) => e);
      expect(lookup).toBeInstanceOf(BaselineStoreError);
      expect((lookup as Error).message).toBe('the Actions cache did not answer GetCacheEntryDownloadURL after 5 attempts: 500: injected failure');
      expect(cache.requests().length - before).toBe(5); // five attempts, as @actions/cache makes
      const error = await withFastRetries(() => store.save(key(SHA_B), report(2))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BaselineStoreError);
      expect((error as Error).message).toMatch(/did not answer CreateCacheEntry after 5 attempts/);
      expect(cache.requests().length - before).toBe(10);
      // The service recovers: what was stored before is found again.
      cache.setFault(undefined);
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
    });
  }, 30_000);

  test('a service answering malformed JSON: find and save throw BaselineStoreError', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await store.save(key(SHA_A), report(1));
      cache.setFault({ malformed: true });
      await expect(withFastRetries(() => store.find([key(SHA_A)]))).rejects.toThrow(/GetCacheEntryDownloadURL after 5 attempts: an answer that is not JSON/);
      await expect(withFastRetries(() => store.save(key(SHA_B), report(2)))).rejects.toThrow(BaselineStoreError);
      // Garbage only from FinalizeCacheEntryUpload: the upload happened but never became an entry.
      cache.setFault({ malformed: true, only: ['FinalizeCacheEntryUpload'] });
      await expect(withFastRetries(() => store.save(key(SHA_C), report(3)))).rejects.toThrow(BaselineStoreError);
      cache.setFault(undefined);
      expect(await store.find([key(SHA_C)])).toBeUndefined();
      expect(cache.entries().find((e) => e.key === key(SHA_C))).toMatchObject({ finalized: false });
    });
  }, 30_000);

  test('a slow service is waited for', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await store.save(key(SHA_A), report(1));
      cache.setFault({ delayMs: 300, only: ['GetCacheEntryDownloadURL'] });
      const started = Date.now();
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });
  }, 30_000);

  test('without the runner env the cache is unavailable: find finds nothing, save says so', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      const restore = applyEnv({
        ACTIONS_RUNTIME_TOKEN: undefined,
        ACTIONS_RESULTS_URL: undefined,
        ACTIONS_CACHE_URL: undefined
      });
      try {
        expect(await store.find([key(SHA_A)])).toBeUndefined();
        await expect(store.save(key(SHA_A), report(1))).rejects.toThrow(/the Actions cache is not available/);
        // A service URL but no token is no better.
        applyEnv({ ACTIONS_RESULTS_URL: cache.url });
        expect(await store.find([key(SHA_A)])).toBeUndefined();
        await expect(store.save(key(SHA_A), report(1))).rejects.toThrow(BaselineStoreError);
      } finally {
        restore();
      }
      expect(cache.requests()).toEqual([]);
    });
  });

  test('a key the cache refuses (a comma) is a BaselineStoreError, not a crash', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      await expect(store.save('a,b', report(1))).rejects.toThrow(/holds a comma/);
      expect(cache.requests()).toEqual([]);
    });
  });

  test('more keys than the cache takes in one lookup (10) are asked 10 at a time, in order', async () => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      const keys = Array.from({ length: 25 }, (_, i) => key(String(i % 10).repeat(39) + String.fromCharCode(97 + Math.floor(i / 10))));
      await store.save(keys[22]!, report(22));
      await store.save(keys[24]!, report(24));
      expect(await store.find(keys)).toEqual({ key: keys[22], text: report(22) });
      // Keys 1-10 and 11-20 missed (a request each), 21-25 hit at 23; the two keys before it asked again.
      expect(twirpCalls(cache, 'GetCacheEntryDownloadURL')).toBe(4);
      expect(await store.find(keys.slice(0, 20))).toBeUndefined();
    });
  }, 30_000);
});

// ---- the stand-in itself ----

describe('the cache stand-in is no looser than the service', () => {
  async function call(cache: CacheStandin, rpc: string, body: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${cache.url}${TWIRP_PREFIX.slice(1)}${rpc}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${cache.token}`, ...headers },
      body
    });
    return { status: response.status, body: (await response.json()) as unknown };
  }
  const twirpError = (code: string) => ({ code, msg: expect.any(String) as unknown });

  test('requests that break the generated message definitions or the service rules get twirp errors', async () => {
    await withCache({}, async (cache) => {
      const version = 'f'.repeat(64);
      // A field of the wrong type, an unknown field, a body that is not an object: `malformed`.
      expect(await call(cache, 'CreateCacheEntry', JSON.stringify({ key: 5, version }))).toEqual({
        status: 400,
        body: twirpError('malformed')
      });
      expect(await call(cache, 'GetCacheEntryDownloadURL', JSON.stringify({ key: 'k', version, restore_keys: 'k2' }))).toEqual({
        status: 400,
        body: twirpError('malformed')
      });
      expect(await call(cache, 'FinalizeCacheEntryUpload', JSON.stringify({ key: 'k', version, size_bytes: 'ten' }))).toEqual({
        status: 400,
        body: twirpError('malformed')
      });
      expect(await call(cache, 'CreateCacheEntry', JSON.stringify({ key: 'k', version, keys: ['k'] }))).toEqual({
        status: 400,
        body: twirpError('malformed')
      });
      expect(await call(cache, 'CreateCacheEntry', '[]')).toEqual({ status: 400, body: twirpError('malformed') });
      // A required field missing (proto3 decodes it as empty): `invalid_argument`.
      expect(await call(cache, 'CreateCacheEntry', JSON.stringify({ version }))).toEqual({
        status: 400,
        body: twirpError('invalid_argument')
      });
      expect(await call(cache, 'GetCacheEntryDownloadURL', JSON.stringify({ key: 'k' }))).toEqual({
        status: 400,
        body: twirpError('invalid_argument')
      });
      // No token, another token, another content type, an unknown method.
      const valid = JSON.stringify({ key: 'k', version });
      expect(await call(cache, 'CreateCacheEntry', valid, { Authorization: '' })).toEqual({
        status: 401,
        body: twirpError('unauthenticated')
      });
      expect(await call(cache, 'CreateCacheEntry', valid, { Authorization: 'Bearer not-the-token' })).toEqual({
        status: 401,
        body: twirpError('unauthenticated')
      });
      expect(await call(cache, 'CreateCacheEntry', valid, { 'Content-Type': 'text/plain' })).toEqual({
        status: 404,
        body: twirpError('bad_route')
      });
      expect(await call(cache, 'DeleteCacheEntry', valid)).toEqual({ status: 404, body: twirpError('bad_route') });
      expect(cache.entries()).toEqual([]);
    });
  });

  test('its answers decode strictly with the generated response types, in proto field names', async () => {
    await withCache({}, async (cache) => {
      const version = 'f'.repeat(64);
      const created = await call(cache, 'CreateCacheEntry', JSON.stringify({ key: 'k', version }));
      expect(created.status).toBe(200);
      expect(Object.keys(created.body as object).sort()).toEqual(['message', 'ok', 'signed_upload_url']);
      const decoded = CreateCacheEntryResponse.fromJsonString(JSON.stringify(created.body), { ignoreUnknownFields: false });
      expect(decoded.ok).toBe(true);
      expect(new URL(decoded.signedUploadUrl).searchParams.get('sig')).toBeTruthy();

      // The same key again, in the same scope: the hosted service's 409.
      expect(await call(cache, 'CreateCacheEntry', JSON.stringify({ key: 'k', version }))).toEqual({
        status: 409,
        body: { code: 'already_exists', msg: ALREADY_EXISTS_MESSAGE }
      });
      // Not finalized yet, so not found; a miss is `ok: false`, not an error.
      const miss = await call(cache, 'GetCacheEntryDownloadURL', JSON.stringify({ key: 'k', version }));
      expect(miss).toEqual({ status: 200, body: { ok: false, signed_download_url: '', matched_key: '' } });
      const decodedMiss = GetCacheEntryDownloadURLResponse.fromJsonString(JSON.stringify(miss.body), {
        ignoreUnknownFields: false
      });
      expect(decodedMiss.ok).toBe(false);
      // A signed URL is bound to its blob and permission: the upload URL cannot read, a forged one cannot write.
      const readWithUploadUrl = await fetch(decoded.signedUploadUrl);
      expect(readWithUploadUrl.status).toBe(403);
      const forged = new URL(decoded.signedUploadUrl);
      forged.searchParams.set('sp', 'rcw');
      const write = await fetch(forged, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' });
      expect(write.status).toBe(403);
      expect(await write.text()).toContain('<Code>AuthenticationFailed</Code>');
    });
  });
});

// ---- a poisoned cache archive (RELIABILITY row 28) ----

interface TarMember {
  readonly name: string;
  readonly type: 'file' | 'symlink' | 'dir';
  readonly content?: string;
  readonly target?: string;
}

/** A ustar archive of exactly these members, names as given (`..`, absolute, links): what a hostile writer could upload. */
function tarOf(members: readonly TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const header = Buffer.alloc(512, 0);
    const body = Buffer.from(m.content ?? '', 'utf8');
    const put = (at: number, len: number, text: string): void => void header.write(text, at, len, 'utf8');
    const octal = (at: number, len: number, n: number): void => put(at, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
    put(0, 100, m.name);
    octal(100, 8, m.type === 'dir' ? 0o755 : 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, m.type === 'file' ? body.length : 0);
    octal(136, 12, 1_700_000_000);
    header.write('        ', 148, 8, 'ascii');
    put(156, 1, m.type === 'file' ? '0' : m.type === 'symlink' ? '2' : '5');
    if (m.target) put(157, 100, m.target);
    put(257, 6, 'ustar\0');
    put(263, 2, '00');
    let sum = 0;
    for (const b of header) sum += b;
    put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header);
    if (m.type === 'file') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

/** Uploads `archive` under `key` and `version` through the service's own protocol, as any holder of a cache token could. */
async function plant(cache: CacheStandin, key: string, version: string, archive: Buffer): Promise<void> {
  const twirp = async (rpc: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${cache.url}${TWIRP_PREFIX.slice(1)}${rpc}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${cache.token}` },
      body: JSON.stringify(body)
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const created = await twirp('CreateCacheEntry', { key, version });
  const put = await fetch(String(created.signed_upload_url), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: archive });
  expect(put.status).toBe(201);
  await twirp('FinalizeCacheEntryUpload', { key, version, size_bytes: String(archive.length) });
}

/** What the process prints meanwhile, on stdout and stderr (where a library's logs and a tool's output would go). */
async function printedDuring<T>(fn: () => Promise<T>): Promise<{ result: T; printed: string }> {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      chunks.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return true;
    })
  );
  try {
    const result = await fn();
    return { result, printed: chunks.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('a poisoned archive in the Actions cache (RELIABILITY row 28): no baseline, a warning, nothing written outside, nothing echoed', () => {
  const FILE = 'image-budget-baseline.json';
  const zstd = (tar: Buffer): Buffer => execFileSync('zstd', ['-q', '-c'], { input: tar });
  const SECRET = `secret-${'9'.repeat(8)}`;
  const POISON = `poison-${'7'.repeat(8)}`;
  // Names of this run's own: a file left by an earlier failing run must not decide this one.
  const ESCAPED = `escaped-${process.pid}-${Date.now()}.json`;
  // A report that would pass every check: the archive, not the report, is what must be refused.
  const validReport = (sha: string, marker: string): string =>
    JSON.stringify(makeReport({ rows: [{ target: 'release', head: 1000 }], headSha: sha, repository: 'Octo/Repo', event: 'push', notes: [marker] }));
  const silentLog = (): Log & { warnings: string[]; infos: string[] } => {
    const warnings: string[] = [];
    const infos: string[] = [];
    return { warnings, infos, info: (m) => void infos.push(m), warning: (m) => void warnings.push(m), group: (_t, fn) => fn() };
  };

  interface Poison {
    readonly name: string;
    readonly members: (outside: string, sha: string) => TarMember[];
    readonly reason: RegExp;
  }
  const cases: Poison[] = [
    {
      name: 'the report is a symbolic link to a file outside',
      members: (outside) => [{ name: FILE, type: 'symlink', target: path.join(outside, 'secret.json') }],
      reason: /is a symbolic link; refusing to follow it/
    },
    {
      name: 'a valid report beside a `../` member',
      members: (_outside, sha) => [
        { name: FILE, type: 'file', content: validReport(sha, POISON) },
        { name: `../${ESCAPED}`, type: 'file', content: POISON },
        { name: `../../${ESCAPED}`, type: 'file', content: POISON }
      ],
      reason: /holds more than image-budget-baseline\.json/
    },
    {
      name: 'a valid report beside an absolute member and a write through a planted link',
      members: (outside, sha) => [
        { name: FILE, type: 'file', content: validReport(sha, POISON) },
        { name: path.join(outside, 'absolute.json'), type: 'file', content: POISON },
        { name: 'door', type: 'symlink', target: outside },
        { name: 'door/through.json', type: 'file', content: POISON },
        { name: '..', type: 'dir' }
      ],
      reason: /holds more than image-budget-baseline\.json/
    }
  ];

  test.each(cases)('$name', async ({ members, reason }) => {
    await withCache({}, async (cache) => {
      const store = new ActionsCacheStore();
      // A genuine entry first: its version (paths and compression) is the one a lookup asks for.
      expect(await store.save(key(SHA_A), report(1))).toBe(true);
      const version = cache.entries()[0]!.version;
      const outside = await tempDir('outside');
      await writeFile(path.join(outside, 'secret.json'), validReport(SHA_B, SECRET));
      await plant(cache, key(SHA_B), version, zstd(tarOf(members(outside, SHA_B))));

      const direct = await printedDuring(() => store.find([key(SHA_B)]).catch((e: unknown) => e));
      expect(direct.result).toBeInstanceOf(BaselineStoreError);
      expect((direct.result as Error).message).toMatch(reason);

      // Through the lookup the pipeline makes: no baseline, and a warning that says why.
      const log = silentLog();
      const resolved = await printedDuring(() =>
        findStoredBaseline({ store, repository: 'Octo/Repo', commentKey: 'image-budget', baseSha: SHA_B, repoDir: outside, log })
      );
      expect(resolved.result).toBeUndefined();
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toMatch(/^Stored baselines could not be read from the Actions cache: /);
      expect(log.warnings[0]).toMatch(reason);

      // Nothing written anywhere (the archive is read in memory): not in the working directory, not
      // beside it, not outside; the folder outside holds only what the test put there, unchanged.
      expect(await readdir(process.cwd())).not.toContain(ESCAPED);
      expect(await readdir(path.dirname(process.cwd()))).not.toContain(ESCAPED);
      expect(await readdir(os.tmpdir())).not.toContain(ESCAPED);
      expect(await readdir(outside)).toEqual(['secret.json']);
      expect(await readFile(path.join(outside, 'secret.json'), 'utf8')).toBe(validReport(SHA_B, SECRET));
      // Neither what the archive holds nor what a link points at is ever printed or warned.
      for (const text of [direct.printed, resolved.printed, (direct.result as Error).message, ...log.warnings, ...log.infos]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(POISON);
      }
      // The genuine entry is still found: only the poisoned one is refused.
      expect(await store.find([key(SHA_A)])).toEqual({ key: key(SHA_A), text: report(1) });
    });
  }, 30_000);
});
