// Renders the action's benchmarks (bench/action.ts) as the markdown block of docs/benchmarks.md under
// "The action: builds, memory and disk (issue 13)". Pure: results in, markdown out; the targets of
// issue 13 are checked here and only here.
import type { Machine } from './report.js';
import { fmtBytes, fmtRatio, fmtSummary, verdict, type Summary } from './stats.js';

export const ACTION_TARGETS = {
  /** The action's wall time ÷ `docker buildx bake` of the same targets, cold. */
  coldRatio: 1.05,
  /** The action's wall time ÷ one `docker buildx build` after the other, warm. */
  warmRatio: 1.0,
  /** Peak RSS of the action's process, bytes (100 MB). */
  peakRss: 100 * 1_000_000,
  /** Bytes under RUNNER_TEMP at any moment of a run short of disk (the export streamed): near zero (5 MB). */
  diskPeak: 5 * 1_000_000
} as const;

export interface SourceState {
  /** `git rev-parse --short HEAD`. */
  readonly head: string;
  /** Changed tracked files and untracked files in the work tree the bundle was built from. */
  readonly modified: number;
  readonly untracked: number;
  /** Where the changes are (folders, src/ one level deeper). */
  readonly where: readonly string[];
}

export interface ActionMemoryRow {
  readonly image: string;
  readonly title: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly mode: string;
  /** RUNNER_TEMP was a small tmpfs: the export streamed, and the disk target applies. */
  readonly shortDisk: boolean;
  readonly gnuMaxRss?: Summary;
  readonly nodeHwm?: Summary;
  readonly diskPeak: Summary;
  readonly wall: Summary;
}

export interface ActionResults {
  readonly date: string;
  readonly machine: Machine;
  readonly load: { readonly start: number; readonly end: number };
  readonly runs: number;
  readonly source: SourceState;
  /** dist/index.js as the run found it, and whether it was rebuilt before the run ended. */
  readonly bundle: { readonly digest: string; readonly changedDuringRun: boolean };
  readonly cold?: { readonly action: Summary; readonly bake: Summary; readonly burnMb: number };
  readonly warm?: { readonly action: Summary; readonly script: Summary; readonly burnMb: number };
  /** The same, as a pull request whose base is built beside the head: four images. */
  readonly warmPullRequest?: { readonly action: Summary; readonly script: Summary; readonly burnMb: number };
  /** Peak RSS of the bundle stopping at its first input: node and the module graph. */
  readonly startup?: Summary;
  readonly memory?: readonly ActionMemoryRow[];
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const seconds = (s: number): string => `${s.toFixed(2)} s`;

/** The header of a block: when, how loaded, which source; and the machine. */
function header(r: ActionResults): string[] {
  const m = r.machine;
  const s = r.source;
  return [
    `Run on ${r.date}; every cell is min / **median** / max of ${r.runs} runs after one warm-up run; the contenders of each comparison ran interleaved, one of each in turn. ` +
      `1-minute load average: ${r.load.start.toFixed(2)} when timing started, ${r.load.end.toFixed(2)} at the end, on ${m.cores} cores. ` +
      `The action: dist/index.js (sha256 ${r.bundle.digest}) built from commit ${s.head}` +
      (s.modified + s.untracked > 0
        ? ` with uncommitted changes (${s.modified} changed and ${s.untracked} new files, in ${s.where.map((w) => `\`${w}\``).join(', ')})`
        : '') +
      (r.bundle.changedDuringRun ? '; **it was rebuilt during the run**: not every run ran the same bundle' : '') +
      '.',
    '',
    table(['CPU', 'cores', 'memory', 'kernel', 'node', 'dockerd', 'buildx'], [[m.cpu, String(m.cores), fmtBytes(m.memoryBytes), m.kernel, m.node, m.dockerd, m.buildx]])
  ];
}

/** The block of the builds (a, b), when either ran. */
export function renderBuilds(r: ActionResults): string | undefined {
  const rows: string[][] = [];
  if (r.cold) {
    const ratio = r.cold.action.median / r.cold.bake.median;
    rows.push([
      'cold: two CPU-bound targets, BuildKit cache pruned before each run',
      `\`docker buildx bake\` of both, OCI tar exports`,
      fmtSummary(r.cold.action, seconds),
      fmtSummary(r.cold.bake, seconds),
      `${fmtRatio(ratio)} ${verdict(ratio <= ACTION_TARGETS.coldRatio)}`,
      `≤ ${ACTION_TARGETS.coldRatio.toFixed(2)}×`
    ]);
  }
  const warmRow = (run: string, against: string, pair: { readonly action: Summary; readonly script: Summary }): string[] => {
    const ratio = pair.action.median / pair.script.median;
    return [run, against, fmtSummary(pair.action, seconds), fmtSummary(pair.script, seconds), `${fmtRatio(ratio)} ${verdict(ratio <= ACTION_TARGETS.warmRatio)}`, `≤ ${ACTION_TARGETS.warmRatio.toFixed(2)}×`];
  };
  if (r.warm) {
    rows.push(warmRow('warm: the same two targets, every step cached', '`docker buildx build --output type=oci,dest=DIR,tar=false`, one target after the other', r.warm));
  }
  if (r.warmPullRequest) {
    rows.push(
      warmRow(
        'warm pull request: the same two targets on head and base (no stored baseline: the base commit checked out and built), every step cached',
        'the base checked out (`git worktree add`), then the four images built and exported one after the other, as above',
        r.warmPullRequest
      )
    );
  }
  if (rows.length === 0) return undefined;
  return [
    ...header(r),
    '',
    '### Builds: the action against buildx alone',
    '',
    table(['run', 'against', 'the action', 'buildx alone', 'ratio of medians', 'target'], rows)
  ].join('\n');
}

/** The block of memory and disk (c, d), when they ran. */
export function renderMemory(r: ActionResults): string | undefined {
  if (!r.startup && !r.memory?.length) return undefined;
  const out = [...header(r), '', `### Peak RSS of the action's process (target ≤ ${fmtBytes(ACTION_TARGETS.peakRss)})`, ''];
  const memRows: string[][] = [];
  if (r.startup) memRows.push(['-', 'the bundle loaded, nothing done (an unknown `mode`)', fmtSummary(r.startup, fmtBytes), '-', '-', '-']);
  for (const x of r.memory ?? []) {
    const peak = x.gnuMaxRss ?? x.nodeHwm;
    memRows.push([
      `\`${x.image}\` (${fmtBytes(x.uncompressedBytes)}, ${fmtBytes(x.compressedBytes)} compressed)`,
      x.mode,
      x.gnuMaxRss ? fmtSummary(x.gnuMaxRss, fmtBytes) : '-',
      x.nodeHwm ? fmtSummary(x.nodeHwm, fmtBytes) : '-',
      fmtSummary(x.wall, seconds),
      peak ? verdict(peak.max <= ACTION_TARGETS.peakRss) : '-'
    ]);
  }
  out.push(table(['image', 'run', 'peak RSS (`/usr/bin/time -v`)', "node's own VmHWM (read every 50 ms)", 'wall time', 'target'], memRows));
  if (r.memory?.length) {
    out.push(
      '',
      `### Disk under RUNNER_TEMP (target, short of disk: near zero, ≤ ${fmtBytes(ACTION_TARGETS.diskPeak)})`,
      '',
      'With room on the disk the image is exported to a folder under RUNNER_TEMP, measured as it is written and removed at once: its size there is by design. Short of disk, the export is streamed and the target applies.',
      ''
    );
    out.push(
      table(
        ['image', 'run', 'most bytes under RUNNER_TEMP at one reading', 'against the compressed image', 'target'],
        r.memory.map((x) => [
          `\`${x.image}\``,
          x.mode,
          fmtSummary(x.diskPeak, fmtBytes),
          `${((x.diskPeak.max / x.compressedBytes) * 100).toFixed(1)}% (max)`,
          x.shortDisk ? verdict(x.diskPeak.max <= ACTION_TARGETS.diskPeak) : '- (a folder export)'
        ])
      )
    );
  }
  return out.join('\n');
}

/** Every block that ran, for the terminal and .tmp/bench/action-results.md. */
export function renderActionResults(r: ActionResults): string {
  return [renderBuilds(r), renderMemory(r)].filter((b): b is string => b !== undefined).join('\n\n');
}

/** The blocks of docs/benchmarks.md, each rewritten only by a run of its sections. */
const BLOCKS = {
  builds: 'bench:action-builds',
  memory: 'bench:action-memory'
} as const;

export const actionMarkers = (block: keyof typeof BLOCKS): { start: string; end: string } => ({
  start: `<!-- ${BLOCKS[block]}:start (written by \`npm run bench -- --only action --write-docs\`) -->`,
  end: `<!-- ${BLOCKS[block]}:end -->`
});

/** `doc` with the blocks of the sections that ran replaced; the others are left as they are. The markers must be there. */
export function replaceActionBlocks(doc: string, r: ActionResults): string {
  let out = doc;
  for (const [block, text] of [['builds', renderBuilds(r)], ['memory', renderMemory(r)]] as const) {
    if (text === undefined) continue;
    const { start, end } = actionMarkers(block);
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`the document has no block ${start} ... ${end}`);
    out = `${out.slice(0, a + start.length)}\n${text}\n${out.slice(b)}`;
  }
  return out;
}
