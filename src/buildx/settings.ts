// The build settings of one side made concrete before its builds: named directories found inside
// the side's root (the workspace for the head, the base checkout for the base, as `context` is),
// secret files and ssh paths found (relative to the workspace), inline and environment secrets
// turned into variables of the docker client's environment, and the values every message masks.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../inputs/errors.js';
import { INPUT } from '../inputs/names.js';
import type { BuildSettings } from '../model.js';
import { resolveInside, resolveInsideIfExists } from '../workspace/paths.js';
import type { PlanSettings, SecretMount } from './argv.js';

/** Secret files up to this size are read so that their content is masked too. */
const MASKED_FILE_MAX = 64 * 1024;
/** Lines of a secret file at least this long are masked alone (short ones, `{`, would mask everything). */
const MASKED_LINE_MIN = 8;

export interface ResolvedSettings {
  readonly plan: PlanSettings;
  /** Every secret value: inline, from the environment, the content of small secret files. */
  readonly masks: readonly string[];
}

export interface SettingsPlace {
  /** Where secret files and ssh keys are found (they are the workflow's, not the checkout's). */
  readonly workspace: string;
  /** Where named directories are found: the workspace for the head, the base checkout for the base. */
  readonly root: string;
  /** The step's environment, which `secret-envs` reads. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * On the base side a named directory the base commit lacks is not an input error: the base build
   * fails on it and is reported as failed, as for any base that cannot be built.
   */
  readonly side: 'head' | 'base';
}

/** The variable of the docker client's environment that the `index`th secret is read from. */
export const secretVariable = (index: number): string => `IMAGE_BUDGET_SECRET_${index}`;

export async function resolveSettings(settings: BuildSettings, where: SettingsPlace): Promise<ResolvedSettings> {
  const masks: string[] = [];
  const secrets: SecretMount[] = [];
  for (const [i, s] of settings.secrets.entries()) {
    if (s.kind === 'file') {
      const src = await existing(where.workspace, s.path, INPUT.secretFiles, `${s.id}=${s.path}`, 'file');
      masks.push(...(await fileMasks(src)));
      secrets.push({ id: s.id, src });
      continue;
    }
    const value = s.kind === 'value' ? s.value : where.env[s.variable];
    if (value === undefined) {
      throw new InputError(INPUT.secretEnvs, `${s.id}=${s.kind === 'env' ? s.variable : ''}`, 'id=VARIABLE, VARIABLE set in the step\'s env', {
        problem: 'names a variable that is not set'
      });
    }
    if (value !== '') masks.push(value);
    secrets.push({ id: s.id, env: secretVariable(i), value });
  }
  const ssh = [];
  for (const x of settings.ssh) {
    // `default` or a bare id is the agent of SSH_AUTH_SOCK, which buildx would otherwise miss mid-build.
    if (x.path === undefined && !where.env.SSH_AUTH_SOCK) {
      throw new InputError(INPUT.ssh, x.id, 'id=path (a key or socket), or an agent: SSH_AUTH_SOCK set, e.g. by webfactory/ssh-agent', {
        problem: 'needs an SSH agent, and SSH_AUTH_SOCK is not set'
      });
    }
    ssh.push(x.path === undefined ? x : { id: x.id, path: await existing(where.workspace, x.path, INPUT.ssh, `${x.id}=${x.path}`, 'any') });
  }
  const contexts: Array<readonly [string, string]> = [];
  for (const c of settings.contexts) {
    if (c.kind === 'image') contexts.push([c.name, `docker-image://${c.ref}`]);
    else if (c.kind === 'target') contexts.push([c.name, `target:${c.stage}`]);
    else contexts.push([c.name, await namedDirectory(where, c.path)]);
  }
  return { plan: { ...settings, secrets, ssh, contexts }, masks };
}

/** A named directory, confined to the side's root like `context`. */
async function namedDirectory(where: SettingsPlace, value: string): Promise<string> {
  if (where.side === 'head') return resolveInside(where.root, value, INPUT.buildContexts, 'directory');
  // Written against the workspace (`${{ github.workspace }}/other`): the same place in the base checkout.
  const rel = path.isAbsolute(value) ? path.relative(where.workspace, value) : value;
  const found = await resolveInsideIfExists(where.root, rel, INPUT.buildContexts, 'directory');
  return found ?? path.resolve(where.root, rel);
}

async function existing(workspace: string, value: string, input: string, shown: string, kind: 'file' | 'any'): Promise<string> {
  const p = path.resolve(workspace, value);
  const st = await stat(p).catch(() => undefined);
  if (st === undefined) throw new InputError(input, shown, `an existing ${kind === 'file' ? 'file' : 'path'}; not found at ${p}`);
  if (kind === 'file' && !st.isFile()) throw new InputError(input, shown, `a file; ${p} is not one`);
  return p;
}

/** The content of a small secret file, whole and line by line, to be masked. */
async function fileMasks(file: string): Promise<string[]> {
  if ((await stat(file)).size > MASKED_FILE_MAX) return [];
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= MASKED_LINE_MIN);
  return [...new Set([text.trim(), ...lines].filter((v) => v.length >= 3))];
}
