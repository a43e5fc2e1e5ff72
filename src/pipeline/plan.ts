// Step 1 of the pipeline: the plan of one image, made once before anything is built or checked out,
// and used alike by a single image (run.ts) and by each image of a config file (config-images.ts), which
// makes every image's plan before the first build.
//   trust (refusals) ─► paths confined to the workspace ─► build settings ─► Dockerfile stages
//   ─► the stranger's frontend refused ─► the head's targets, and the budgets' targets checked
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { resolveSettings, type ResolvedSettings } from '../buildx/settings.js';
import { syntaxDirective } from '../dockerfile/directives.js';
import { parseStages, type Stage } from '../dockerfile/stages.js';
import type { EventContext } from '../github/event.js';
import { secretInputsSet } from '../inputs/build.js';
import { checkBudgetTargets } from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';
import { NO_BUILD_SETTINGS, type Inputs } from '../model.js';
import { resolveInside } from '../workspace/paths.js';
import type { DockerfileSource } from '../report/annotations.js';
import { planTargets } from './targets.js';
import { buildTrust, frontendRefusal, secretsRefusal, type BuildTrust } from './trust.js';

export interface Plan {
  readonly inputs: Inputs;
  /** Whose code is built and what it may reach; never a refusal (makePlan throws those). */
  readonly trust: BuildTrust;
  /** The workspace as given (GITHUB_WORKSPACE or the working directory) and its real path. */
  readonly workspace: string;
  readonly realWorkspace: string;
  /** The head's context and Dockerfile, real paths inside the workspace. */
  readonly context: string;
  readonly dockerfile: string;
  /** The Dockerfile as the user names it (`file`, or `<context>/Dockerfile`), for messages. */
  readonly fileLabel: string;
  /** The same places relative to the workspace: where the base commit's checkout has them. */
  readonly contextRel: string;
  readonly fileRel: string;
  /** The head's Dockerfile as annotations point into it: its path in the repository, with `/`, and its text. */
  readonly source: DockerfileSource;
  readonly headStages: readonly Stage[];
  /** The head's targets as asked (those the head has), or its last stage. */
  readonly headTargets: readonly string[];
  /** The build settings made concrete for the head; `settingsAt` does the same for the base's checkout. */
  readonly headSettings: ResolvedSettings;
  readonly settingsAt: (root: string, side: 'head' | 'base') => Promise<ResolvedSettings>;
}

/**
 * Plans one image. Throws, before any build, on what the run must refuse (a stranger's code in a
 * privileged run, secrets for it, a frontend of its own) and on every bad path, stage or budget target.
 */
export async function makePlan(env: NodeJS.ProcessEnv, inputs: Inputs, event: EventContext): Promise<Plan> {
  const settings = inputs.build ?? NO_BUILD_SETTINGS;
  const secretRefusal = secretsRefusal(event, secretInputsSet(settings));
  if (secretRefusal) throw new Error(secretRefusal);
  const trust = buildTrust(event, inputs.allowForkBuilds);
  if (trust.refusal) throw new Error(trust.refusal);

  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  const context = await resolveInside(workspace, inputs.context, INPUT.context, 'directory');
  const fileLabel = inputs.file ?? path.join(inputs.context, 'Dockerfile');
  const dockerfile = await resolveInside(workspace, fileLabel, INPUT.file, 'file');
  const realWorkspace = await realpath(workspace);
  const settingsAt = (root: string, side: 'head' | 'base'): Promise<ResolvedSettings> =>
    resolveSettings(settings, { workspace: realWorkspace, root, env, side });
  const headSettings = await settingsAt(workspace, 'head');
  // Read once: its stages, its frontend directive and (for annotations) its lines come from this text.
  const text = await readFile(dockerfile, 'utf8');
  const headStages = parseStages(text);
  // A stranger's Dockerfile may not name its own frontend (BuildKit would run that image as the build).
  const frontend = frontendRefusal({
    untrusted: trust.untrusted,
    file: fileLabel,
    directive: trust.untrusted === undefined ? undefined : syntaxDirective(text),
    buildArgs: inputs.buildArgs
  });
  if (frontend) throw new Error(frontend);
  const headTargets = headTargetNames(headStages, inputs.targets, fileLabel);
  // Per-target budgets name targets asked for (some may exist only in the base), else the last stage.
  checkBudgetTargets(inputs.budgets, inputs.targets.length > 0 ? inputs.targets : headTargets);
  return {
    inputs,
    trust,
    workspace,
    realWorkspace,
    context,
    dockerfile,
    fileLabel,
    contextRel: path.relative(realWorkspace, context) || '.',
    fileRel: path.relative(realWorkspace, dockerfile),
    source: { path: path.relative(realWorkspace, dockerfile).split(path.sep).join('/'), text },
    headStages,
    headTargets,
    headSettings,
    settingsAt
  };
}

/** The targets asked for that the head's Dockerfile has (the others may be the base's only), else its last stage. */
function headTargetNames(stages: readonly Stage[], requested: readonly string[], fileLabel: string): string[] {
  if (requested.length === 0) return planTargets(stages, undefined, [], fileLabel).head.map((t) => t.name);
  const names = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  return requested.map((t) => t.toLowerCase()).filter((t) => names.has(t));
}
