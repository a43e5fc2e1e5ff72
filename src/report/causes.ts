// Why an image grew: the files that are new or grew since the base, matched against one table of
// rules (pattern, cause, fix), rolled up by directory, each with the layer that added it. Also the
// bytes wasted by a later layer and a changed base image of the final stage. Pure: images in,
// causes out; the comment and the terminal render them.
//
// Each path (relative to `/`, as FileStats lists it) goes to the first rule whose pattern matches.
// A rule's pattern names the directory its files roll up to: its first capture group when it has
// one, else the match when it ends with `/`, else the file's own directory.
import type { FileStats, ImageStats, JudgedRow, LayerStats } from '../model.js';

export type CauseKind = 'toolchain' | 'package-cache' | 'build-cache' | 'sources' | 'checkout' | 'wasted' | 'base-image';

export interface CauseRule {
  readonly id: string;
  readonly kind: CauseKind;
  readonly pattern: RegExp;
  /** What it is, e.g. "Go toolchain". */
  readonly cause: string;
  /** How to keep it out of the image (markdown code spans allowed). */
  readonly fix: string;
  /**
   * Only files whose layer's instruction (from the image history) matches: e.g. a `COPY . .` of the
   * whole build context. Without the file's layer (a list read back from a report) the rule is skipped.
   */
  readonly layer?: RegExp;
}

const HOME = String.raw`(?:root|home/[^/]+)`;
const MULTI_STAGE = 'build in a separate stage and `COPY --from` only the artifact into `scratch`, distroless or a slim runtime image';
const CACHE_MOUNT = 'or use `RUN --mount=type=cache`';
const DOCKERIGNORE = 'list it in `.dockerignore`';

/** The rules, first match wins: more specific patterns come first. */
export const CAUSE_RULES: readonly CauseRule[] = [
  // Toolchains and compilers in a final image.
  { id: 'go-toolchain', kind: 'toolchain', pattern: /^(usr\/local\/go\/|usr\/lib\/go(?:-[^/]+)?\/)/, cause: 'Go toolchain', fix: `${MULTI_STAGE}.` },
  { id: 'gcc', kind: 'toolchain', pattern: /^(usr\/(?:lib|libexec)\/gcc\/)/, cause: 'C compiler (gcc, cc1)', fix: `${MULTI_STAGE}; install \`build-essential\` only in the build stage.` },
  { id: 'rust-toolchain', kind: 'toolchain', pattern: new RegExp(String.raw`^((?:usr/local/|${HOME}/\.)rustup/)`), cause: 'Rust toolchain (rustc, cargo)', fix: `${MULTI_STAGE}.` },
  { id: 'jdk', kind: 'toolchain', pattern: /^((?:usr\/lib\/jvm|opt\/java)\/[^/]+\/)(?:bin\/javac$|jmods\/|lib\/src\.zip$|lib\/ct\.sym$|include\/)/, cause: 'JDK (javac, jmods, sources)', fix: 'run on a JRE image, or build in a separate stage and `COPY --from` only the jar (or a `jlink` runtime).' },
  { id: 'python-dev', kind: 'toolchain', pattern: /^(usr\/(?:local\/)?include\/python[0-9.]+[a-z]*\/|usr\/(?:local\/)?lib\/python[0-9.]+\/config-[^/]+\/)/, cause: 'Python headers and build files', fix: `${MULTI_STAGE} (build wheels there, \`pip install\` them here).` },
  // Package-manager lists and caches.
  { id: 'apt-lists', kind: 'package-cache', pattern: /^(var\/lib\/apt\/lists\/)/, cause: 'apt package lists', fix: `\`rm -rf /var/lib/apt/lists/*\` in the same \`RUN\` as \`apt-get install\`, ${CACHE_MOUNT}.` },
  { id: 'apt-archives', kind: 'package-cache', pattern: /^(var\/cache\/apt\/)/, cause: 'apt package archives (.deb)', fix: `\`apt-get clean\` in the same \`RUN\` as \`apt-get install\`, ${CACHE_MOUNT}.` },
  { id: 'apk-cache', kind: 'package-cache', pattern: /^(var\/cache\/apk\/)/, cause: 'apk package cache', fix: `\`apk add --no-cache\`, ${CACHE_MOUNT}.` },
  { id: 'dnf-cache', kind: 'package-cache', pattern: /^(var\/cache\/(?:dnf|yum)\/)/, cause: 'dnf/yum package cache', fix: `\`dnf clean all\` (\`yum clean all\`) in the same \`RUN\`, ${CACHE_MOUNT}.` },
  { id: 'pip-cache', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/\.cache/pip/)`), cause: 'pip cache', fix: `\`pip install --no-cache-dir\`, ${CACHE_MOUNT}.` },
  { id: 'npm-cache', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/\.npm/)`), cause: 'npm cache', fix: `\`npm cache clean --force\` in the same \`RUN\`, ${CACHE_MOUNT}.` },
  { id: 'yarn-cache', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/\.cache/yarn/|usr/local/share/\.cache/yarn/|${HOME}/\.yarn/berry/cache/)`), cause: 'Yarn cache', fix: `\`yarn cache clean\` in the same \`RUN\`, ${CACHE_MOUNT}.` },
  { id: 'pnpm-store', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/\.local/share/pnpm/store/|(?:[^/]+/)*\.pnpm-store/)`), cause: 'pnpm store', fix: `\`pnpm store prune\` in the same \`RUN\`, ${CACHE_MOUNT}.` },
  { id: 'maven', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/\.m2/)`), cause: 'Maven repository (~/.m2)', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
  { id: 'gradle', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/\.gradle/)`), cause: 'Gradle caches (~/.gradle)', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
  { id: 'composer', kind: 'package-cache', pattern: new RegExp(String.raw`^(${HOME}/(?:\.composer/cache|\.cache/composer)/)`), cause: 'Composer cache', fix: `\`composer install --no-cache\` (or \`composer clear-cache\` in the same \`RUN\`), ${CACHE_MOUNT}.` },
  { id: 'gem-cache', kind: 'package-cache', pattern: new RegExp(String.raw`^(usr/local/bundle/cache/|(?:usr/local/lib|usr/lib|var/lib)/ruby/gems/[^/]+/cache/|${HOME}/\.gem/)`), cause: 'RubyGems cache', fix: `\`gem install --no-document\` and \`rm -rf\` the gem cache in the same \`RUN\` (\`bundle install\` then \`bundle clean\`), ${CACHE_MOUNT}.` },
  // Build caches and outputs.
  { id: 'go-build-cache', kind: 'build-cache', pattern: new RegExp(String.raw`^(${HOME}/\.cache/go-build/)`), cause: 'Go build cache', fix: `${MULTI_STAGE}, or \`RUN --mount=type=cache,target=/root/.cache/go-build\`.` },
  { id: 'go-mod-cache', kind: 'build-cache', pattern: new RegExp(String.raw`^((?:${HOME}/)?go/pkg/mod/)`), cause: 'Go module cache', fix: `${MULTI_STAGE}, or \`RUN --mount=type=cache,target=/go/pkg/mod\`.` },
  { id: 'cargo-cache', kind: 'build-cache', pattern: new RegExp(String.raw`^((?:usr/local/|${HOME}/\.)cargo/(?:registry|git)/)`), cause: 'Cargo registry cache', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
  { id: 'rust-target', kind: 'build-cache', pattern: /^((?:[^/]+\/)*target\/)(?:release|debug)\/(?:deps|build|incremental|\.fingerprint)\//, cause: 'Rust build output (target/)', fix: `${MULTI_STAGE}.` },
  { id: 'ccache', kind: 'build-cache', pattern: new RegExp(String.raw`^(${HOME}/\.(?:cache/)?ccache/)`), cause: 'ccache', fix: `${MULTI_STAGE}, ${CACHE_MOUNT}.` },
  { id: 'node-modules-cache', kind: 'build-cache', pattern: /^((?:[^/]+\/)*node_modules\/\.cache\/)/, cause: 'node_modules/.cache', fix: `remove it in the same \`RUN\` as the build, ${CACHE_MOUNT}.` },
  // Checkout debris.
  { id: 'git', kind: 'checkout', pattern: /^((?:[^/]+\/)*\.git\/)/, cause: '.git folder', fix: `${DOCKERIGNORE} (\`.git\`).` },
  // node_modules that a copy of the whole context brought (`COPY . .`), not the ones an install made.
  {
    id: 'context-node-modules',
    kind: 'checkout',
    pattern: /^((?:[^/]+\/)*?node_modules\/)/,
    layer: /^(?:COPY|ADD) (?:--\S+ )*\.\/? /,
    cause: 'node_modules of the build context',
    fix: `${DOCKERIGNORE} (\`node_modules\`) and install the dependencies in the image (\`npm ci --omit=dev\`), built for its platform.`
  },
  { id: 'tests', kind: 'checkout', pattern: /^(?!(?:[^/]+\/)*(?:node_modules|site-packages|dist-packages|go\/pkg\/mod)\/)(?:[^/]+\/)*[^/]+(?:_test\.go|\.(?:test|spec)\.[cm]?[jt]sx?)$/, cause: 'Test files', fix: `${DOCKERIGNORE} (\`**/*_test.go\`, \`**/*.test.*\`), or copy only what runs.` },
  // Sources beside a binary (after the toolchains and caches, which hold sources of their own).
  { id: 'sources', kind: 'sources', pattern: /^(?:[^/]+\/)*[^/]+\.(?:go|rs|java|c|cc|cpp)$|^(?:[^/]+\/)*(?:go\.mod|go\.sum|Cargo\.toml|Cargo\.lock)$/, cause: 'Source code', fix: `${MULTI_STAGE}; or ${DOCKERIGNORE}.` }
];

/** Where a cause's files are: one directory, its new and grown bytes and files, and the layer that added most of them. */
export interface CauseGroup {
  /** Relative to `/`, ending with `/`. */
  readonly dir: string;
  readonly bytes: number;
  readonly files: number;
  /** The layer (0-based) that wrote most of those bytes, with its instruction; absent when not known. */
  readonly layer?: { readonly index: number; readonly instruction: string };
}

export interface Cause {
  readonly id: string;
  readonly kind: CauseKind;
  readonly cause: string;
  readonly fix: string;
  /** New and grown bytes in all (for `wasted`, the growth of the wasted total; for `base-image`, the new base layers' size). */
  readonly bytes: number;
  readonly files: number;
  /** Largest first, at most `groupsMax`. */
  readonly groups: readonly CauseGroup[];
  /** Directories left out of `groups`. */
  readonly moreGroups: number;
  /** True when the head's files do not record their layers (a list read back from a report). */
  readonly layersUnknown?: boolean;
  /** Set when a side's file list was cut: files under this many bytes were not compared. */
  readonly listedFrom?: number;
  /** For `base-image`: the layers the final stage now inherits, and the first and last of their instructions. */
  readonly baseLayers?: { readonly count: number; readonly first: string; readonly last: string };
}

export interface CauseOptions {
  readonly groupsMax?: number;
  readonly causesMax?: number;
}

/** Why a target's image holds what it holds: everything found (`base` undefined) or what is new or grew since `base`. */
export interface Advice {
  readonly causes: readonly Cause[];
  /** Causes found beyond `causesMax`. */
  readonly more: number;
}

/**
 * The causes of `head`'s growth against `base` (both measured with file lists), or of everything in
 * `head` when `base` is undefined (a new target, no baseline). Undefined when they cannot be told:
 * `head` has no file list, or `base` was measured without one.
 */
export function findCauses(head: ImageStats, base: ImageStats | undefined, options: CauseOptions = {}): Advice | undefined {
  const groupsMax = options.groupsMax ?? 3;
  const causesMax = options.causesMax ?? 8;
  const headFiles = head.files;
  if (!headFiles || headFiles.listing?.kind === 'none') return undefined;
  const baseFiles = base?.files;
  if (base && (!baseFiles || baseFiles.listing?.kind === 'none')) return undefined;
  const below = Math.max(cutBelow(headFiles), baseFiles ? cutBelow(baseFiles) : 0);

  const found = new Map<CauseRule, Map<string, Accumulator>>();
  for (const [path, after] of headFiles.final) {
    const grew = growth(path, after, baseFiles);
    if (grew === undefined) continue;
    const layer = headFiles.layerOf?.get(path);
    const match = firstMatch(path, layer !== undefined ? head.layers[layer]?.instruction : undefined);
    if (!match) continue;
    const dirs = found.get(match.rule) ?? new Map<string, Accumulator>();
    found.set(match.rule, dirs);
    const acc = dirs.get(match.dir) ?? { bytes: 0, files: 0, byLayer: new Map<number, number>() };
    dirs.set(match.dir, acc);
    acc.bytes += grew;
    acc.files++;
    if (layer !== undefined) acc.byLayer.set(layer, (acc.byLayer.get(layer) ?? 0) + grew);
  }

  const causes: Cause[] = [];
  for (const rule of CAUSE_RULES) {
    const dirs = found.get(rule);
    if (!dirs) continue;
    const all = [...dirs].map(([dir, acc]) => group(dir, acc, head.layers)).sort(bySize);
    causes.push({
      id: rule.id,
      kind: rule.kind,
      cause: rule.cause,
      fix: rule.fix,
      bytes: all.reduce((n, g) => n + g.bytes, 0),
      files: all.reduce((n, g) => n + g.files, 0),
      groups: all.slice(0, groupsMax),
      moreGroups: Math.max(0, all.length - groupsMax),
      ...(headFiles.layerOf ? {} : { layersUnknown: true }),
      ...(below > 0 ? { listedFrom: below } : {})
    });
  }
  const wasted = wastedCause(headFiles, baseFiles, groupsMax);
  if (wasted) causes.push(wasted);
  const changedBase = base ? baseImageCause(head.layers, base.layers) : undefined;
  if (changedBase) causes.push(changedBase);
  causes.sort((a, b) => b.bytes - a.bytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { causes: causes.slice(0, causesMax), more: Math.max(0, causes.length - causesMax) };
}

/** A row's causes, as the comment and the terminal show them: what is new since the base (`compared`), or all found without one. */
export interface RowAdvice extends Advice {
  readonly compared: boolean;
}

/**
 * The causes to show for a row: what is new or grew since the base for a compared row, everything
 * found for a new target or one without a baseline, nothing for an unchanged, removed or failed one.
 */
export function rowAdvice(r: JudgedRow, options: CauseOptions = {}): RowAdvice | undefined {
  if (r.head.state !== 'measured' || r.status === 'unchanged' || r.status === 'removed') return undefined;
  const base = r.base.state === 'measured' && r.status !== 'new' ? r.base.image : undefined;
  const advice = findCauses(r.head.image, base, options);
  if (!advice || advice.causes.length === 0) return undefined;
  return { ...advice, compared: base !== undefined };
}

/** Every cause found in one image (an audit, `measure`): each rule once, up to five directories each. */
export function auditCauses(image: ImageStats): Advice | undefined {
  return findCauses(image, undefined, { causesMax: CAUSE_RULES.length + 1, groupsMax: 5 });
}

interface Accumulator {
  bytes: number;
  files: number;
  byLayer: Map<number, number>;
}

/** The rule a path falls under (given the instruction of the layer that wrote it, when known), and the directory it rolls up to. */
export function firstMatch(path: string, instruction?: string): { readonly rule: CauseRule; readonly dir: string } | undefined {
  for (const rule of CAUSE_RULES) {
    if (rule.layer && !(instruction !== undefined && rule.layer.test(instruction))) continue;
    const m = rule.pattern.exec(path);
    if (!m) continue;
    const dir = m[1] ?? (m[0].endsWith('/') ? m[0] : path.slice(0, path.lastIndexOf('/') + 1));
    return { rule, dir };
  }
  return undefined;
}

/** The size under which a file list lists nothing: 0 for a complete list. */
function cutBelow(files: FileStats): number {
  return files.listing?.kind === 'cut' ? files.listing.below : 0;
}

/**
 * How much a head file adds over the base: all of it without a base; its growth when the base has
 * it; undefined when it did not grow. When the base's list was cut and lacks the file, the file may
 * have been there under `below` bytes: only files of `below` or more count, by their least growth.
 */
function growth(path: string, after: number, base: FileStats | undefined): number | undefined {
  if (!base) return after;
  const before = base.final.get(path);
  if (before !== undefined) return after > before ? after - before : undefined;
  const below = cutBelow(base);
  if (below === 0) return after;
  return after >= below ? after - below + 1 : undefined;
}

function group(dir: string, acc: Accumulator, layers: readonly LayerStats[]): CauseGroup {
  let top: [number, number] | undefined;
  for (const [index, bytes] of acc.byLayer) if (!top || bytes > top[1] || (bytes === top[1] && index < top[0])) top = [index, bytes];
  const layer = top ? layers[top[0]] : undefined;
  return {
    dir,
    bytes: acc.bytes,
    files: acc.files,
    ...(top && layer ? { layer: { index: top[0], instruction: layer.instruction } } : {})
  };
}

function bySize(a: { readonly bytes: number; readonly dir: string }, b: { readonly bytes: number; readonly dir: string }): number {
  return b.bytes - a.bytes || (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0);
}

/** Bytes a later layer deletes or overwrites, when their total grew (or without a base, when there are any). */
function wastedCause(head: FileStats, base: FileStats | undefined, groupsMax: number): Cause | undefined {
  const grew = head.wastedBytes - (base?.wastedBytes ?? 0);
  if (grew <= 0) return undefined;
  const before = new Map((base?.wasted ?? []).map((w) => [w.path, w.bytes]));
  const dirs = new Map<string, { bytes: number; files: number }>();
  for (const w of head.wasted) {
    const added = w.bytes - (before.get(w.path) ?? 0);
    if (added <= 0) continue;
    const dir = w.path.slice(0, w.path.lastIndexOf('/') + 1);
    const acc = dirs.get(dir) ?? { bytes: 0, files: 0 };
    acc.bytes += added;
    acc.files++;
    dirs.set(dir, acc);
  }
  const all = [...dirs].map(([dir, acc]) => ({ dir, ...acc })).sort(bySize);
  return {
    id: 'wasted',
    kind: 'wasted',
    cause: 'Deleted or overwritten in a later layer (wasted space)',
    fix: 'delete files in the same `RUN` that creates them, or build in a separate stage and `COPY --from` only the result.',
    bytes: grew,
    files: all.reduce((n, g) => n + g.files, 0),
    groups: all.slice(0, groupsMax),
    moreGroups: Math.max(0, all.length - groupsMax)
  };
}

/**
 * The final stage's base image changed: its first layer is another one, made by another instruction
 * (a changed first `COPY` into `scratch` is not a new base). The head's layers before the first one
 * the base also has are the new base's; when none is shared, all but as many as the base has after
 * its own base (the final stage's own instructions, assumed unchanged in number). Reported when the
 * inherited layers grew.
 */
function baseImageCause(head: readonly LayerStats[], base: readonly LayerStats[]): Cause | undefined {
  const first = head[0];
  const before = base[0];
  if (!first || (before && (first.digest === before.digest || first.instruction === before.instruction))) return undefined;
  const known = new Set(base.map((l) => l.digest));
  let n = 0;
  while (n < head.length && !known.has(head[n]!.digest)) n++;
  const own = n < head.length ? head.length - n : Math.min(base.length, head.length - 1);
  const inherited = head.slice(0, head.length - own);
  const shared = n < head.length ? base.findIndex((l) => l.digest === head[n]!.digest) : base.length - own;
  const sum = (layers: readonly LayerStats[]): number => layers.reduce((s, l) => s + l.uncompressedBytes, 0);
  const bytes = sum(inherited) - sum(base.slice(0, Math.max(0, shared)));
  if (inherited.length === 0 || bytes <= 0) return undefined;
  return {
    id: 'base-image',
    kind: 'base-image',
    cause: before === undefined ? 'The final stage no longer starts from scratch' : "The final stage's base image changed",
    fix: `check the final stage's \`FROM\`: ${MULTI_STAGE}.`,
    bytes,
    files: 0,
    groups: [],
    moreGroups: 0,
    baseLayers: { count: inherited.length, first: first.instruction, last: inherited[inherited.length - 1]!.instruction }
  };
}
