// Baselines kept in the GitHub Actions cache, one entry per key, holding one file: the report. The
// entry is laid out as @actions/cache lays it out (cache-archive.ts) and the service is spoken to as
// the library speaks to it (cache-service.ts), so entries written by earlier releases, which used the
// library, read back here, and the other way round.
// - find: the keys are asked in the order given, 10 a lookup (the service's limit); the service
//   matches keys as prefixes, so only an exact match of one of ours counts. An entry is read in
//   memory and refused whole unless it holds exactly the report (RELIABILITY row 28); nothing is ever
//   extracted to disk.
// - save: entries are immutable; a key that exists is kept (false). A job whose ACTIONS_CACHE_MODE
//   permits no reads finds nothing; one that permits no writes cannot save.
import { errorMessage } from '../errors.js';
import { BASELINE_VERSION, MAX_ARCHIVE_BYTES, packBaseline, unpackBaseline } from './cache-archive.js';
import { CacheService, cacheConnection, type CacheConnection } from './cache-service.js';
import { checkReportSize } from './stored-file.js';
import { BaselineStoreError, type BaselineStore, type StoredBaseline } from './store.js';

/** Keys the service takes in one lookup (the primary key and 9 restore keys). */
const KEYS_PER_LOOKUP = 10;

/** Keys the service refuses: longer than 512 characters, or holding a comma (its key list separator). */
function checkKey(key: string): void {
  if (key.length > 512) throw new BaselineStoreError(`the Actions cache key ${key} is longer than 512 characters`);
  if (key.includes(',')) throw new BaselineStoreError(`the Actions cache key ${key} holds a comma, which the cache does not accept`);
}

export interface ActionsCacheOptions {
  /** The runner's variables (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL, proxies, …). Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export class ActionsCacheStore implements BaselineStore {
  readonly description = 'the Actions cache';
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(options: ActionsCacheOptions = {}) {
    this.env = options.env ?? process.env;
  }

  async find(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    keys.forEach(checkKey);
    const connection = cacheConnection(this.env);
    if (keys.length === 0 || !connection?.readable) return undefined;
    return this.using(connection, async (service) => {
      for (let i = 0; i < keys.length; i += KEYS_PER_LOOKUP) {
        const hit = await this.findInOrder(service, keys.slice(i, i + KEYS_PER_LOOKUP));
        if (hit) return hit;
      }
      return undefined;
    });
  }

  async save(key: string, text: string): Promise<boolean> {
    checkReportSize(text);
    checkKey(key);
    const connection = cacheConnection(this.env);
    if (!connection) {
      throw new BaselineStoreError(
        'the Actions cache is not available (ACTIONS_RUNTIME_TOKEN, or ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL, ' +
          'is not set: not a GitHub Actions job)'
      );
    }
    if (!connection.writable) {
      throw new BaselineStoreError(`the job's cache mode (ACTIONS_CACHE_MODE ${this.env['ACTIONS_CACHE_MODE'] ?? ''}) does not permit writes`);
    }
    return this.using(connection, async (service) => {
      const { created, refusal } = await service.create(key, BASELINE_VERSION, packBaseline(text));
      if (created) return true;
      // Refused: the key exists (kept as it is), another job is writing it, or a policy denies it.
      if (connection.readable && (await service.lookup([key], BASELINE_VERSION))?.key === key) return false;
      const seen = connection.readable ? 'and holds no entry under it' : 'and this job may not read the cache to tell whether it exists';
      throw new BaselineStoreError(`the Actions cache refused to create ${key} (${refusal ?? 'no reason given'}), ${seen}`);
    });
  }

  /**
   * One lookup for all keys. The service searches the run's own scope first, then the base and
   * default branches, so a later key found in the run's scope can hide an earlier key in the default
   * branch's: when the hit is not the first key, the keys before it are looked up again (in the
   * other scopes). A common miss or first-key hit costs one request.
   */
  private async findInOrder(service: CacheService, keys: readonly string[]): Promise<StoredBaseline | undefined> {
    const entry = await service.lookup(keys, BASELINE_VERSION);
    // Keys are prefixes to the service; ours end in a commit SHA, so only an exact match is ours.
    const index = entry ? keys.indexOf(entry.key) : -1;
    if (!entry || index === -1) return undefined;
    const earlier = index > 0 ? await this.findInOrder(service, keys.slice(0, index)) : undefined;
    if (earlier) return earlier;
    const text = unpackBaseline(await service.download(entry, MAX_ARCHIVE_BYTES), entry.key);
    return { key: entry.key, text };
  }

  private async using<T>(connection: CacheConnection, fn: (service: CacheService) => Promise<T>): Promise<T> {
    const service = new CacheService(connection, this.env);
    try {
      return await fn(service);
    } catch (error) {
      if (error instanceof BaselineStoreError) throw error;
      throw new BaselineStoreError(`the Actions cache failed: ${errorMessage(error)}`);
    } finally {
      service.close();
    }
  }
}
