// `image-budget compare`: parses its flags with the action's input parser, describes the local
// checkout as an event (git through src/git/git.ts), and hands both to measureAndCompare (plan,
// build, measure, compare, judge), exactly the pipeline the action runs; it then prints the outcome
// (terminal table or JSON report) instead of publishing it, and exits by the verdict. Live build
// output goes to stderr with --verbose, never to stdout.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { ExecError } from '../exec.js';
import { Git, GitError } from '../git/git.js';
import { parseRepoFullName, type EventContext, type RepoRef } from '../github/event.js';
import { parseInputs } from '../inputs/inputs.js';
import { INPUT } from '../inputs/names.js';
import { neutralizeJsonCommands } from '../log.js';
import type { Inputs, Outcome } from '../model.js';
import { measureAndCompare } from '../pipeline/run.js';
import { buildReport } from '../report/report.js';
import { failureMessage } from '../report/policy.js';
import { renderOutcome } from '../report/terminal.js';
import { colourWanted, painter } from '../report/terminal-text.js';
import { TOOL } from '../tool.js';
import { EXIT, type CompareCommand } from './args.js';
import { cleanUpOnInterrupt, runCleanups } from './cleanups.js';
import { CliError, terminalWidth, type CliIO } from './io.js';
import { Progress } from './progress.js';

/**
 * Where the command line's defaults differ from action.yml's (the rest are DEFAULTS, applied by
 * parseInputs): a laptop has no Actions cache, and nothing is posted anywhere.
 */
const CLI_DEFAULTS: Readonly<Record<string, string>> = {
  [INPUT.cache]: 'none',
  [INPUT.comment]: 'never'
};

const gitAt = (dir: string, io: CliIO): Git => new Git(dir, { exec: io.exec, env: io.env });

/** The working tree's top level: the workspace of the pipeline, which the base checkout mirrors. */
async function repositoryRoot(io: CliIO): Promise<string> {
  try {
    return await realpath(await gitAt(io.cwd, io).topLevel());
  } catch (e) {
    if (e instanceof ExecError) throw new CliError(`compare needs git: ${errorMessage(e)}`);
    if (!(e instanceof GitError)) throw e;
    throw new CliError(`compare runs inside a git checkout, and ${io.cwd} is not in one${e.reason ? ` (git: ${e.reason})` : ''}`);
  }
}

/**
 * Paths on the command line are relative to where it runs, as with `docker build`; the pipeline
 * takes them relative to the repository root, so that the same path names the same place in the
 * base commit's checkout. Outside the repository stays outside (`../x`): resolveInside refuses it.
 */
function fromRoot(root: string, cwd: string, value: string): string {
  return path.relative(root, path.resolve(cwd, value)) || '.';
}

function compareInputs(command: CompareCommand, root: string, cwd: string): Inputs {
  const given = new Map<string, string>(command.inputs);
  // The default context is the current directory, not the repository root.
  given.set(INPUT.context, fromRoot(root, cwd, given.get(INPUT.context) ?? '.'));
  const file = given.get(INPUT.file);
  if (file !== undefined) given.set(INPUT.file, fromRoot(root, cwd, file));
  return parseInputs((name) => given.get(name) ?? CLI_DEFAULTS[name] ?? '');
}

// A hosted remote, `https://host/owner/name(.git)` or `git@host:owner/name(.git)`; its last two path
// segments are the repository (GitLab subgroups included). A local path or file:// URL names none.
const HOSTED_REMOTE = [
  /^(?:https?|ssh|git):\/\/[^/\s]+\/(?:\S+\/)?([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/,
  /^[^@/\s]+@[^:/\s]+:(?:\S+\/)?([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/
];

/** `owner/name` from the origin remote's URL, for the report's `repository`. */
function repoFromRemote(url: string | undefined): RepoRef | undefined {
  if (url === undefined) return undefined;
  for (const pattern of HOSTED_REMOTE) {
    const m = pattern.exec(url.trim());
    if (m) return parseRepoFullName(`${m[1]}/${m[2]}`);
  }
  return undefined;
}

/** The local checkout as the event the pipeline reads: the head is HEAD (and the working tree). */
async function localEvent(git: Git): Promise<EventContext> {
  const headSha = await git.revParseCommit('HEAD');
  if (headSha === undefined) throw new CliError(`the repository at ${git.repoDir} has no commit yet: commit something to compare with the base`);
  return {
    event: 'local',
    repo: repoFromRemote(await git.remoteUrl('origin')),
    headSha,
    ref: await git.headRef(),
    baseSha: undefined,
    defaultBranch: undefined
  };
}

export async function compareCommand(command: CompareCommand, io: CliIO): Promise<number> {
  const progress = new Progress(io.stderr, painter(colourWanted(io.env, io.stderr.isTTY === true)), command.verbose);
  const root = await repositoryRoot(io);
  const inputs = compareInputs(command, root, await realpath(io.cwd));
  const git = gitAt(root, io);
  const event = await localEvent(git);
  // The base must be known here: the pipeline would fall back to fetching it from origin and, failing
  // that, to "baseline unavailable", which on a laptop is almost always a typo.
  const baseRef = inputs.baseRef;
  if (baseRef === undefined) throw new CliError('compare needs --base REF');
  if ((await git.revParseCommit(baseRef)) === undefined) {
    throw new CliError(
      `--base ${JSON.stringify(baseRef)} names no commit of the repository at ${root}; name a branch, tag or commit ` +
        `(e.g. origin/${baseRef}), or fetch it first: git fetch origin ${baseRef}`
    );
  }

  const cleanups: Array<() => Promise<unknown>> = [];
  const release = cleanUpOnInterrupt(cleanups, progress);
  try {
    // The workspace is the repository root whatever GITHUB_WORKSPACE says (the CLI may run in a job).
    const env = { ...io.env, GITHUB_WORKSPACE: root };
    const result = await measureAndCompare({ env, exec: io.exec, log: progress }, inputs, event, cleanups);
    const outcome = await withWorkingTreeNote(git, inputs, result.outcome);
    progress.close();

    if (command.json) {
      const report = buildReport(outcome, {
        tool: TOOL,
        event: event.event,
        repository: event.repo ? `${event.repo.owner}/${event.repo.name}` : '',
        createdAt: new Date().toISOString()
      });
      io.stdout.write(neutralizeJsonCommands(`${JSON.stringify(report, null, 2)}\n`));
    } else {
      const width = terminalWidth(io.stdout);
      io.stdout.write(renderOutcome(outcome, { colour: colourWanted(io.env, io.stdout.isTTY === true), details: inputs.details, advice: inputs.advice, ...(width ? { width } : {}) }));
    }

    if (result.headFailures.length > 0 || outcome.regressed) {
      // The table says it already; the JSON report needs a word on stderr.
      if (command.json) progress.warning(failureMessage(outcome) ?? `Head build failed:\n${result.headFailures.join('\n')}`);
      return EXIT.regressed;
    }
    if (!outcome.base) {
      // Asked for a comparison and got none: not a pass.
      progress.warning(`no comparison: the base ${baseRef} could not be checked out (see the notes)`);
      return EXIT.error;
    }
    return EXIT.ok;
  } finally {
    await runCleanups(cleanups, progress);
    release();
  }
}

/** The head is what is on disk: say so when that is not the commit the report names. */
async function withWorkingTreeNote(git: Git, inputs: Inputs, outcome: Outcome): Promise<Outcome> {
  const paths = [inputs.context, ...(inputs.file ? [inputs.file] : [])];
  // A status git cannot give is no reason to fail a finished comparison: no note then.
  const changed = await git.hasChanges(paths).catch((e: unknown) => {
    if (e instanceof GitError) return false;
    throw e;
  });
  if (!changed) return outcome;
  const note = `The head is the working tree: ${inputs.context === '.' ? 'the repository' : inputs.context} has uncommitted changes on top of ${outcome.head.sha.slice(0, 12)}.`;
  return { ...outcome, notes: [...outcome.notes, note] };
}
