// Build and measure every target of one side (head or base): buildx into an OCI layout, then the
// streaming measurement. A failed build is a result, not an exception.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { cacheScopesFor, type BuildPlan } from '../buildx/argv.js';
import { runBuild } from '../buildx/build.js';
import { isCacheSetupFailure, maskSecrets } from '../buildx/failure.js';
import type { ResolvedTarget } from '../dockerfile/stages.js';
import type { Exec } from '../exec.js';
import { measureOciLayout } from '../image/measure.js';
import type { Log } from '../log.js';
import type { CacheSpec, SideResult } from '../model.js';
import { ANY_PLATFORM, type TargetResults } from './join.js';

export interface SideRequest {
  readonly side: 'head' | 'base';
  readonly context: string;
  readonly dockerfile: string;
  readonly targets: readonly ResolvedTarget[];
  readonly platforms: readonly string[];
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
  readonly network: string | undefined;
  readonly builder: string | undefined;
  readonly cache: CacheSpec;
  readonly cacheExport: boolean;
  readonly commentKey: string;
  /** Values that must never appear in messages (build-arg values). */
  readonly secrets: readonly string[];
}

export interface SideDeps {
  readonly exec: Exec;
  readonly log: Log;
  /** A private temp dir for layouts; removed by the caller. */
  readonly tmpDir: string;
  /** Environment of the buildx client (carries the Actions cache runtime, never passed into builds). */
  readonly env: NodeJS.ProcessEnv;
}

export async function buildSide(deps: SideDeps, req: SideRequest): Promise<TargetResults[]> {
  const out: TargetResults[] = [];
  for (const [i, target] of req.targets.entries()) {
    const dir = path.join(deps.tmpDir, `${req.side}-${i}`);
    await mkdir(dir, { recursive: true });
    const plan: BuildPlan = {
      context: req.context,
      file: req.dockerfile,
      stage: target.stage,
      platforms: req.platforms,
      buildArgs: req.buildArgs,
      network: req.network,
      builder: req.builder,
      cache: req.cache,
      cacheScopes: cacheScopesFor(req.commentKey, req.side, target.name, req.platforms),
      cacheExport: req.cacheExport,
      outputDir: path.join(dir, 'layout'),
      metadataFile: path.join(dir, 'metadata.json')
    };
    const results = await deps.log.group(`Build ${req.side} target ${target.name}`, async () => {
      const options = {
        secrets: req.secrets,
        env: deps.env,
        onLog: (chunk: string) => process.stdout.write(maskSecrets(chunk, req.secrets))
      };
      let built = await runBuild(deps.exec, plan, options);
      if (!built.ok && plan.cache.type !== 'none' && isCacheSetupFailure(built.error)) {
        // A cache backend that cannot even be set up must not cost the build (RELIABILITY rows 11, 12).
        deps.log.warning(`cache: ${built.error}; building ${target.name} again without cache.`);
        built = await runBuild(deps.exec, { ...plan, cache: { type: 'none' } }, options);
      }
      for (const problem of built.cacheProblems) deps.log.warning(`cache (${req.side} ${target.name}): ${problem}`);
      if (!built.ok) {
        deps.log.warning(`${req.side} build of ${target.name} failed: ${built.error}`);
        return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: built.detail } as SideResult }];
      }
      try {
        const images = await measureOciLayout(built.layoutDir, { target: target.name, secrets: req.secrets });
        return images.map((image) => ({ platform: image.platform, result: { state: 'measured', image } as SideResult }));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return [{ platform: ANY_PLATFORM, result: { state: 'failed', error: `measurement failed: ${message}` } as SideResult }];
      } finally {
        // Layer blobs can be gigabytes: drop them as soon as they are measured.
        await rm(plan.outputDir, { recursive: true, force: true });
      }
    });
    out.push({ target: target.name, results });
  }
  return out;
}
