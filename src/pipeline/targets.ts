// Pre-flight: which targets to build on each side, decided from the Dockerfiles before any build.
import { readFile } from 'node:fs/promises';
import { parseStages, resolveTargets, type ResolvedTarget, type Stage } from '../dockerfile/stages.js';

export async function readStages(dockerfile: string): Promise<Stage[]> {
  return parseStages(await readFile(dockerfile, 'utf8'));
}

export interface TargetPlan {
  /** Targets built on the head, in the order asked. */
  readonly head: readonly ResolvedTarget[];
  /** Targets asked for that only the base has: reported as removed, not built on the head. */
  readonly removed: readonly ResolvedTarget[];
}

/**
 * Resolve the requested targets against the head's stages. A name the head lacks is "removed" when
 * the base has it (RELIABILITY row 7); unknown on both, it fails with the head's stage list (row 4).
 */
export function planTargets(
  headStages: readonly Stage[],
  baseStages: readonly Stage[] | undefined,
  requested: readonly string[],
  dockerfileLabel: string
): TargetPlan {
  if (requested.length === 0) return { head: resolveTargets(headStages, [], dockerfileLabel), removed: [] };
  const headNames = new Set(headStages.flatMap((s) => (s.name ? [s.name] : [])));
  const baseNames = new Set((baseStages ?? []).flatMap((s) => (s.name ? [s.name] : [])));
  const head: ResolvedTarget[] = [];
  const removed: ResolvedTarget[] = [];
  for (const name of requested) {
    const lower = name.toLowerCase();
    if (headNames.has(lower)) head.push(...resolveTargets(headStages, [name], dockerfileLabel));
    else if (baseNames.has(lower)) removed.push({ name: lower, stage: lower });
    else resolveTargets(headStages, [name], dockerfileLabel); // throws the InputError listing the stages
  }
  return { head, removed };
}

/** The base's own view of the targets: those its Dockerfile lacks are "absent" there (row 6). */
export function baseTargets(
  baseStages: readonly Stage[] | undefined,
  wanted: readonly ResolvedTarget[]
): { readonly build: ResolvedTarget[]; readonly absent: ResolvedTarget[] } {
  if (!baseStages || baseStages.length === 0) return { build: [], absent: [...wanted] };
  const names = new Set(baseStages.flatMap((s) => (s.name ? [s.name] : [])));
  const build: ResolvedTarget[] = [];
  const absent: ResolvedTarget[] = [];
  for (const t of wanted) {
    // An unnamed last stage ("default") exists wherever the Dockerfile does.
    if (t.stage === undefined || names.has(t.stage)) build.push(t);
    else absent.push(t);
  }
  return { build, absent };
}
