// Runs one `docker buildx build` for one target (all its platforms at once): into an OCI layout
// directory, or, when the plan streams (`stream: '-'`), as an OCI layout tar on buildx's stdout,
// handed to `onExport` while the build runs (the log is on stderr). Inline secrets reach buildx through the docker client's environment (`--secret id=…,env=…`),
// never through its argv.
import type { Readable } from 'node:stream';
import type { Exec } from '../exec.js';
import { buildxArgv, UnsafeBuildPlanError, type BuildPlan } from './argv.js';
import { neutralizeCommands } from '../log.js';
import { cacheProblems, lastErrorLine, secretMasker, summarizeBuildFailure } from './failure.js';

export type BuildOutcome =
  | { readonly ok: true; readonly layoutDir: string; readonly cacheProblems: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly detail: string; readonly cacheProblems: readonly string[] };

export interface BuildOptions {
  /** Build-arg values and other strings that must never appear in messages. */
  readonly secrets: readonly string[];
  /**
   * Receives the build log as it is produced, line by line: secrets masked (also one split across
   * writes), and the Dockerfile's output kept from reading as workflow commands (`::`, `##[`).
   */
  readonly onLog?: (chunk: string) => void;
  /** Environment of the buildx client (never of the build itself). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * With a plan that streams (`stream: EXPORT_STDOUT`): gets the export stream as buildx starts. It
   * must be read to its end (a failed build ends it early), or buildx blocks.
   */
  readonly onExport?: (stream: Readable) => void;
  /** Stops the build once aborted (buildx ends on SIGTERM); the outcome is then a failed build. */
  readonly signal?: AbortSignal;
}

/** Where buildx writes a streamed export: its stdout (`dest=-`), which runBuild hands to `onExport`. */
export const EXPORT_STDOUT = '-';

/** Captured output kept per stream; the failure summary reads its tail. */
const MAX_CAPTURE = 256 * 1024;

export async function runBuild(exec: Exec, plan: BuildPlan, options: BuildOptions): Promise<BuildOutcome> {
  let argv: string[];
  try {
    argv = buildxArgv(plan);
  } catch (e) {
    // A value that could be read as an option never reaches docker; like any failed build, a result.
    if (!(e instanceof UnsafeBuildPlanError)) throw e;
    return { ok: false, cacheProblems: [], error: e.message, detail: e.message };
  }
  // One masker per stream, so that interleaved stdout and stderr never join into a false line.
  // A lone carriage return ends a line for the runner as for a terminal: made a line break first.
  const onLog = options.onLog ? (text: string): void => options.onLog?.(neutralizeCommands(text.replace(/\r(?!\n)/g, '\n'))) : undefined;
  const out = onLog ? secretMasker(options.secrets, onLog) : undefined;
  const err = onLog ? secretMasker(options.secrets, onLog) : undefined;
  let result;
  try {
    result = await exec('docker', argv, {
      cwd: plan.context,
      env: withSecretEnv(options.env, plan),
      ...(out ? { onStdout: (c: string) => out.write(c) } : {}),
      ...(err ? { onStderr: (c: string) => err.write(c) } : {}),
      ...(plan.stream === EXPORT_STDOUT && options.onExport ? { takeStdout: options.onExport } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      maxCapture: MAX_CAPTURE
    });
  } finally {
    out?.end();
    err?.end();
  }
  // A capture that was cut may begin inside a secret, whose tail no mask would then match: drop that line.
  const whole = (s: string): string => (s.length >= MAX_CAPTURE ? s.slice(s.indexOf('\n') + 1) : s);
  const log = `${whole(result.stdout)}\n${whole(result.stderr)}`;
  const problems = cacheProblems(log, options.secrets);
  if (result.code === 0) return { ok: true, layoutDir: plan.outputDir, cacheProblems: problems };
  return {
    ok: false,
    cacheProblems: problems,
    error: lastErrorLine(log, options.secrets) || `docker buildx build exited with code ${result.code}`,
    detail: summarizeBuildFailure(log, options.secrets)
  };
}

/** The client's environment plus the variables the plan's `env=` secrets are read from. */
export function withSecretEnv(env: NodeJS.ProcessEnv | undefined, plan: BuildPlan): NodeJS.ProcessEnv | undefined {
  const mounts = (plan.build?.secrets ?? []).flatMap((m) => ('env' in m ? [m] : []));
  if (mounts.length === 0) return env;
  const out: NodeJS.ProcessEnv = { ...(env ?? process.env) };
  for (const m of mounts) out[m.env] = m.value;
  return out;
}
