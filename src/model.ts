// Domain types shared by every stage of the pipeline:
//   inputs ─► plan ─► build ─► measure ─► compare ─► policy ─► render ─► publish
// Pure data only: no behaviour, no I/O.

/** Which size the thresholds judge. Both are always measured and reported. */
export type Metric = 'compressed' | 'uncompressed';

/** A size threshold: an absolute number of bytes, or a percentage of the base size. */
export type Threshold =
  | { readonly kind: 'bytes'; readonly bytes: number; readonly text: string }
  | { readonly kind: 'percent'; readonly percent: number; readonly text: string };

/**
 * A value given once for every target, or per target (`release=5%,debug=50MB`).
 * `fallback` applies to targets without an entry of their own.
 */
export interface PerTarget<T> {
  readonly fallback?: T;
  readonly byTarget: ReadonlyMap<string, T>;
}

export interface Budgets {
  /** Largest allowed wasted space (files overwritten or deleted by later layers): bytes or % of the image. */
  readonly maxWasted?: PerTarget<Threshold>;
  /** Largest allowed growth against the base, bytes or percent. */
  readonly maxIncrease: PerTarget<Threshold>;
  /** Absolute budget on the judged metric (bytes only). */
  readonly maxSize: PerTarget<Threshold>;
  /** Largest allowed layer count. */
  readonly maxLayers: PerTarget<number>;
}

export type CacheSpec =
  | { readonly type: 'gha' }
  | { readonly type: 'none' }
  | { readonly type: 'local'; readonly dir: string }
  | { readonly type: 'registry'; readonly ref: string };

export type BaselineMode = 'auto' | 'build' | 'report' | 'none';
export type CommentMode = 'always' | 'on-change' | 'on-regression' | 'never';
export type DetailKind = 'layers' | 'files' | 'trend';
/**
 * What a run does: `measure` builds and measures; `merge` publishes reports of other jobs as one
 * (matrix jobs); `comment` posts the comment of a report uploaded by a pull request's run, from a
 * trusted `workflow_run` workflow (pull requests from forks).
 */
export type ActionMode = 'measure' | 'merge' | 'comment';

/**
 * A secret given to every build, as docker/build-push-action takes it: an inline value (`secrets`),
 * a file (`secret-files`) or an environment variable (`secret-envs`). Read in the Dockerfile with
 * `RUN --mount=type=secret,id=<id>`; never on a command line, never in a message.
 */
export type BuildSecret =
  | { readonly id: string; readonly kind: 'value'; readonly value: string }
  | { readonly id: string; readonly kind: 'file'; readonly path: string }
  | { readonly id: string; readonly kind: 'env'; readonly variable: string };

/** An SSH agent socket or key for `RUN --mount=type=ssh` (`ssh`): `default`, `id`, or `id=path`. */
export interface BuildSsh {
  readonly id: string;
  readonly path?: string;
}

/**
 * A named context (`build-contexts`, `name=value`): a directory (confined like `context`, found in
 * the base commit for the base build), an image (`docker-image://<ref>`) or a stage (`target:<stage>`).
 */
export type NamedContext =
  | { readonly name: string; readonly kind: 'directory'; readonly path: string }
  | { readonly name: string; readonly kind: 'image'; readonly ref: string }
  | { readonly name: string; readonly kind: 'target'; readonly stage: string };

/** The build settings beyond a context, with docker/build-push-action's input names; the same for head and base. */
export interface BuildSettings {
  readonly secrets: readonly BuildSecret[];
  readonly ssh: readonly BuildSsh[];
  readonly contexts: readonly NamedContext[];
  /** `key=value` image labels, in order. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly noCache: boolean;
  readonly pull: boolean;
  /** As docker writes it: `2g`, `512m`. */
  readonly shmSize: string | undefined;
  /** `type=soft[:hard]`, e.g. `nofile=1024:2048`. */
  readonly ulimits: readonly string[];
  /** `host:ip`. */
  readonly addHosts: readonly string[];
  /** Entitlements: `network.host`, `security.insecure`. */
  readonly allow: readonly string[];
  /** As buildx `--provenance` and `--sbom` take them (`true`, `false`, `mode=max`); attestations are never measured. */
  readonly provenance: string | undefined;
  readonly sbom: string | undefined;
}

/** No build settings beyond the context: what a build gets when none of their inputs is set. */
export const NO_BUILD_SETTINGS: BuildSettings = {
  secrets: [],
  ssh: [],
  contexts: [],
  labels: [],
  noCache: false,
  pull: false,
  shmSize: undefined,
  ulimits: [],
  addHosts: [],
  allow: [],
  provenance: undefined,
  sbom: undefined
};

/** Every input of action.yml, parsed once and validated. */
export interface Inputs {
  readonly context: string;
  /** Dockerfile path as given, or undefined for `<context>/Dockerfile`. */
  readonly file: string | undefined;
  /** Targets as given; empty means "the Dockerfile's last stage". */
  readonly targets: readonly string[];
  readonly config: string | undefined;
  /** `NAME=value` pairs, in order; values are secret-ish and never printed. */
  readonly buildArgs: ReadonlyArray<readonly [string, string]>;
  readonly platforms: readonly string[];
  readonly network: string | undefined;
  readonly builder: string | undefined;
  readonly cache: CacheSpec;
  readonly baseline: BaselineMode;
  readonly baseRef: string | undefined;
  /**
   * The pushed image each target's head is compared with (`base-image`), a registry reference per
   * target; none given: the baseline is a stored report or a base build as `baseline` says.
   */
  readonly baseImage?: PerTarget<string>;
  /**
   * Images built by an earlier step, measured instead of building the head (`images`): a local
   * engine image (name or id) or a registry reference, per target.
   */
  readonly images?: PerTarget<string>;
  readonly metric: Metric;
  readonly budgets: Budgets;
  readonly failOnRegression: boolean;
  readonly comment: CommentMode;
  readonly commentKey: string;
  readonly details: readonly DetailKind[];
  /** Say why each target grew and how to fix it (`advice`): causes of the new and grown files. */
  readonly advice: boolean;
  readonly githubToken: string;
  /** On `pull_request_target`, build a fork's pull request anyway (an explicit opt-in). */
  readonly allowForkBuilds: boolean;
  readonly mode: ActionMode;
  /** Report files, globs or directories as given (merge and comment modes); empty in measure mode. */
  readonly reports: readonly string[];
  /** This job's image label, carried by every row of its report (matrix jobs); undefined when not set. */
  readonly name: string | undefined;
  /** Secrets, SSH, named contexts and the other build settings (absent: none, NO_BUILD_SETTINGS). */
  readonly build?: BuildSettings;
}

/** One filesystem layer of a measured image. */
export interface LayerStats {
  /** Digest of the compressed blob, as in the manifest. */
  readonly digest: string;
  readonly mediaType: string;
  /** Size of the blob as a registry stores it (the manifest descriptor's size). */
  readonly compressedBytes: number;
  /** Length of the uncompressed tar stream. */
  readonly uncompressedBytes: number;
  /** The Dockerfile instruction that made it, build-arg and other values redacted. */
  readonly instruction: string;
}

/**
 * How a number was obtained; numbers measured by different methods are not compared.
 * - `oci-layout`: the builder exported the image (`--output type=oci`): every number is exact.
 * - `docker-save`: the classic image store can only load the image; `docker save` gives the
 *   uncompressed layers (exact), the compressed size is an estimate (each layer gzipped here).
 */
export type MeasureMethod = 'oci-layout' | 'docker-save';

/** One regular file and its size in bytes. Paths are relative to `/`, without a leading slash. */
export interface FileEntry {
  readonly path: string;
  readonly bytes: number;
}

/** File-level view of an image (`details: files`), read in the same pass as the layer sizes. */
export interface FileStats {
  /** The final filesystem's regular files, path → bytes (whiteouts applied). A report keeps a bounded list (`listing`). */
  readonly final: ReadonlyMap<string, number>;
  /** The layer (0-based) that wrote each file of `final`; absent when read back from a report (reports do not store it). */
  readonly layerOf?: ReadonlyMap<string, number>;
  /** Bytes of files that a later layer overwrites or deletes (dive's "wasted space"). */
  readonly wastedBytes: number;
  /** The largest of those, most wasteful first (at most 20). */
  readonly wasted: readonly FileEntry[];
  /** Absent when `final` lists every file (an image read here, or a report's complete list); set when a report's list was cut or missing. */
  readonly listing?: FileListing;
}

/**
 * How much of the final filesystem a `final` read back from a report lists (reports keep a bounded
 * listing, docs/report-schema.md):
 * - `cut`: exactly the files of at least `below` bytes; `files` and `bytes` count every file.
 * - `none`: no file list at all (a report written without one): `final` is empty.
 */
export type FileListing =
  | { readonly kind: 'cut'; readonly below: number; readonly files: number; readonly bytes: number }
  | { readonly kind: 'none' };

/** One final image of one target and platform. */
export interface ImageStats {
  readonly target: string;
  readonly platform: string;
  /** Digest of the platform image manifest. */
  readonly digest: string;
  readonly configDigest: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly layerCount: number;
  readonly layers: readonly LayerStats[];
  readonly method: MeasureMethod;
  /** True when compressedBytes (and each layer's) is an estimate, not a registry's exact figure. */
  readonly compressedEstimated?: boolean;
  /** Present when file details were asked for (`details: files` or `max-wasted`). */
  readonly files?: FileStats;
}

/** What happened to one target and platform on one side (head or base). */
export type SideResult =
  | { readonly state: 'measured'; readonly image: ImageStats }
  /** The build (or measurement) failed; `error` is the last meaningful line(s), already free of secrets. */
  | { readonly state: 'failed'; readonly error: string }
  /** The target does not exist on this side (Dockerfile has no such stage there). */
  | { readonly state: 'absent' }
  /** No baseline was asked for, or it could not be had (e.g. base commit unreachable). */
  | { readonly state: 'unavailable'; readonly reason: string };

/** Row status after comparing head with base. */
export type RowStatus =
  | 'changed' // both measured, some number differs
  | 'unchanged' // both measured, identical numbers
  | 'new' // head measured, target absent on base
  | 'removed' // base measured, target absent on head
  | 'no-baseline' // head measured, baseline unavailable or failed
  | 'head-failed'; // head build failed

export interface Delta {
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly layerCount: number;
  /** Growth in percent of the base; null when the base is 0 bytes. */
  readonly compressedPercent: number | null;
  readonly uncompressedPercent: number | null;
}

export interface Comparison {
  /**
   * The image the target belongs to, when one comment covers several (a config file's `images`,
   * or reports merged from matrix jobs); absent for a single image.
   */
  readonly image?: string;
  readonly target: string;
  readonly platform: string;
  readonly status: RowStatus;
  readonly head: SideResult;
  readonly base: SideResult;
  /** Present when both sides were measured. */
  readonly delta?: Delta;
}

export type Rule = 'max-increase' | 'max-size' | 'max-layers' | 'max-wasted' | 'build';

export interface Verdict {
  readonly rule: Rule;
  readonly ok: boolean;
  /** Human text, e.g. "+2.1 MB (+12.0%) exceeds max-increase 10%". Free of secrets. */
  readonly reason: string;
}

export interface JudgedRow extends Comparison {
  readonly verdicts: readonly Verdict[];
  /** True when any verdict failed. */
  readonly regressed: boolean;
  /**
   * The row's image at earlier commits of the base branch, oldest first: the sizes their stored
   * reports give (`details: trend`, baseline/trend.ts). Absent when none was looked up or found.
   */
  readonly history?: readonly SizeAt[];
}

/** A row's image as the report stored for one commit measured it. */
export interface SizeAt {
  readonly sha: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** How it was measured: the chart compares only sizes measured the same way as the head. */
  readonly method: MeasureMethod;
}

/** The outcome of the whole run, input of render and publish. */
export interface Outcome {
  readonly metric: Metric;
  readonly rows: readonly JudgedRow[];
  readonly regressed: boolean;
  /** True when any row changed, is new or removed. */
  readonly changed: boolean;
  readonly head: { readonly sha: string; readonly ref?: string };
  /** The base commit compared against, if any. */
  readonly base?: { readonly sha: string; readonly ref?: string };
  /** Notes shown under the table (baseline unavailable, cache warnings...), already escaped-free plain text. */
  readonly notes: readonly string[];
}

/** The platform of a result that applies to every platform of its target (a failed build, an absent target). */
export const ANY_PLATFORM = '*';

/** Results of one target on one side. `platform` is ANY_PLATFORM when it applies to every platform (a failed build). */
export interface TargetResults {
  readonly target: string;
  readonly results: ReadonlyArray<{ readonly platform: string; readonly result: SideResult }>;
}
