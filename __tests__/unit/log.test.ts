import { describe, expect, it } from '@jest/globals';
import { neutralizeCommands } from '../../src/log.js';
import { failureMessage } from '../../src/report/policy.js';
import type { JudgedRow, Outcome } from '../../src/model.js';

/** What the runner would take as a workflow command: a line starting (after blanks) with `::`, or holding `##[`. */
const isCommand = (line: string): boolean => /^\s*::[a-z-]+/i.test(line) || line.includes('##[');

describe('neutralizeCommands', () => {
  it.each([
    ['::add-mask::secret', ':\u200b:add-mask::secret'],
    ['  ::error title=x::forged', '  :\u200b:error title=x::forged'],
    ['x##[error]forged', 'x#\u200b#[error]forged'],
    ['a\n::stop-commands::t\nb', 'a\n:\u200b:stop-commands::t\nb'],
    ['progress 10%\r::add-mask::x', 'progress 10%\r:\u200b:add-mask::x'],
    ['crlf\r\n  ::warning::w', 'crlf\r\n  :\u200b:warning::w'],
    ['::a\n\n::b', ':\u200b:a\n\n:\u200b:b'],
    ['api/release (linux/amd64): +1.2 MB exceeds max-increase 10%', 'api/release (linux/amd64): +1.2 MB exceeds max-increase 10%'],
    ['path a::b stays', 'path a::b stays']
  ])('%j', (input, expected) => {
    expect(neutralizeCommands(input)).toBe(expected);
    for (const line of neutralizeCommands(input).split(/\r\n|\r|\n/)) expect(isCommand(line)).toBe(false);
  });
});

describe('failureMessage with labels from an untrusted report', () => {
  it('never yields a line the runner reads as a command', () => {
    const row: JudgedRow = {
      image: '::add-mask::o',
      target: 'x##[error title=Security]leaked',
      platform: '::set-output name=a::b',
      status: 'head-failed',
      head: { state: 'failed', error: 'boom' },
      base: { state: 'absent' },
      verdicts: [{ rule: 'build', ok: false, reason: '::warning::forged' }],
      regressed: true
    };
    const outcome: Outcome = { metric: 'compressed', rows: [row], regressed: true, changed: true, head: { sha: 'a'.repeat(40) }, notes: [] };
    const message = failureMessage(outcome) ?? '';
    expect(message).toContain('add-mask');
    for (const line of message.split('\n')) expect(isCommand(line)).toBe(false);
  });
});
