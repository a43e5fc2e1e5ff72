// Runs one `docker buildx build` for one target (all its platforms at once) into an OCI layout.
import type { Exec } from '../exec.js';
import { buildxArgv, type BuildPlan } from './argv.js';
import { cacheProblems, lastErrorLine, summarizeBuildFailure } from './failure.js';

export type BuildOutcome =
  | { readonly ok: true; readonly layoutDir: string; readonly cacheProblems: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly detail: string; readonly cacheProblems: readonly string[] };

export interface BuildOptions {
  /** Build-arg values and other strings that must never appear in messages. */
  readonly secrets: readonly string[];
  /** Receives the build log as it is produced. */
  readonly onLog?: (chunk: string) => void;
  /** Environment of the buildx client (never of the build itself). */
  readonly env?: NodeJS.ProcessEnv;
}

export async function runBuild(exec: Exec, plan: BuildPlan, options: BuildOptions): Promise<BuildOutcome> {
  const result = await exec('docker', buildxArgv(plan), {
    cwd: plan.context,
    env: options.env,
    onStdout: options.onLog,
    onStderr: options.onLog,
    maxCapture: 256 * 1024
  });
  const log = `${result.stdout}\n${result.stderr}`;
  const problems = cacheProblems(log, options.secrets);
  if (result.code === 0) return { ok: true, layoutDir: plan.outputDir, cacheProblems: problems };
  return {
    ok: false,
    cacheProblems: problems,
    error: lastErrorLine(log, options.secrets) || `docker buildx build exited with code ${result.code}`,
    detail: summarizeBuildFailure(log, options.secrets)
  };
}
