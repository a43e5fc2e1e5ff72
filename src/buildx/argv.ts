// Pure: turn one build plan into the exact `docker buildx build` argv. No I/O.
import type { CacheSpec } from '../model.js';

export interface BuildPlan {
  /** Absolute build context directory. */
  readonly context: string;
  /** Absolute Dockerfile path. */
  readonly file: string;
  /** Stage to build; undefined builds the last stage (no --target). */
  readonly stage: string | undefined;
  readonly platforms: readonly string[];
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
  readonly network: string | undefined;
  readonly builder: string | undefined;
  readonly cache: CacheSpec;
  /** Cache scope for this image and target (platforms share one build, hence one scope). */
  readonly cacheScope: string;
  /** Whether the builder can export cache at all; when false only cache-from is used. */
  readonly cacheExport: boolean;
  /** OCI layout directory the image is written to (tar=false). */
  readonly outputDir: string;
  readonly metadataFile: string;
}

/** One field of buildx's CSV option syntax, quoted when it holds a comma or a quote. */
function field(key: string, value: string): string {
  const kv = `${key}=${value}`;
  return /[",]/.test(kv) ? `"${kv.replace(/"/g, '""')}"` : kv;
}

/** Options of one cache backend as buildx wants them: `type=…,key=value,…`. */
function cacheArgs(cache: CacheSpec, scope: string, exportCache: boolean): string[] {
  let from: string | undefined;
  let to: string | undefined;
  switch (cache.type) {
    case 'none':
      return [];
    case 'gha':
      from = `type=gha,scope=${scope}`;
      to = `type=gha,scope=${scope},mode=max,ignore-error=true`;
      break;
    case 'local': {
      const dir = `${cache.dir.replace(/\/+$/, '')}/${scope}`;
      from = `type=local,${field('src', dir)}`;
      to = `type=local,${field('dest', dir)},mode=max,ignore-error=true`;
      break;
    }
    case 'registry': {
      const ref = registryCacheRef(cache.ref, scope);
      from = `type=registry,${field('ref', ref)}`;
      to = `type=registry,${field('ref', ref)},mode=max,ignore-error=true`;
      break;
    }
  }
  const args = ['--cache-from', from];
  if (exportCache) args.push('--cache-to', to);
  return args;
}

/**
 * A registry cache keeps one tag per scope so targets never overwrite each other:
 * `ghcr.io/o/cache` → `ghcr.io/o/cache:<scope>`, `ghcr.io/o/cache:buildcache` → `…:buildcache-<scope>`.
 */
export function registryCacheRef(ref: string, scope: string): string {
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  const tagSafe = scope.replace(/[^A-Za-z0-9_.-]/g, '-');
  return colon === -1 ? `${ref}:${tagSafe}` : `${ref}-${tagSafe}`;
}

/**
 * Cache scope per image, target and platform set, so targets never evict each other
 * (moby/buildkit#2299). Only characters every cache backend accepts.
 */
export function cacheScope(commentKey: string, target: string, platforms: readonly string[]): string {
  const plat = platforms.length ? platforms.join('+') : 'default';
  return `${commentKey}-${target}-${plat}`.replace(/[^A-Za-z0-9_.+-]/g, '-');
}

export function buildxArgv(plan: BuildPlan): string[] {
  const argv = ['buildx', 'build'];
  if (plan.builder) argv.push('--builder', plan.builder);
  argv.push('--file', plan.file);
  if (plan.stage) argv.push('--target', plan.stage);
  if (plan.platforms.length) argv.push('--platform', plan.platforms.join(','));
  if (plan.network) argv.push('--network', plan.network);
  for (const [name, value] of plan.buildArgs) argv.push('--build-arg', `${name}=${value}`);
  argv.push(...cacheArgs(plan.cache, plan.cacheScope, plan.cacheExport));
  argv.push('--output', `type=oci,${field('dest', plan.outputDir)},tar=false`);
  argv.push('--metadata-file', plan.metadataFile);
  argv.push('--progress', 'plain');
  argv.push('--', plan.context);
  return argv;
}
