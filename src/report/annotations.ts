// The annotations of a run: one per target that broke a budget or failed to build, an error (or a
// warning, with `fail-on-regression: false`), and for a target over budget the Dockerfile line where
// it grew, so that GitHub shows it on the pull request's diff. Pure: outcome and Dockerfile text in,
// annotations out; main.ts only emits them.
//
// The line is the instruction whose layer grew most against the base (the largest layer without a
// base), found by matching the layer's instruction (from image history, redacted) against the
// Dockerfile's instructions. Matching is conservative: one instruction of the same kind with the
// same command (RUN) or the same sources and destination (COPY, ADD), else the final stage's FROM.
import { parseInstructions, type Instruction } from '../dockerfile/stages.js';
import type { JudgedRow, LayerStats, Outcome } from '../model.js';
import { diffLayers } from './compare.js';

export interface Annotation {
  readonly level: 'error' | 'warning';
  readonly title: string;
  readonly message: string;
  /** The Dockerfile, relative to the repository's root, with `/`; absent when not known. */
  readonly file?: string;
  /** 1-based; set with `file`. */
  readonly line?: number;
}

/** A Dockerfile as annotations need it: where it is in the repository and its text. */
export interface DockerfileSource {
  readonly path: string;
  readonly text: string;
}

export interface AnnotationOptions {
  readonly failOnRegression: boolean;
  /** The Dockerfile a row was built from; undefined when not known (no location is given then). */
  readonly dockerfile?: (row: JudgedRow) => DockerfileSource | undefined;
}

/** One annotation per regressed row, in row order. */
export function annotations(outcome: Outcome, options: AnnotationOptions): Annotation[] {
  return outcome.rows
    .filter((r) => r.regressed)
    .map((row) => {
      const message = row.verdicts.filter((v) => !v.ok).map((v) => v.reason).join('; ');
      const title = `image-budget: ${row.image !== undefined ? `${row.image}/` : ''}${row.target}${row.platform ? ` (${row.platform})` : ''}`;
      const buildFailed = row.verdicts.some((v) => v.rule === 'build' && !v.ok);
      const level = options.failOnRegression || buildFailed ? 'error' : 'warning';
      const source = buildFailed ? undefined : options.dockerfile?.(row);
      const line = source ? growthLine(row, source.text) : undefined;
      return { level, title, message, ...(source && line !== undefined ? { file: source.path, line } : {}) };
    });
}

/**
 * The Dockerfile line of the instruction whose layer grew most, or the target stage's FROM line;
 * undefined when the Dockerfile has no such stage.
 */
export function growthLine(row: JudgedRow, dockerfileText: string): number | undefined {
  const instructions = parseInstructions(dockerfileText);
  const stage = targetStage(instructions, row.target);
  if (stage === undefined) return undefined;
  const from = instructions.find((i) => i.keyword === 'from' && i.stage === stage)!;
  const layer = row.head.state === 'measured' ? grownLayer(row) : undefined;
  if (!layer) return from.line;
  return matchInstruction(instructions, stage, layer.instruction)?.line ?? from.line;
}

/** The stage a row's target names (`default`: the last stage), as an index; undefined when there is none. */
function targetStage(instructions: readonly Instruction[], target: string): number | undefined {
  const froms = instructions.filter((i) => i.keyword === 'from');
  const named = froms.find((f) => stageName(f.args) === target.toLowerCase());
  if (named) return named.stage;
  return target === 'default' && froms.length > 0 ? froms[froms.length - 1]!.stage : undefined;
}

function stageName(args: string): string | undefined {
  const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
  return words[1]?.toLowerCase() === 'as' ? words[2]?.toLowerCase() : undefined;
}

/** The head layer that grew most against the base's (uncompressed bytes), or the largest without a base. */
export function grownLayer(row: JudgedRow): LayerStats | undefined {
  if (row.head.state !== 'measured') return undefined;
  const head = row.head.image.layers;
  if (row.base.state !== 'measured') return largest(head.map((l) => [l, l.uncompressedBytes] as const));
  const grown = diffLayers(row.base.image.layers, head).flatMap((c) =>
    c.kind === 'added' ? [[c.head, c.head.uncompressedBytes] as const] : c.kind === 'changed' ? [[c.head, c.head.uncompressedBytes - c.base.uncompressedBytes] as const] : []
  );
  return largest(grown);
}

function largest(candidates: ReadonlyArray<readonly [LayerStats, number]>): LayerStats | undefined {
  let best: readonly [LayerStats, number] | undefined;
  for (const c of candidates) if (c[1] > 0 && (!best || c[1] > best[1])) best = c;
  return best?.[0];
}

/** The one instruction a layer's history text stands for: in the target stage first, then anywhere. */
function matchInstruction(instructions: readonly Instruction[], stage: number, history: string): Instruction | undefined {
  const wanted = historyKey(history);
  if (wanted === undefined) return undefined;
  // History text is cut at MAX_INSTRUCTION_LENGTH (history.ts), ending with `…`: its start must match.
  const cut = wanted.endsWith('…') ? wanted.slice(0, -1) : undefined;
  const matches = instructions.filter((i) => {
    const key = dockerfileKey(i);
    return key !== undefined && (cut !== undefined ? key.startsWith(cut) : key === wanted);
  });
  const inStage = matches.filter((i) => i.stage === stage);
  if (inStage.length === 1) return inStage[0];
  return inStage.length === 0 && matches.length === 1 ? matches[0] : undefined;
}

const LAYER_KEYWORDS = new Set(['run', 'copy', 'add']);

/** `run mkdir -p /x`, `copy a b /dst`: what a layer's history and its instruction have in common. */
function historyKey(history: string): string | undefined {
  const m = /^(\S+)\s+(.*)$/.exec(history.trim());
  if (!m) return undefined;
  const keyword = m[1]!.toLowerCase();
  if (!LAYER_KEYWORDS.has(keyword)) return undefined;
  let rest = m[2]!;
  if (keyword === 'run') {
    // BuildKit records the build arguments a RUN uses (`|2 A=*** B=***`) and the shell it ran.
    rest = rest.replace(/^\|\d+(?:\s+[^\s=]+=\*\*\*)*\s*/, '').replace(/^\/bin\/sh -c /, '');
    return `run ${collapse(rest)}`;
  }
  return `${keyword} ${words(rest)}`;
}

function dockerfileKey(i: Instruction): string | undefined {
  if (!LAYER_KEYWORDS.has(i.keyword)) return undefined;
  if (i.keyword === 'run') {
    const command = i.args.replace(/^(?:--\S+\s+)*/, '');
    const exec = execForm(command);
    return `run ${collapse(exec ?? command)}`;
  }
  return `${i.keyword} ${words(i.args)}`;
}

/** `["a", "b"]` → `a b`; undefined when not a JSON array of strings. */
function execForm(command: string): string | undefined {
  if (!command.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(command);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed.join(' ') : undefined;
  } catch {
    return undefined;
  }
}

/** The words of a COPY or ADD without its flags (`--from`, `--chown`, `--link`, …), which history may leave out. */
function words(args: string): string {
  const exec = execForm(args.replace(/^(?:--\S+\s+)*/, ''));
  const list = exec !== undefined ? exec.split(' ') : args.split(/\s+/);
  return list.filter((w) => w !== '' && !w.startsWith('--')).join(' ');
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
