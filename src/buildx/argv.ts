// Pure: turn one build plan into the exact `docker buildx build` argv. No I/O.
// Values come from inputs, the config file and the pull request's Dockerfile (stage names), so
// each one is checked before docker sees it: no value may read as an option, the context goes
// after `--`, and nothing but the plan's own build arguments and settings reaches the build (no
// --secret, --ssh or token of ours, only the user's; security requirements 7 and 9). A secret's
// value never goes on the command line: buildx reads it from a file or from the docker client's
// environment (`env=`).
import { CONTEXT_NAME, ENTITLEMENTS, ENV_NAME, ID, LABEL_KEY, SHM_SIZE, ULIMIT } from '../inputs/build.js';
import { isValidTargetName } from '../inputs/grammar.js';
import type { BuildSettings, CacheSpec } from '../model.js';

/**
 * A secret as buildx gets it: a file (`src=`), or a variable of the docker client's environment
 * (`env=`) that runBuild sets to `value`; the value itself is never an argument.
 */
export type SecretMount =
  | { readonly id: string; readonly src: string }
  | { readonly id: string; readonly env: string; readonly value: string };

/** The build settings of one side, resolved: secrets as mounts, named contexts as buildx values. */
export interface PlanSettings extends Omit<BuildSettings, 'secrets' | 'contexts'> {
  readonly secrets: readonly SecretMount[];
  /** `[name, value]`: value an absolute directory, `docker-image://REF` or `target:STAGE`. */
  readonly contexts: ReadonlyArray<readonly [string, string]>;
}

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
  /**
   * Cache scopes: read from each of `from` (in order), write to `to`. One scope per side, target and
   * platform set, so neither targets nor head and base overwrite each other's cache.
   */
  readonly cacheScopes: { readonly from: readonly string[]; readonly to: string };
  /** Whether the builder can export cache at all; when false only cache-from is used. */
  readonly cacheExport: boolean;
  /**
   * What the exported cache holds: `max` (every stage's layers) from push, schedule and dispatch runs
   * of the default branch, whose cache every pull request reads; `min` (the final image's) elsewhere, so pull requests do not fill the
   * repository's 10 GB cache with intermediate stages nobody else can read. Default `max`.
   */
  readonly cacheMode?: 'max' | 'min';
  /** OCI layout directory the image is written to (tar=false), unless `load` or `stream` is set. */
  readonly outputDir: string;
  /**
   * Write the image as an OCI layout tar to this path instead (`--output type=oci,dest=<stream>`):
   * `-`, buildx's stdout, which the caller reads while buildx writes, so the image is measured as it
   * is exported and never lands on disk. `outputDir` is then not written.
   */
  readonly stream?: string;
  /**
   * Load the image into the engine's image store under `tag` instead (`--output type=docker,name=<tag>`),
   * for builders that cannot export an OCI layout (the `docker` driver on the classic image store).
   * `outputDir` is then not written.
   */
  readonly load?: { readonly tag: string };
  readonly metadataFile: string;
  /** Secrets, SSH, named contexts, labels and the other build-push-action settings; none when absent. */
  readonly build?: PlanSettings;
}

/** One field of buildx's CSV option syntax, quoted when it holds a comma or a quote. */
function field(key: string, value: string): string {
  const kv = `${key}=${value}`;
  return /[",]/.test(kv) ? `"${kv.replace(/"/g, '""')}"` : kv;
}

/** `--cache-from` for every scope read, `--cache-to` for the scope written (when the builder can). */
function cacheArgs(cache: CacheSpec, scopes: BuildPlan['cacheScopes'], exportCache: boolean, mode: 'max' | 'min'): string[] {
  const spec = (scope: string, to: boolean): string | undefined => {
    const write = to ? `,mode=${mode},ignore-error=true` : '';
    switch (cache.type) {
      case 'none':
        return undefined;
      case 'gha':
        return `type=gha,scope=${scope}${write}`;
      case 'local': {
        const dir = `${cache.dir.replace(/\/+$/, '')}/${scope}`;
        return `type=local,${field(to ? 'dest' : 'src', dir)}${write}`;
      }
      case 'registry':
        return `type=registry,${field('ref', registryCacheRef(cache.ref, scope))}${write}`;
    }
  };
  const args: string[] = [];
  for (const scope of scopes.from) {
    const from = spec(scope, false);
    if (from) args.push('--cache-from', from);
  }
  const to = exportCache ? spec(scopes.to, true) : undefined;
  if (to) args.push('--cache-to', to);
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
 * Cache scope per image, side, target and platform set, so targets never evict each other
 * (moby/buildkit#2299) and the base's build never overwrites the head's index. Only characters every
 * cache backend accepts.
 */
export function cacheScope(commentKey: string, side: 'head' | 'base', target: string, platforms: readonly string[]): string {
  const plat = platforms.length ? platforms.join('+') : 'default';
  return `${commentKey}-${side}-${target}-${plat}`.replace(/[^A-Za-z0-9_.+-]/g, '-');
}

/**
 * The head reads its own cache, then the base's; the base reads its own, then the head's (the head
 * scope is what the default branch's own runs write: the base commit was once their head).
 */
export function cacheScopesFor(
  commentKey: string,
  side: 'head' | 'base',
  target: string,
  platforms: readonly string[]
): BuildPlan['cacheScopes'] {
  const own = cacheScope(commentKey, side, target, platforms);
  const base = cacheScope(commentKey, 'base', target, platforms);
  const head = cacheScope(commentKey, 'head', target, platforms);
  return { from: side === 'head' ? [own, base] : [own, head], to: own };
}

/** Host part of every temporary tag: never a registry anyone can push to or pull from. */
export const LOAD_REGISTRY = 'image-budget.local';

/**
 * The temporary tag an image is loaded under: `image-budget.local/<key>-<side>-<target>:<random>`.
 * The repository is folded to what a reference accepts (lowercase, `[a-z0-9]` runs joined by `-`),
 * the random part keeps concurrent jobs on one engine apart.
 */
export function loadTag(commentKey: string, side: 'head' | 'base', target: string, random: string): string {
  const repo =
    `${commentKey}-${side}-${target}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100)
      .replace(/-+$/, '') || 'image';
  const tag = random.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 64) || 'latest';
  return `${LOAD_REGISTRY}/${repo}:${/^[A-Za-z0-9_]/.test(tag) ? tag : `t${tag}`}`;
}

/** A plan value that could be read as an option, or that buildx would misread; found before docker runs. */
export class UnsafeBuildPlanError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
    why: string
  ) {
    super(`Refusing to build: ${field} ${JSON.stringify(value.slice(0, 200))} ${why}`);
    this.name = 'UnsafeBuildPlanError';
  }
}

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A platform is one `os/arch[/variant]`: a comma would add platforms of its own.
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_]+)?$/;
const NETWORKS: readonly string[] = ['default', 'none', 'host'];

/** An option's value: never empty, never starting with `-`, never holding a NUL or line break. */
function checkValue(field: string, value: string): void {
  if (value === '') throw new UnsafeBuildPlanError(field, value, 'is empty');
  if (value.startsWith('-')) throw new UnsafeBuildPlanError(field, value, 'starts with "-" and could be read as an option');
  if (/[\0\r\n]/.test(value)) throw new UnsafeBuildPlanError(field, value, 'contains a NUL or line break');
}

/** Throws UnsafeBuildPlanError for the first value of `plan` that buildx could misread. */
export function checkBuildPlan(plan: BuildPlan): void {
  if (plan.stage !== undefined && !isValidTargetName(plan.stage)) {
    throw new UnsafeBuildPlanError('stage', plan.stage, 'is not a stage name (a letter, then letters, digits, "_", "." or "-")');
  }
  if (plan.builder !== undefined) checkValue('builder', plan.builder);
  checkValue('file', plan.file);
  // The context goes after `--`: any name is an operand there; only NUL and line breaks are refused.
  if (plan.context === '' || /[\0\r\n]/.test(plan.context)) {
    throw new UnsafeBuildPlanError('context', plan.context, 'is empty or contains a NUL or line break');
  }
  for (const p of plan.platforms) {
    if (!PLATFORM.test(p)) throw new UnsafeBuildPlanError('platform', p, 'is not one os/arch[/variant]');
  }
  if (plan.network !== undefined && !NETWORKS.includes(plan.network)) {
    throw new UnsafeBuildPlanError('network', plan.network, `is not one of ${NETWORKS.join(', ')}`);
  }
  for (const [name, value] of plan.buildArgs) {
    if (!BUILD_ARG_NAME.test(name)) throw new UnsafeBuildPlanError('build argument', name, 'is not a NAME of letters, digits and "_"');
    // The value is never shown: it may be a secret.
    if (value.includes('\0')) throw new UnsafeBuildPlanError('build argument', name, 'has a value with a NUL character');
  }
  if (plan.cache.type === 'local') checkValue('cache directory', plan.cache.dir);
  if (plan.cache.type === 'registry') checkValue('cache reference', plan.cache.ref);
  if (plan.load) checkValue('image tag', plan.load.tag);
  else if (plan.stream !== undefined && plan.stream !== '-') checkValue('output stream', plan.stream);
  else checkValue('output directory', plan.outputDir);
  checkValue('metadata file', plan.metadataFile);
  if (plan.build) checkSettings(plan.build);
}

/** The settings' values, each as its option reads it (the secrets' values are never shown). */
function checkSettings(s: PlanSettings): void {
  for (const [name, value] of s.contexts) {
    if (!CONTEXT_NAME.test(name)) throw new UnsafeBuildPlanError('build context name', name, 'is not a stage or image name');
    checkValue('build context', value);
  }
  for (const [key, value] of s.labels) {
    if (!LABEL_KEY.test(key)) throw new UnsafeBuildPlanError('label', key, 'is not a label key');
    if (/[\0\r\n]/.test(value)) throw new UnsafeBuildPlanError('label', key, 'has a value with a NUL or line break');
  }
  for (const m of s.secrets) {
    if (!ID.test(m.id)) throw new UnsafeBuildPlanError('secret id', m.id, 'is not an id of letters, digits, "_", "." or "-"');
    if ('src' in m) checkValue('secret file', m.src);
    else if (!ENV_NAME.test(m.env)) throw new UnsafeBuildPlanError('secret variable', m.env, 'is not a variable name');
  }
  for (const x of s.ssh) {
    if (!ID.test(x.id)) throw new UnsafeBuildPlanError('ssh id', x.id, 'is not an id of letters, digits, "_", "." or "-"');
    if (x.path !== undefined) checkValue('ssh path', x.path);
    if (x.path?.includes(',')) throw new UnsafeBuildPlanError('ssh path', x.path, 'contains a comma, which buildx reads as a second path');
  }
  if (s.shmSize !== undefined && !SHM_SIZE.test(s.shmSize)) throw new UnsafeBuildPlanError('shm-size', s.shmSize, 'is not a size');
  for (const u of s.ulimits) if (!ULIMIT.test(u)) throw new UnsafeBuildPlanError('ulimit', u, 'is not type=soft[:hard]');
  for (const h of s.addHosts) if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*:[0-9A-Za-z.:%-]+$/.test(h)) throw new UnsafeBuildPlanError('add-host', h, 'is not host:ip');
  const entitlements: readonly string[] = ENTITLEMENTS;
  for (const a of s.allow) if (!entitlements.includes(a)) throw new UnsafeBuildPlanError('allow', a, `is not one of ${ENTITLEMENTS.join(', ')}`);
  for (const [what, v] of [['provenance', s.provenance], ['sbom', s.sbom]] as const) {
    if (v !== undefined && !/^[A-Za-z0-9][^\s"]*$/.test(v)) throw new UnsafeBuildPlanError(what, v, 'is not true, false or key=value attributes');
  }
}

/** The options of the build settings, in buildx's terms. */
function settingsArgs(s: PlanSettings): string[] {
  const args: string[] = [];
  for (const [name, value] of s.contexts) args.push('--build-context', `${name}=${value}`);
  for (const [key, value] of s.labels) args.push('--label', `${key}=${value}`);
  for (const m of s.secrets) args.push('--secret', 'src' in m ? `id=${m.id},${field('src', m.src)}` : `id=${m.id},env=${m.env}`);
  for (const x of s.ssh) args.push('--ssh', x.path === undefined ? x.id : `${x.id}=${x.path}`);
  if (s.noCache) args.push('--no-cache');
  if (s.pull) args.push('--pull');
  if (s.shmSize !== undefined) args.push('--shm-size', s.shmSize);
  for (const u of s.ulimits) args.push('--ulimit', u);
  for (const h of s.addHosts) args.push('--add-host', h);
  if (s.allow.length) args.push('--allow', s.allow.join(','));
  if (s.provenance !== undefined) args.push('--provenance', s.provenance);
  if (s.sbom !== undefined) args.push('--sbom', s.sbom);
  return args;
}

/** Where the image goes: loaded under a tag, streamed as an OCI layout tar, or written as a layout directory. */
function outputSpec(plan: BuildPlan): string {
  if (plan.load) return `type=docker,${field('name', plan.load.tag)}`;
  if (plan.stream !== undefined) return `type=oci,${field('dest', plan.stream)}`;
  return `type=oci,${field('dest', plan.outputDir)},tar=false`;
}

/**
 * The argv of `docker buildx build` for `plan`: every value right after its option (so it is that
 * option's value), the context alone after `--`. Throws UnsafeBuildPlanError first when a value
 * could be misread (checkBuildPlan).
 */
export function buildxArgv(plan: BuildPlan): string[] {
  checkBuildPlan(plan);
  const argv = ['buildx', 'build'];
  if (plan.builder) argv.push('--builder', plan.builder);
  argv.push('--file', plan.file);
  if (plan.stage) argv.push('--target', plan.stage);
  if (plan.platforms.length) argv.push('--platform', plan.platforms.join(','));
  if (plan.network) argv.push('--network', plan.network);
  for (const [name, value] of plan.buildArgs) argv.push('--build-arg', `${name}=${value}`);
  if (plan.build) argv.push(...settingsArgs(plan.build));
  argv.push(...cacheArgs(plan.cache, plan.cacheScopes, plan.cacheExport, plan.cacheMode ?? 'max'));
  argv.push('--output', outputSpec(plan));
  argv.push('--metadata-file', plan.metadataFile);
  argv.push('--progress', 'plain');
  argv.push('--', plan.context);
  return argv;
}
