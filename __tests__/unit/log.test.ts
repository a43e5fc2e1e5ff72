import { describe, expect, it, test } from '@jest/globals';
import fc from 'fast-check';
import { DeferredLog, KEPT_OUTPUT_MAX, neutralizeCommands, neutralizeJsonCommands, type Log } from '../../src/log.js';
import { secretMasker } from '../../src/buildx/failure.js';
import { runnerCommand, runnerCommands } from '../support/runner-commands.js';
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

/** No line the runner reads (ordinal, or culture-aware with ignorables skipped) is a command. */
function expectNoCommand(output: string): void {
  expect(runnerCommands(output)).toEqual([]);
  expect(runnerCommands(output, { culture: true })).toEqual([]);
}

// What can stand before a command: every .NET whitespace (TrimStart), line ends, controls, and
// zero-width and format characters.
const BEFORE = [
  ...'\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000',
  '\r\n',
  ...'\u0000\u0001\u001b\u007f\u0080\u009b\u009f\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2060\u2064\u2066\u2069\ufeff'
];
const PIECES = [...BEFORE, '::', ':', '##[', '#', '[', ']', 'stop-commands', 'add-mask', 'ERROR', 'x', 'pwn42', ' file=a,title=b', '%0A'];
/** A would-be command: blanks and controls, then `::name::data` or `##[name]data`. */
const forged = fc
  .tuple(fc.array(fc.constantFrom(...BEFORE), { maxLength: 4 }), fc.constantFrom('stop-commands', 'add-mask', 'Error', 'group'), fc.boolean())
  .map(([before, name, v2]) => `${before.join('')}${v2 ? `::${name}::pwn42` : `x##[${name}]pwn42`}`);
const output = fc.array(fc.oneof(forged, fc.constantFrom(...PIECES)), { maxLength: 24 }).map((p) => p.join(''));

describe('neutralizeCommands against the runner (split at \\r, \\n, \\r\\n; TrimStart; `::` or `##[`)', () => {
  it.each([
    ['NEL after a lone CR', 'x\r\u0085::stop-commands::pwn42'],
    ['NEL at the start', '\u0085::add-mask::x'],
    ['no-break space after LF', 'a\n\u00a0::error::forged'],
    ['ideographic space', '\u3000::warning::w'],
    ['line separator (whitespace, not a line end for the runner)', '\u2028::set-output name=a::b'],
    ['vertical tab and form feed', '\v\f::debug::d'],
    ['upper case', '\u0085::ADD-MASK::x']
  ])('%s', (_name, input) => {
    // The runner emulation reads the raw input as a command: the case is real.
    expect(runnerCommands(input)).not.toEqual([]);
    expectNoCommand(neutralizeCommands(input));
    // What a person reads: the same text with a zero-width space after the first colon.
    expect(neutralizeCommands(input)).toBe(input.replace('::', ':\u200b:'));
  });

  it.each([
    ['zero-width space', '\u200b::add-mask::x'],
    ['byte order mark', '\ufeff::add-mask::x'],
    ['controls', '\u0001\u001b::add-mask::x'],
    ['soft hyphen after a lone CR', 'x\r\u00ad::stop-commands::pwn42']
  ])('%s before `::` is no blank for TrimStart, but neutralized all the same', (_name, input) => {
    expectNoCommand(input);
    expect(neutralizeCommands(input)).toBe(input.replace('::', ':\u200b:'));
  });

  it('leaves ordinary output as it was', () => {
    const log = '#5 [2/3] RUN make\n#5 0.31 cc -o app main.c\n#5 DONE 1.2s\n\u001b[31mred\u001b[0m a::b http://x\r\n';
    expect(neutralizeCommands(log)).toBe(log);
  });

  it('property: no mix of whitespace, controls, line ends and command pieces yields a command', () => {
    fc.assert(
      fc.property(output, (text) => {
        expectNoCommand(neutralizeCommands(text));
      }),
      { numRuns: 3000 }
    );
  });

  it('property: nor does the live build log, cut into chunks anywhere and passed through the masker', () => {
    fc.assert(
      fc.property(
        output,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom<readonly string[]>([], ['pwn42'], ['add']),
        (text, cuts, secrets) => {
          const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((from, i) => text.slice(from, [...at, text.length][i]));
          let out = '';
          // As buildx/build.ts chains them: masker, lone CR made a line end, neutralizer.
          const masker = secretMasker(secrets, (t) => (out += neutralizeCommands(t.replace(/\r(?!\n)/g, '\n'))));
          for (const c of chunks) masker.write(c);
          masker.end();
          expectNoCommand(out);
        }
      ),
      { numRuns: 2000 }
    );
  });

  it('property: nor does any text printed in pieces cut anywhere, each neutralized alone', () => {
    fc.assert(
      fc.property(output, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => text.slice(from, [...at, text.length][i]));
        expectNoCommand(chunks.map(neutralizeCommands).join(''));
      }),
      { numRuns: 3000 }
    );
  });

  it.each([
    ['"::" cut in two at a line start', ['a\n:', ':add-mask::x'], 'a\n:\u200b:add-mask::x'],
    ['"##[" cut after the first #', ['x#', '#[error]y'], 'x#\u200b#[error]y'],
    ['"##[" cut before the [', ['x##', '[error]y'], 'x#\u200b#\u200b[error]y'],
    ['blanks, then "::" in the next piece', ['a\n\u0085 ', '::debug::d'], 'a\n\u0085 :\u200b:debug::d']
  ])('pieces: %s', (_name, pieces, expected) => {
    expect(pieces.map(neutralizeCommands).join('')).toBe(expected);
    expectNoCommand(expected);
  });

  it('JSON keeps its data: ##[ in a string is written #\\u0023[', () => {
    const value = { target: 'x##[add-mask]secret', note: '::error::x', nel: '\u0085::warning::w' };
    const json = neutralizeJsonCommands(JSON.stringify(value, null, 2));
    expect(JSON.parse(json)).toEqual(value);
    expect(json).toContain('"x#\\u0023[add-mask]secret"');
    expectNoCommand(json);
  });

  it('the emulation reads what the runner reads', () => {
    expect(runnerCommand('  ::add-mask::x')).toBe('add-mask');
    expect(runnerCommand('\u0085::Stop-Commands::t')).toBe('stop-commands');
    expect(runnerCommand('x ##[error]y')).toBe('error');
    expect(runnerCommand('x ::error::y')).toBeUndefined();
    expect(runnerCommand('::unknown::y')).toBeUndefined();
    expect(runnerCommand('\u200b::add-mask::x')).toBeUndefined();
    expect(runnerCommand('\u200b\u200b::add-mask::x', { culture: true })).toBeUndefined();
    expect(runnerCommands('a\r::debug::b\r\n::group::g\n')).toEqual([
      { line: '::debug::b', command: 'debug', data: 'b' },
      { line: '::group::g', command: 'group', data: 'g' }
    ]);
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

describe('DeferredLog: what a build beside another says, kept and written later in order', () => {
  type Line = string;
  const recorder = (): { log: Log; lines: Line[] } => {
    const lines: Line[] = [];
    return {
      lines,
      log: {
        info: (m) => lines.push(`info ${m}`),
        warning: (m) => lines.push(`warning ${m}`),
        output: (c) => lines.push(`output ${c}`),
        group: async (title, fn) => {
          lines.push(`group ${title}`);
          try {
            return await fn();
          } finally {
            lines.push('endgroup');
          }
        },
        mask: (v) => lines.push(`mask ${v}`)
      }
    };
  };

  test('lines and nested groups are replayed in order, as groups; masks reach the job at once', async () => {
    const job = recorder();
    const kept = new DeferredLog(job.log);
    kept.info('before');
    const value = await kept.group('Build base target a', async () => {
      kept.output('#1 step\n');
      kept.mask('s3cret');
      await kept.group('inner', async () => kept.warning('careful'));
      return 42;
    });
    kept.info('after');
    expect(value).toBe(42);
    expect(job.lines).toEqual(['mask s3cret']);
    await kept.replay(job.log);
    expect(job.lines).toEqual([
      'mask s3cret',
      'info before',
      'group Build base target a',
      'output #1 step\n',
      'group inner',
      'warning careful',
      'endgroup',
      'endgroup',
      'info after'
    ]);
  });

  test('output past the bound drops the oldest output, says how much, and keeps every message', async () => {
    const job = recorder();
    const kept = new DeferredLog(job.log);
    const chunk = 'x'.repeat(KEPT_OUTPUT_MAX / 4);
    kept.warning('first');
    await kept.group('g', async () => {
      for (let i = 0; i < 6; i++) kept.output(`${i}${chunk}`);
    });
    await kept.replay(job.log);
    const outputs = job.lines.filter((l) => l.startsWith('output '));
    expect(outputs[0]).toBe(`output [${3 * (chunk.length + 1)} characters of build output were not kept; the rest follows]\n`);
    expect(outputs.slice(1).map((l) => l.slice(7, 8))).toEqual(['3', '4', '5']);
    expect(job.lines).toContain('warning first');
  });
});
