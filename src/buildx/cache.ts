// The build cache of a run, decided once before the first build. Pure: the `cache` input, the
// runtime, whose code is built and what the builder can do in; the cache to use and what to say out.
//   - a relative local folder is the workspace's (where actions/cache saves it), not the context's;
//   - gha needs the Actions runtime, and a stranger's build gets none (its token would be in reach);
//   - a stranger's build reads, never writes; a builder that cannot export reads only;
//   - `max` is exported by push, schedule and dispatch runs of the default branch only (trust.ts).
import path from 'node:path';
import type { CacheSpec } from '../model.js';

export interface CacheRequest {
  readonly requested: CacheSpec;
  readonly realWorkspace: string;
  /** Whether the Actions runtime (token and cache service URL) is in the step's environment. */
  readonly runtime: boolean;
  /** Where the code comes from when it is a stranger's (trust.ts), else undefined. */
  readonly untrusted: string | undefined;
  /** Whether the run may write the cache (trust.ts exportCache), and why not when it may not. */
  readonly exportAllowed: boolean;
  readonly exportNote: string | undefined;
  readonly builderName: string;
  readonly builderCanExport: boolean;
  readonly mode: 'max' | 'min';
}

export interface CacheDecision {
  readonly cache: CacheSpec;
  readonly cacheExport: boolean;
  readonly cacheMode: 'max' | 'min';
  /** Lines for the log, warnings, and notes for the comment. */
  readonly info: readonly string[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

export function decideCache(req: CacheRequest): CacheDecision {
  const info: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  let cache = req.requested.type === 'local' ? { ...req.requested, dir: path.resolve(req.realWorkspace, req.requested.dir) } : req.requested;
  if (cache.type === 'gha' && !req.runtime) {
    info.push('cache: gha needs the Actions runtime (ACTIONS_RUNTIME_TOKEN); building without cache.');
    cache = { type: 'none' };
  }
  if (cache.type === 'gha' && req.untrusted !== undefined) {
    // buildx hands the runtime token to the gha cache, whose attributes reach the build's frontend.
    const note = `No build cache: this run builds ${req.untrusted}, and the gha cache would put the Actions runtime token within its reach.`;
    info.push(`cache: ${note}`);
    notes.push(note);
    cache = { type: 'none' };
  }
  if (cache.type !== 'none' && !req.exportAllowed) {
    info.push(req.exportNote ?? 'cache: read, not written.');
  } else if (cache.type !== 'none' && !req.builderCanExport) {
    warnings.push(
      `cache: the builder "${req.builderName}" (docker driver, classic image store) cannot export build cache; ` +
        'the cache is read but not written, and the build goes on. A docker-container builder or the containerd image store can write it.'
    );
  }
  return { cache, cacheExport: req.builderCanExport && req.exportAllowed, cacheMode: req.mode, info, warnings, notes };
}

/** Whether the step's environment holds the Actions runtime the gha cache needs. */
export function hasActionsRuntime(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && (env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL));
}
