// A BaselineStore held in memory, for tests of what uses a store (findStoredBaseline). It keeps the
// contract of src/baseline/store.ts: find answers the first of the keys, in the order asked, that
// holds a report; save keeps an entry that already exists and answers false, as the Actions cache does.
import type { BaselineStore, StoredBaseline } from '../../src/baseline/store.js';

export class MemoryStore implements BaselineStore {
  readonly description = 'memory';
  private readonly entries = new Map<string, string>();

  async find(keys: readonly string[]): Promise<StoredBaseline | undefined> {
    for (const key of keys) {
      const text = this.entries.get(key);
      if (text !== undefined) return { key, text };
    }
    return undefined;
  }

  async save(key: string, text: string): Promise<boolean> {
    if (this.entries.has(key)) return false;
    this.entries.set(key, text);
    return true;
  }
}
