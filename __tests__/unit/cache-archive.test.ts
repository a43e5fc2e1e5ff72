// A baseline's Actions cache entry, made and read in memory (src/baseline/cache-archive.ts), and where
// the cache is (cache-service.ts cacheConnection): pure, checked against @actions/cache's own
// functions (getCacheVersion, the service version and cache mode rules) and real zstd and GNU tar.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zstdCompressSync } from 'node:zlib';
import { BASELINE_FILE, BASELINE_VERSION, MAX_ARCHIVE_BYTES, cacheVersion, packBaseline, unpackBaseline } from '../../src/baseline/cache-archive.js';
import { cacheConnection } from '../../src/baseline/cache-service.js';
import { BaselineStoreError, MAX_STORED_REPORT_BYTES } from '../../src/baseline/store.js';
import { getCacheVersion } from '../../node_modules/@actions/cache/lib/internal/cacheUtils.js';
import { tarMember, tarOf } from '../support/tar-writer.js';

const KEY = 'image-budget-v1-o/r-image-budget-' + 'a'.repeat(40);
const report = '{"schemaVersion":1,"note":"ünïcode ✓"}\n';

const refused = (data: Buffer): string => {
  try {
    unpackBaseline(data, KEY);
  } catch (error) {
    expect(error).toBeInstanceOf(BaselineStoreError);
    return (error as Error).message;
  }
  throw new Error('not refused');
};

describe('the entry of a baseline', () => {
  test("its version is @actions/cache's for the one path with zstd (and differs for gzip)", () => {
    expect(BASELINE_VERSION).toBe(getCacheVersion([BASELINE_FILE], 'zstd-without-long' as never));
    expect(cacheVersion([BASELINE_FILE], 'gzip')).toBe(getCacheVersion([BASELINE_FILE], 'gzip' as never));
    expect(cacheVersion([BASELINE_FILE], 'gzip')).not.toBe(BASELINE_VERSION);
  });

  test('packed, it unpacks to exactly the text, and zstd and GNU tar read it as one file', () => {
    const packed = packBaseline(report);
    expect(unpackBaseline(packed, KEY)).toBe(report);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cache-archive-'));
    try {
      writeFileSync(path.join(dir, 'cache.tzst'), packed);
      const tar = execFileSync('zstd', ['-d', '-q', '-c', path.join(dir, 'cache.tzst')]);
      expect(execFileSync('tar', ['-tvf', '-'], { input: tar }).toString()).toMatch(/^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00 image-budget-baseline\.json\n$/);
      execFileSync('tar', ['-xf', '-', '-C', dir], { input: tar });
      expect(readFileSync(path.join(dir, BASELINE_FILE), 'utf8')).toBe(report);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an archive as @actions/cache writes it (GNU tar --posix, then zstd) unpacks', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cache-archive-'));
    try {
      writeFileSync(path.join(dir, BASELINE_FILE), report);
      const tar = execFileSync('tar', ['--posix', '-cf', '-', '-P', '-C', dir, BASELINE_FILE]);
      expect(unpackBaseline(execFileSync('zstd', ['-T0', '-q', '-c'], { input: tar }), KEY)).toBe(report);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a report at the cap packs and unpacks; what is refused names the entry and never quotes it', () => {
    const big = 'x'.repeat(MAX_STORED_REPORT_BYTES);
    expect(unpackBaseline(packBaseline(big), KEY)).toBe(big);
    const secret = 'secret-contents-9999';
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from(secret), /is not a zstd archive/],
      [zstdCompressSync(Buffer.from(secret)), /is not a readable tar archive/],
      [Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from(secret)]), /cannot be decompressed/],
      [zstdCompressSync(tarOf()), /did not hold image-budget-baseline\.json/],
      [zstdCompressSync(tarOf(tarMember('other.json', secret))), /holds more than image-budget-baseline\.json \(1 other member,/],
      [zstdCompressSync(tarOf(tarMember(BASELINE_FILE, secret), tarMember('x', secret))), /\(1 other member,/],
      [zstdCompressSync(tarOf(tarMember(BASELINE_FILE, '', '2'))), /is a symbolic link; refusing to follow it/],
      [zstdCompressSync(tarOf(tarMember(BASELINE_FILE, '', '1'))), /is a hard link; refusing to follow it/],
      // Two frames: Node would inflate the first only; what follows is refused, not dropped.
      [Buffer.concat([packBaseline(secret), zstdCompressSync(Buffer.from(secret))]), /holds more than one zstd frame/],
      [zstdCompressSync(tarOf(tarMember(BASELINE_FILE, '', '5'))), /is not a regular file/],
      // A bomb: a small archive that inflates past the cap is stopped while inflating.
      [zstdCompressSync(tarOf(tarMember(BASELINE_FILE, 'x'.repeat(MAX_STORED_REPORT_BYTES + 1)))), /cannot be decompressed|larger than/],
      [Buffer.alloc(MAX_ARCHIVE_BYTES + 1), /is larger than/]
    ];
    for (const [data, reason] of cases) {
      const message = refused(data);
      expect(message).toMatch(reason);
      expect(message).toContain(KEY);
      expect(message).not.toContain(secret);
    }
  });
});

describe('cacheConnection: where the job has its cache, as @actions/cache decides', () => {
  const TOKEN = { ACTIONS_RUNTIME_TOKEN: 't' };

  test('github.com with ACTIONS_CACHE_SERVICE_V2: v2 at ACTIONS_RESULTS_URL (a slash added)', () => {
    const c = cacheConnection({ ...TOKEN, ACTIONS_CACHE_SERVICE_V2: 'True', ACTIONS_RESULTS_URL: 'https://results.example/x', ACTIONS_CACHE_URL: 'https://v1.example/' });
    expect(c).toMatchObject({ protocol: 'v2', token: 't', readable: true, writable: true });
    expect(c?.base.href).toBe('https://results.example/x/');
  });

  test('GHES, even with ACTIONS_CACHE_SERVICE_V2 set, and no v2 flag: v1 under ACTIONS_CACHE_URL', () => {
    const ghes = { ...TOKEN, GITHUB_SERVER_URL: 'https://ghes.corp', ACTIONS_CACHE_SERVICE_V2: 'True', ACTIONS_CACHE_URL: 'https://ghes.corp/cache/abc' };
    expect(cacheConnection(ghes)?.protocol).toBe('v1');
    expect(cacheConnection(ghes)?.base.href).toBe('https://ghes.corp/cache/abc/_apis/artifactcache/');
    // The library's isFeatureAvailable: v1 needs ACTIONS_CACHE_URL, whatever else is set.
    expect(cacheConnection({ ...TOKEN, ACTIONS_RESULTS_URL: 'https://r.example/' })).toBeUndefined();
    for (const host of ['https://github.com', 'https://octo.ghe.com', 'https://x.localhost']) {
      expect(cacheConnection({ ...TOKEN, GITHUB_SERVER_URL: host, ACTIONS_CACHE_SERVICE_V2: '1', ACTIONS_RESULTS_URL: 'https://r/' })?.protocol).toBe('v2');
    }
  });

  test('a URL that is not one is an error naming the variable, not a crash', () => {
    expect(() => cacheConnection({ ...TOKEN, ACTIONS_CACHE_SERVICE_V2: '1', ACTIONS_RESULTS_URL: 'not a url' })).toThrow(
      new BaselineStoreError('ACTIONS_RESULTS_URL is not a URL; the Actions cache cannot be reached')
    );
  });

  test('no token, or no URL for the protocol: no cache', () => {
    expect(cacheConnection({ ACTIONS_RESULTS_URL: 'https://r/', ACTIONS_CACHE_SERVICE_V2: '1' })).toBeUndefined();
    expect(cacheConnection({ ...TOKEN, ACTIONS_CACHE_SERVICE_V2: '1', ACTIONS_CACHE_URL: 'https://v1/' })).toBeUndefined();
    expect(cacheConnection({ ...TOKEN })).toBeUndefined();
  });

  test.each([
    ['', true, true],
    ['read', true, false],
    ['write', true, true],
    ['write-only', false, true],
    ['none', false, false],
    [' READ ', true, false],
    ['something-new', true, true]
  ])('ACTIONS_CACHE_MODE %j: readable %s, writable %s (unknown modes permit both, as in the library)', (mode, readable, writable) => {
    const c = cacheConnection({ ...TOKEN, ACTIONS_CACHE_SERVICE_V2: '1', ACTIONS_RESULTS_URL: 'https://r/', ACTIONS_CACHE_MODE: mode });
    expect(c).toMatchObject({ readable, writable });
  });
});
