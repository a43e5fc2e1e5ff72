// Security requirement 10 end to end (issue 16, item 3): a pull request's Dockerfile prints workflow
// commands behind every kind of blank the runner trims (NEL, no-break and other Unicode spaces,
// vertical tab) and behind lone carriage returns; the bundled action, run as the runner runs it on a
// real engine, streams that build log to its stdout, and no line of it is a command for the runner.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../support/engine.js';
import { GIT_ISOLATION, runGit } from '../support/git-fixture.js';
import { parseReport, usePrHarness } from '../support/pr-run.js';
import { NODE24, type ActionRun } from '../support/run-action.js';
import { runnerCommands, type RunnerCommand } from '../support/runner-commands.js';

jest.setTimeout(6 * 60_000);

const h = usePrHarness();

// printf (busybox) writes these bytes: octal escapes are UTF-8 (\302\205 is U+0085 NEL).
const FORGED = [
  'x\\r\\302\\205::stop-commands::pwn42\\n',
  '\\302\\240::add-mask::nbsp42\\n',
  '\\342\\200\\250::error title=forged::lsep42\\n',
  '\\343\\200\\200::warning::ideo42\\n',
  '\\341\\232\\200::notice::ogham42\\n',
  '\\v\\f::debug::vt42\\r\\n',
  'progress 10%%\\r\\302\\205  ::group::cr42\\n',
  'y\\r##[error]legacy42\\n'
].join('');

const BASE = 'FROM image-budget/busybox:latest AS release\nRUN echo base > /b\n';
const HEAD = [
  'FROM image-budget/busybox:latest AS release',
  `RUN printf '${FORGED}' && echo head > /b`,
  'FROM image-budget/busybox:latest AS broken',
  // A failing step: its output also reaches the warnings, the error and the comment.
  `RUN printf '${FORGED}' >&2 && exit 3`,
  ''
].join('\n');

const TAGS = ['pwn42', 'nbsp42', 'lsep42', 'ideo42', 'ogham42', 'vt42', 'cr42', 'legacy42'];

/** Every tag is on a line that the build printed (not only in the echo of its RUN instruction). */
function expectPrinted(output: string): void {
  const printed = output.split(/\r\n|\r|\n/).filter((l) => !l.includes('printf'));
  for (const tag of TAGS) expect([tag, printed.some((l) => l.includes(tag))]).toEqual([tag, true]);
}

/** A forged command's data is the tag it printed (the action's own error may quote the log). */
const forged = (output: string): RunnerCommand[] =>
  [...runnerCommands(output), ...runnerCommands(output, { culture: true })].filter((c) => /^[a-z]+42$/.test(c.data));

describe('build output that forges workflow commands (security 10, issue 16)', () => {
  let run: ActionRun;

  beforeAll(async () => {
    const f = await h.pr({ Dockerfile: BASE }, { Dockerfile: HEAD }, 1603);
    run = await h.runOnPr(f, { targets: 'release, broken', baseline: 'none' });
  });

  test('the forged lines reached the log, as text', () => {
    expectPrinted(run.stdout);
    // The build ran and the broken target failed the step, with the action's own commands intact.
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/broken/);
  });

  test('no line of stdout or stderr is a command the runner would run, but the action’s own', () => {
    expect(forged(run.stdout)).toEqual([]);
    expect(forged(run.stderr)).toEqual([]);
    // The action's own commands are still read as commands (the emulation is not blind).
    expect(runnerCommands(run.stdout).some((c) => c.command === 'error')).toBe(true);
  });
});

describe('the command line run in a workflow step: what it prints is read by the runner too', () => {
  const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
  const cli = (args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const env = { ...process.env, ...GIT_ISOLATION, NO_COLOR: '1' };
      execFile(NODE24, [CLI, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });

  test('compare --verbose and --json: no forged command on stdout or stderr; the JSON data is unchanged', async () => {
    const dir = await h.temp('ib-cli-commands-');
    await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
    await writeFile(path.join(dir, 'Dockerfile'), BASE);
    await runGit(dir, ['add', '--all']);
    await runGit(dir, ['commit', '--quiet', '-m', 'base']);
    await runGit(dir, ['checkout', '--quiet', '-b', 'feature']);
    await writeFile(path.join(dir, 'Dockerfile'), HEAD);
    await runGit(dir, ['commit', '--quiet', '--all', '-m', 'head']);
    const args = ['compare', '--base', 'main', '--targets', 'release,broken', '--network', 'none'];

    const verbose = await cli([...args, '--verbose'], dir);
    expect(verbose.code).toBe(1);
    expectPrinted(verbose.stderr);
    expect(forged(verbose.stdout)).toEqual([]);
    expect(forged(verbose.stderr)).toEqual([]);

    const json = await cli([...args, '--json'], dir);
    expect(json.code).toBe(1);
    expect(json.stdout).toContain('legacy42');
    expect(forged(json.stdout)).toEqual([]);
    expect(forged(json.stderr)).toEqual([]);
    // The failed build's error holds the very bytes that were printed.
    const broken = parseReport(json.stdout).targets.find((t) => t.target === 'broken');
    expect(broken?.head.state === 'failed' && broken.head.error).toContain('y\r##[error]legacy42');
  });
});
