// Renders the benchmark's results as the markdown block of docs/benchmarks.md. Pure: results in,
// markdown out; the targets of issue 3 are checked here and only here.
import { fmtBytes, fmtRate, fmtRatio, fmtSeconds, fmtSummary, verdict, type Summary } from './stats.js';

export const TARGETS = {
  /** measureOciLayout wall time ÷ a bare gunzip pass over the same blobs. */
  floorRatio: 1.5,
  /** Compressed size and layer count alone, seconds, on every image. */
  sizesOnlySeconds: 1,
  /** Peak RSS of the measuring process on the 2 GB image, bytes (150 MB). */
  peakRss: 150 * 1_000_000,
  /** `docker save | gzip | wc -c` wall time ÷ measureOciLayout wall time. */
  scriptSpeedup: 5
} as const;

export interface Timing {
  readonly wall: Summary;
  readonly cpu: Summary;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly dockerd: string;
  readonly buildx: string;
  readonly gzip: string;
}

export interface ImageResult {
  readonly name: string;
  readonly title: string;
  readonly layerCount: number;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** The bare gunzip pass (the floor). */
  readonly floor: Timing;
  /** measureOciLayout with default options. */
  readonly measure: Timing;
  /** measureOciLayout with `files: true`; absent when the option does not exist (yet). */
  readonly measureFiles?: Timing;
  /** The JSON-only read: compressed size and layer count alone. */
  readonly sizesOnly: Timing;
  /** `docker save | gzip | wc -c`; absent with --skip-script. */
  readonly script?: Timing & { readonly bytes: number };
}

export interface RssResult {
  readonly image: string;
  /** Measure options, and whether the action's module graph was loaded first. */
  readonly mode: string;
  /** Peak resident set size of the whole measuring process, bytes. */
  readonly peak: Summary;
  /** Resident set size of the same process once node and the bundle are loaded, before measuring. */
  readonly before: Summary;
  readonly source: string;
}

/** The label of the splits row that is the gunzip floor, the ratios' denominator. */
export const FLOOR_LABEL = 'gunzip only, 256 KiB chunks (the floor)';

export interface SplitRow {
  readonly label: string;
  readonly timing: Timing;
  /** False for passes that move no bytes (file checks only): no throughput is shown. */
  readonly moves?: boolean;
}

export interface Splits {
  readonly image: string;
  readonly uncompressedBytes: number;
  readonly rows: readonly SplitRow[];
}

export interface ProfileRow {
  readonly name: string;
  readonly selfSeconds: number;
  readonly share: number;
}

export interface Profile {
  readonly image: string;
  readonly mode: string;
  readonly totalSeconds: number;
  readonly rows: readonly ProfileRow[];
}

export interface Results {
  readonly date: string;
  /** 1-minute load average when the timing started and when it ended: other work on the machine skews every number. */
  readonly load: { readonly start: number; readonly end: number };
  readonly runs: number;
  readonly machine: Machine;
  /** Whether measureOciLayout honoured `files: true` (returned ImageStats.files). */
  readonly filesOption: boolean;
  readonly images: readonly ImageResult[];
  readonly rss: readonly RssResult[];
  readonly splits: readonly Splits[];
  readonly profiles: readonly Profile[];
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A ratio and its verdict; with three decimals when two would round it onto the target and hide why it missed. */
function ratioCell(r: number, ok: boolean, target?: number): string {
  const close = target !== undefined && Math.abs(r - target) < 0.005;
  return `${close ? `${r.toFixed(3)}×` : fmtRatio(r)} ${verdict(ok)}`;
}

export function renderResults(r: Results): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Run on ${r.date}; every cell is min / **median** / max of ${r.runs} runs after one warm-up run (page cache warm); ` +
      'the passes of sections 1 and "Where the time goes" run interleaved, one of each in turn. ' +
      `1-minute load average: ${r.load.start.toFixed(2)} when timing started, ${r.load.end.toFixed(2)} at the end, on ${r.machine.cores} cores.`
  );
  out.push('');
  out.push(
    table(
      ['CPU', 'cores', 'memory', 'kernel', 'node', 'dockerd', 'buildx', 'gzip'],
      [[m.cpu, String(m.cores), fmtBytes(m.memoryBytes), m.kernel, m.node, m.dockerd, m.buildx, m.gzip]]
    )
  );
  out.push('');
  out.push(
    table(
      ['image', 'layers', 'compressed', 'uncompressed'],
      r.images.map((i) => [`\`${i.name}\``, String(i.layerCount), fmtBytes(i.compressedBytes), fmtBytes(i.uncompressedBytes)])
    )
  );

  out.push('', `### 1. Measurement against a bare gunzip pass (target ≤ ${TARGETS.floorRatio}×)`, '');
  if (!r.filesOption) out.push('`measureOciLayout` did not honour `files: true` when this ran (no `files` in its result): only the default mode was timed.', '');
  out.push(
    table(
      ['image', 'gunzip floor', 'measureOciLayout', 'ratio', ...(r.filesOption ? ['files: true', 'ratio'] : [])],
      r.images.map((i) => {
        const ratio = i.measure.wall.median / i.floor.wall.median;
        const cells = [`\`${i.name}\``, fmtSummary(i.floor.wall), fmtSummary(i.measure.wall), ratioCell(ratio, ratio <= TARGETS.floorRatio, TARGETS.floorRatio)];
        if (r.filesOption) {
          if (i.measureFiles) {
            const fr = i.measureFiles.wall.median / i.floor.wall.median;
            cells.push(fmtSummary(i.measureFiles.wall), ratioCell(fr, fr <= TARGETS.floorRatio, TARGETS.floorRatio));
          } else cells.push('-', '-');
        }
        return cells;
      })
    )
  );
  out.push('', 'CPU time (user + system, all threads; median) of the same runs, against wall time: above 1× the work overlaps on both cores.', '');
  out.push(
    table(
      ['image', 'gunzip floor cpu', 'measureOciLayout cpu', ...(r.filesOption ? ['files: true cpu'] : [])],
      r.images.map((i) => [
        `\`${i.name}\``,
        cpuCell(i.floor),
        cpuCell(i.measure),
        ...(r.filesOption ? [i.measureFiles ? cpuCell(i.measureFiles) : '-'] : [])
      ])
    )
  );

  out.push('', `### 2. Compressed size and layer count alone (target < ${TARGETS.sizesOnlySeconds} s on every size, O(layers))`, '');
  out.push(
    `Reading \`oci-layout\`, \`index.json\`, the manifest and the config, with their digests checked (${r.images[0]?.sizesOnly.wall.samples.length ?? 0} runs each). ` +
      'For scale, the last column is measureOciLayout, which always reads every layer byte for the uncompressed size.',
    ''
  );
  out.push(
    table(
      ['image', 'layers', 'uncompressed', 'index + manifest + config', 'target', 'measureOciLayout (median)'],
      r.images.map((i) => [
        `\`${i.name}\``,
        String(i.layerCount),
        fmtBytes(i.uncompressedBytes),
        fmtSummary(i.sizesOnly.wall),
        verdict(i.sizesOnly.wall.max < TARGETS.sizesOnlySeconds),
        fmtSeconds(i.measure.wall.median)
      ])
    )
  );
  const scaling = sizesOnlyScaling(r.images);
  if (scaling) out.push('', scaling);

  out.push('', `### 3. Peak RSS of the measuring process (target ≤ ${fmtBytes(TARGETS.peakRss)} at 2 GB)`, '');
  if (r.rss.length === 0) out.push('Not run (the 2 GB image was not selected).');
  else
    out.push(
      table(
        ['image', 'options', 'peak RSS', 'RSS before measuring (node + modules)', 'source', 'target'],
        r.rss.map((x) => [
          `\`${x.image}\``,
          x.mode,
          fmtSummary(x.peak, fmtBytes),
          fmtSummary(x.before, fmtBytes),
          x.source,
          x.image === '2gb' ? verdict(x.peak.max <= TARGETS.peakRss) : '-'
        ])
      )
    );

  out.push('', `### 4. Against \`docker save IMAGE | gzip | wc -c\` (target ≥ ${TARGETS.scriptSpeedup}× faster)`, '');
  const scripted = r.images.filter((i) => i.script);
  if (scripted.length === 0) out.push('Not run (--skip-script).');
  else
    out.push(
      table(
        ['image', 'docker save | gzip | wc -c', 'its number', 'exact compressed size', 'measureOciLayout', 'speed-up', 'JSON reads only: speed-up'],
        scripted.map((i) => {
          const s = i.script!;
          const speedup = s.wall.median / i.measure.wall.median;
          const alone = s.wall.median / i.sizesOnly.wall.median;
          return [
            `\`${i.name}\``,
            fmtSummary(s.wall),
            fmtBytes(s.bytes),
            fmtBytes(i.compressedBytes),
            fmtSummary(i.measure.wall),
            ratioCell(speedup, speedup >= TARGETS.scriptSpeedup, TARGETS.scriptSpeedup),
            `${Math.round(alone)}× ${verdict(alone >= TARGETS.scriptSpeedup)}`
          ];
        })
      )
    );

  for (const s of r.splits) {
    out.push('', `### Where the time goes: \`${s.image}\``, '');
    const floor = s.rows.find((x) => x.label === FLOOR_LABEL);
    out.push(
      table(
        ['pass over the layer blobs', 'wall', 'cpu (median)', 'uncompressed MB/s', '÷ gunzip floor'],
        s.rows.map((x) => [
          x.label,
          fmtSummary(x.timing.wall),
          fmtSeconds(x.timing.cpu.median),
          x.moves === false ? '-' : fmtRate(s.uncompressedBytes, x.timing.wall.median),
          floor ? fmtRatio(x.timing.wall.median / floor.timing.wall.median) : '-'
        ])
      )
    );
  }

  for (const p of r.profiles) {
    out.push('', `### CPU profile of the main thread: \`${p.image}\`, ${p.mode} (\`node --cpu-prof\`, ${fmtSeconds(p.totalSeconds)} sampled)`, '');
    out.push('`index.js` is the ncc bundle of bench/ and src/; `(idle)` is the main thread waiting (for the thread pool: zlib, file system).', '');
    out.push(
      table(
        ['function (self time)', 'self', 'share'],
        p.rows.map((x) => [x.name, fmtSeconds(x.selfSeconds), `${(x.share * 100).toFixed(1)}%`])
      )
    );
  }
  return out.join('\n');
}

/** The JSON-only read's cost per extra layer (fewest to most layers) and per extra byte (smallest to largest). */
function sizesOnlyScaling(images: readonly ImageResult[]): string | undefined {
  if (images.length < 2) return undefined;
  const byLayers = [...images].sort((a, b) => a.layerCount - b.layerCount);
  const bySize = [...images].sort((a, b) => a.uncompressedBytes - b.uncompressedBytes);
  const parts: string[] = [];
  const [few, many] = [byLayers[0]!, byLayers[byLayers.length - 1]!];
  if (many.layerCount > few.layerCount) {
    const per = (many.sizesOnly.wall.median - few.sizesOnly.wall.median) / (many.layerCount - few.layerCount);
    parts.push(
      `from \`${few.name}\` (${few.layerCount} layers) to \`${many.name}\` (${many.layerCount}) the median grows by ${fmtSeconds(Math.max(0, per))} per layer`
    );
  }
  const [small, large] = [bySize[0]!, bySize[bySize.length - 1]!];
  if (large.uncompressedBytes > small.uncompressedBytes && large.layerCount === small.layerCount) {
    parts.push(
      `from \`${small.name}\` to \`${large.name}\` (same layer count, ${fmtRatio(large.uncompressedBytes / small.uncompressedBytes)} the bytes) it goes from ${fmtSeconds(small.sizesOnly.wall.median)} to ${fmtSeconds(large.sizesOnly.wall.median)}`
    );
  } else if (large.uncompressedBytes > small.uncompressedBytes) {
    parts.push(
      `\`${small.name}\` (${fmtBytes(small.uncompressedBytes)}) takes ${fmtSeconds(small.sizesOnly.wall.median)}, \`${large.name}\` (${fmtBytes(large.uncompressedBytes)}) ${fmtSeconds(large.sizesOnly.wall.median)}`
    );
  }
  return parts.length ? `Scaling: ${parts.join('; ')}.` : undefined;
}

function cpuCell(t: Timing): string {
  return `${fmtSeconds(t.cpu.median)} (${fmtRatio(t.cpu.median / t.wall.median)} wall)`;
}

const START = '<!-- bench:results:start (written by `npm run bench -- --write-docs`) -->';
const END = '<!-- bench:results:end -->';

/** `doc` with the block between the markers replaced by `block`; the markers must be there. */
export function replaceResultsBlock(doc: string, block: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`the document has no results block (${START} ... ${END})`);
  return `${doc.slice(0, a + START.length)}\n${block}\n${doc.slice(b)}`;
}

export const RESULTS_MARKERS = { start: START, end: END } as const;
