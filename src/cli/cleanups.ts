// The command line's cleanups (base checkout, temporary image layouts): run once, last registered
// first, at the end of a command or on Ctrl-C, since the command line has no post step.
import { errorMessage } from '../errors.js';
import type { Log } from '../log.js';

/** Runs every cleanup once, last registered first, like main.ts; what goes wrong is a warning. */
export async function runCleanups(cleanups: Array<() => Promise<unknown>>, log: Log): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      const warnings = await cleanup();
      if (Array.isArray(warnings)) for (const w of warnings) log.warning(String(w));
    } catch (e) {
      log.warning(`cleanup: ${errorMessage(e)}`);
    }
  }
}

/**
 * Ctrl-C must not leave the base checkout or image layouts in the temp folder (the action has a post
 * step for that; the command line has only this). Returns the function that removes the handlers.
 */
export function cleanUpOnInterrupt(cleanups: Array<() => Promise<unknown>>, log: Log): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    log.warning(`${signal}: cleaning up before exiting`);
    void runCleanups(cleanups, log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
