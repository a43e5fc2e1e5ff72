// Baselines kept in the GitHub Actions cache (@actions/cache), one entry per key, holding one file.
//
// How @actions/cache 6.3.0 shapes this module:
// - An entry's `version` is a hash of the exact path strings given to saveCache/restoreCache (and of
//   the compression method: zstd when the runner has it, gzip otherwise), and the archive holds paths
//   relative to GITHUB_WORKSPACE (or the working directory), where it is also extracted. An absolute
//   path under RUNNER_TEMP would give every runner layout (hosted, self-hosted, container jobs, and
//   every test) its own version and its own extraction place. So each operation runs in a fresh
//   directory of its own, made the working directory and GITHUB_WORKSPACE for the call, and names
//   the file by the same relative path everywhere: `image-budget-baseline.json`. The working
//   directory is process-wide, so one operation at a time runs (within this process), and both are
//   put back afterwards.
// - restoreCache swallows every failure but a ValidationError (bad keys): a service that is down or
//   answers garbage is retried (5 attempts, about 30 s), logged by the library as a warning, and
//   looks like a miss.
//   find therefore resolves undefined then, which is also the safe answer: a baseline that cannot be
//   read never stops the action.
// - saveCache swallows every failure too and answers -1, whether the key exists (the service's 409)
//   or the service failed; save tells the two apart by looking the key up afterwards.
// - @actions/cache, with the Azure storage SDK it brings, is half of the action's bundle and about
//   17 MB of the process's memory once loaded: it is imported on first use, by a lookup or a store in
//   a job that has the cache service, never at startup (the bundle carries it as a chunk of its own,
//   dist/<id>.index.js).
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { firstUse } from '../first-use.js';
import { checkReportSize, readStoredReport } from './stored-file.js';
import { BaselineStoreError, type BaselineStore, type StoredBaseline } from './store.js';

/** Keys @actions/cache accepts in one lookup (the primary key and 9 restore keys). */
const KEYS_PER_RESTORE = 10;

/** The path the entry is saved and restored under: part of its version, the same on every runner. */
const FILE = 'image-budget-baseline.json';

/**
 * What an archive restored from the cache holds is untrusted (RELIABILITY row 28): whoever could
 * write an entry under the key chose its members. @actions/cache extracts with GNU tar's `-P`
 * (--absolute-names), which writes `../` and absolute member names, and members under a symbolic
 * link the archive planted, wherever they point. GNU tar reads TAR_OPTIONS before its arguments
 * (`-P` cannot be undone there): every member name and link target that holds a `/` or is `..` is
 * renamed to one name inside the extraction folder, where it is then seen and the entry refused.
 * (BSD tar, which the library uses on macOS without gtar, ignores TAR_OPTIONS.)
 */
const CONFINE_MEMBERS = '--transform=s,.*/.*,image-budget-poisoned-member, --transform=s,^[.][.]$,image-budget-poisoned-member,';

/**
 * Whether this process can reach the cache: @actions/cache's own test (ACTIONS_RESULTS_URL for the
 * v2 service, ACTIONS_CACHE_URL for v1), plus the runtime token, which it only needs later (and
 * whose absence it reports, on save, as a bare "Unable to get the ACTIONS_RUNTIME_TOKEN").
 */
export async function actionsCacheAvailable(): Promise<boolean> {
  // Without these variables @actions/cache would answer no: nothing is loaded to ask it.
  const env = process.env;
  if (!env['ACTIONS_RUNTIME_TOKEN'] || !(env['ACTIONS_RESULTS_URL'] || env['ACTIONS_CACHE_URL'])) return false;
  return (await actionsCache()).isFeatureAvailable();
}

/** @actions/cache, imported once, on first use. */
const actionsCache = firstUse(() =>
  import('@actions/cache').catch((error: unknown) => {
    throw new BaselineStoreError(`cannot load @actions/cache: ${errorMessage(error)}`);
  })
);

export class ActionsCacheStore implements BaselineStore {
  readonly description = 'the Actions cache';
  private readonly tempRoot: string;

  /** `tempRoot`: a directory of the run's own (RUNNER_TEMP), where each operation makes its own folder. */
  constructor(tempRoot: string) {
    this.tempRoot = path.resolve(tempRoot);
  }

  async find(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    if (keys.length === 0 || !(await actionsCacheAvailable())) return undefined;
    return exclusive(async () => {
      // @actions/cache takes at most 10 keys a lookup: longer lists are asked in order, 10 at a time.
      for (let i = 0; i < keys.length; i += KEYS_PER_RESTORE) {
        const hit = await this.findInOrder(keys.slice(i, i + KEYS_PER_RESTORE));
        if (hit) return hit;
      }
      return undefined;
    });
  }

  async save(key: string, text: string): Promise<boolean> {
    checkReportSize(text);
    if (!(await actionsCacheAvailable())) {
      throw new BaselineStoreError(
        'the Actions cache is not available (ACTIONS_RUNTIME_TOKEN, or ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL, ' +
          'is not set: not a GitHub Actions job)'
      );
    }
    return exclusive(() => this.saveOnce(key, text));
  }

  /**
   * One lookup for all keys. The service searches the run's own scope first, then the base and
   * default branches, so a later key found in the run's scope can hide an earlier key in the default
   * branch's: when the hit is not the first key, the keys before it are looked up again (in the
   * other scopes). A common miss or first-key hit costs one request.
   */
  private async findInOrder(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    const hit = await this.restoreOnce(keys);
    if (!hit) return undefined;
    const index = keys.indexOf(hit.key);
    if (index === 0) return hit;
    return (await this.findInOrder(keys.slice(0, index))) ?? hit;
  }

  private async restoreOnce(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    const [primary, ...restoreKeys] = keys;
    if (primary === undefined) return undefined;
    const { restoreCache } = await actionsCache();
    return this.inOwnDirectory(async (dir) => {
      let matched: string | undefined;
      const tarOptions = process.env['TAR_OPTIONS'];
      process.env['TAR_OPTIONS'] = CONFINE_MEMBERS;
      try {
        matched = await restoreCache([FILE], primary, restoreKeys);
      } catch (error) {
        throw new BaselineStoreError(`cannot look up a baseline in the Actions cache: ${errorMessage(error)}`);
      } finally {
        if (tarOptions === undefined) delete process.env['TAR_OPTIONS'];
        else process.env['TAR_OPTIONS'] = tarOptions;
      }
      // Keys are prefixes to the service; ours end in a commit SHA, so only an exact match is ours.
      if (matched === undefined || !keys.includes(matched)) return undefined;
      // Our archives hold the one file: anything else is a poisoned or foreign entry, refused whole.
      const others = (await readdir(dir)).filter((name) => name !== FILE);
      if (others.length > 0) {
        throw new BaselineStoreError(
          `the Actions cache entry ${matched} holds more than ${FILE} (${others.length} other member${others.length === 1 ? '' : 's'}, ` +
            'or paths outside its folder); it is refused'
        );
      }
      const text = await readStoredReport(path.join(dir, FILE));
      if (text === undefined) {
        throw new BaselineStoreError(`the Actions cache entry ${matched} did not restore ${FILE}`);
      }
      return { key: matched, text };
    });
  }

  private async saveOnce(key: string, text: string): Promise<boolean> {
    const { saveCache } = await actionsCache();
    const id = await this.inOwnDirectory(async (dir) => {
      try {
        await writeNewFile(path.join(dir, FILE), text);
        return await saveCache([FILE], key);
      } catch (error) {
        // ValidationError (key too long, a comma), or the file could not be written.
        if (error instanceof BaselineStoreError) throw error;
        throw new BaselineStoreError(`cannot save a baseline to the Actions cache: ${errorMessage(error)}`);
      }
    });
    if (id !== -1) return true;
    if (await this.holds(key)) return false;
    throw new BaselineStoreError(
      `the Actions cache did not store ${key} (the reason is in the @actions/cache messages above)`
    );
  }

  /** Whether an entry is under exactly `key` for our path, without downloading it. */
  private async holds(key: string): Promise<boolean> {
    try {
      const { restoreCache } = await actionsCache();
      return (await this.inOwnDirectory(() => restoreCache([FILE], key, [], { lookupOnly: true }))) === key;
    } catch {
      return false;
    }
  }

  /**
   * Runs `fn` in a fresh directory of its own under the temp root, made the working directory and
   * GITHUB_WORKSPACE for the call (where the library resolves and extracts FILE); puts both back
   * and removes the directory afterwards. Nothing planted there beforehand is ever read.
   */
  private async inOwnDirectory<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    let dir: string;
    try {
      await mkdir(this.tempRoot, { recursive: true });
      dir = await mkdtemp(path.join(this.tempRoot, 'image-budget-baseline-'));
    } catch (error) {
      throw new BaselineStoreError(`cannot make a folder under ${this.tempRoot}: ${errorMessage(error)}`);
    }
    const cwd = process.cwd();
    const workspace = process.env['GITHUB_WORKSPACE'];
    process.chdir(dir);
    process.env['GITHUB_WORKSPACE'] = dir;
    try {
      return await fn(dir);
    } finally {
      process.chdir(cwd);
      if (workspace === undefined) delete process.env['GITHUB_WORKSPACE'];
      else process.env['GITHUB_WORKSPACE'] = workspace;
      await rm(dir, { recursive: true, force: true });
    }
  }
}

async function writeNewFile(file: string, text: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await handle.writeFile(text, 'utf8');
  } catch (error) {
    throw new BaselineStoreError(`cannot write ${file}: ${errorMessage(error)}`);
  } finally {
    await handle?.close();
  }
}

// One operation at a time across every store of this process: each changes the working directory.
let busy: Promise<unknown> = Promise.resolve();

async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = busy.then(fn, fn);
  busy = run.catch(() => undefined);
  return run;
}
