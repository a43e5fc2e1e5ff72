// Where measured reports are kept as baselines, keyed by commit: the Actions cache in workflows
// (actions-cache.ts). A stored report is a few KB of JSON; what is read back is untrusted, read
// safely (stored-file.ts) and validated by the caller (report/validate.ts validateReport).

/** A stored report found under one of the keys asked for. */
export interface StoredBaseline {
  /** The key it was found under (one of those asked for). */
  readonly key: string;
  /** The report's JSON text, not yet validated. */
  readonly text: string;
}

export interface BaselineStore {
  /** A short name for messages ("the Actions cache"). */
  readonly description: string;
  /**
   * The first of `keys`, in order, that holds a report; undefined when none does. Never throws for a
   * missing entry; throws BaselineStoreError when the store cannot be reached or read.
   */
  find(keys: readonly string[]): Promise<StoredBaseline | undefined>;
  /**
   * Stores `text` under `key`. An entry that already exists under that key is kept as it is
   * (Actions cache entries are immutable); resolves to false then, true when written. Throws
   * BaselineStoreError when the store cannot be written.
   */
  save(key: string, text: string): Promise<boolean>;
}

export class BaselineStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaselineStoreError';
  }
}

/**
 * `store`, remembering what each lookup told of its keys, so that one run asks once per key: the
 * baseline's lookup and the trend's cover the same commits. A hit at one key says the keys before
 * it hold nothing (the store answers the first that holds a report); a miss says none of them does.
 * A lookup that fails throws and tells nothing.
 */
export function remembering(store: BaselineStore): BaselineStore {
  const known = new Map<string, StoredBaseline | null>();
  return {
    description: store.description,
    async find(keys) {
      for (const [i, key] of keys.entries()) {
        const entry = known.get(key);
        if (entry === undefined) return ask(keys.slice(i));
        if (entry !== null) return entry;
      }
      return undefined;
    },
    save(key, text) {
      known.delete(key);
      return store.save(key, text);
    }
  };

  async function ask(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    const hit = await store.find(keys);
    const end = hit ? keys.indexOf(hit.key) : keys.length;
    for (const key of keys.slice(0, end)) known.set(key, null);
    if (hit) known.set(hit.key, hit);
    return hit;
  }
}

/** Largest stored report accepted when reading back (reports are a few KB; this bounds a hostile one). */
export const MAX_STORED_REPORT_BYTES = 8 * 1024 * 1024;

/**
 * The key of the baseline of `sha`: `image-budget-v1-<owner>/<name>-<comment-key>-<sha>`. The version
 * is the report schema's, so a new schema never reads an old report as its own. Pure.
 */
export function baselineKey(repository: string, commentKey: string, sha: string, schemaVersion = 1): string {
  return `image-budget-v${schemaVersion}-${repository.toLowerCase()}-${commentKey}-${sha.toLowerCase()}`;
}

/** Events whose report becomes the baseline of their commit (pull requests compare with these). */
const STORING_EVENTS: ReadonlySet<string> = new Set(['push', 'schedule', 'workflow_dispatch']);

/** Whether a run of `event` stores its report as its commit's baseline. Pure. */
export function storesBaseline(event: string): boolean {
  return STORING_EVENTS.has(event);
}
