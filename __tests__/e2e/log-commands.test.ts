// Security requirement 10 end to end (issue 16, item 3): a pull request's Dockerfile prints workflow
// commands behind every kind of blank the runner trims (NEL, no-break and other Unicode spaces,
// vertical tab) and behind lone carriage returns; the bundled action, run as the runner runs it on a
// real engine, streams that build log to its stdout, and no line of it is a command for the runner.
import { jest } from '@jest/globals';
import { usePrHarness } from '../support/pr-run.js';
import { type ActionRun } from '../support/run-action.js';
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
  'progress 10%\\r\\302\\205  ::group::cr42\\n',
  'y\\r##[error]legacy42\\n'
].join('');

describe('build output that forges workflow commands (security 10, issue 16)', () => {
  let run: ActionRun;

  beforeAll(async () => {
    const base = 'FROM image-budget/busybox:latest AS release\nRUN echo base > /b\n';
    const head = [
      'FROM image-budget/busybox:latest AS release',
      `RUN printf '${FORGED}' && echo head > /b`,
      'FROM image-budget/busybox:latest AS broken',
      // A failing step: its output also reaches the warnings, the error and the comment.
      `RUN printf '${FORGED}' >&2 && exit 3`,
      ''
    ].join('\n');
    const f = await h.pr({ Dockerfile: base }, { Dockerfile: head }, 1603);
    run = await h.runOnPr(f, { targets: 'release, broken', baseline: 'none' });
  });

  test('the forged lines reached the log, as text', () => {
    for (const tag of ['pwn42', 'nbsp42', 'lsep42', 'ideo42', 'ogham42', 'vt42', 'cr42', 'legacy42']) expect(run.stdout).toContain(tag);
    // The build ran and the broken target failed the step, with the action's own commands intact.
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/broken/);
  });

  test('no line of stdout or stderr is a command the runner would run, but the action’s own', () => {
    // A forged command's data is the tag it printed (the action's own error may quote the log).
    const forged = (c: RunnerCommand): boolean => /^[a-z]+42$/.test(c.data);
    for (const stream of [run.stdout, run.stderr]) {
      expect([...runnerCommands(stream), ...runnerCommands(stream, { culture: true })].filter(forged)).toEqual([]);
    }
    // The action's own commands are still read as commands (the emulation is not blind).
    expect(runnerCommands(run.stdout).some((c) => c.command === 'error')).toBe(true);
  });
});
