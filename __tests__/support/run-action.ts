// Runs the bundled action (dist/index.js) the way the GitHub runner does: under Node 24, with every
// input as INPUT_<NAME> (action.yml defaults filled in, as the runner does), the event payload in a
// file at GITHUB_EVENT_PATH, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files to read back. The report
// a run writes (its `report` output) is held to docs/report.schema.json before the test sees it, so
// every report the action produces in a test is checked, read by the test or not.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './engine.js';
import { assertMatchesSchema } from './report-schema.js';

export const NODE24 = path.join(ROOT, 'node_modules', 'node', 'bin', 'node');
export const BUNDLE = path.join(ROOT, 'dist', 'index.js');

export interface ActionRunOptions {
  readonly workspace: string;
  readonly eventName: string;
  readonly payload: unknown;
  /** Inputs as a user writes them under `with:`; the rest take action.yml's defaults. */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Extra environment (GITHUB_API_URL, DOCKER_HOST, GITHUB_SHA...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Value of `${{ github.token }}`. */
  readonly token?: string;
  /** State saved by an earlier step of the same action (the runner passes it as STATE_<name>). */
  readonly state?: Readonly<Record<string, string>>;
}

export interface ActionRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly summary: string;
  /** `::error …::` / `::warning …::` workflow commands the run printed. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** What the run saved with core.saveState (GITHUB_STATE). */
  readonly state: Readonly<Record<string, string>>;
  /** RUNNER_TEMP of the run, to check what it left behind. */
  readonly runnerTemp: string;
}

interface ActionYml {
  inputs: Record<string, { default?: string }>;
}

export async function actionDefaults(token: string): Promise<Record<string, string>> {
  const yml = parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml;
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(yml.inputs)) {
    const d = spec.default;
    if (d === undefined) continue;
    out[name] = d === '${{ github.token }}' ? token : String(d);
  }
  return out;
}

/** Parses the GITHUB_OUTPUT file format written by @actions/core (`name<<DELIM … DELIM`). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const [, name, delim] = m;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i] ?? '');
    out[name!] = value.join('\n');
  }
  return out;
}

export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-runner-'));
  const eventPath = path.join(dir, 'event.json');
  const outputPath = path.join(dir, 'output.txt');
  const summaryPath = path.join(dir, 'summary.md');
  const statePath = path.join(dir, 'state.txt');
  const runnerTemp = path.join(dir, 'runner-temp');
  await writeFile(statePath, '');
  await writeFile(eventPath, JSON.stringify(options.payload));
  await writeFile(outputPath, '');
  await writeFile(summaryPath, '');
  const token = options.token ?? 'write-token';
  const inputs = { ...(await actionDefaults(token)), ...(options.inputs ?? {}) };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOCKER_HOST: process.env.DOCKER_HOST,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_RUN_ID: '1',
    GITHUB_STATE: statePath,
    RUNNER_TEMP: runnerTemp,
    ...options.env
  };
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(NODE24, [BUNDLE], { cwd: options.workspace, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const c = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code: c, stdout, stderr });
    });
  });
  const outputs = parseOutputFile(await readFile(outputPath, 'utf8'));
  const report = outputs.report;
  if (report && existsSync(report)) assertMatchesSchema(JSON.parse(await readFile(report, 'utf8')), `the report the run wrote (${report})`);
  const summary = await readFile(summaryPath, 'utf8');
  const commands = (kind: string): string[] =>
    stdout.split('\n').filter((l) => l.startsWith(`::${kind}`)).map((l) => l.replace(/^::[a-z]+[^:]*::/, ''));
  const state = parseOutputFile(await readFile(statePath, 'utf8'));
  return { code, stdout, stderr, outputs, summary, errors: commands('error'), warnings: commands('warning'), state, runnerTemp };
}

/** A `pull_request` payload as GitHub sends it, reduced to what the action reads. */
export function pullRequestPayload(pr: { number: number; baseSha: string; headSha: string; fork?: boolean }): unknown {
  return {
    action: 'synchronize',
    number: pr.number,
    pull_request: {
      number: pr.number,
      base: { sha: pr.baseSha, ref: 'main', repo: { full_name: 'o/r' } },
      head: { sha: pr.headSha, ref: 'feature', repo: { full_name: pr.fork ? 'someone/r' : 'o/r' } }
    },
    repository: { full_name: 'o/r', name: 'r', owner: { login: 'o' }, default_branch: 'main' }
  };
}
