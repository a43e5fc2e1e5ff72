import { describe, expect, test } from '@jest/globals';
import { parseStages, resolveTargets, type ResolvedTarget, type Stage } from '../../src/dockerfile/stages.js';
import { InputError } from '../../src/inputs/errors.js';
import { inputError } from '../support/input-error.js';


const lines = (...l: string[]): string => l.join('\n');

describe('parseStages', () => {
  test.each<[string, string, Stage[]]>([
    ['empty file', '', []],
    ['no FROM', lines('# just a comment', 'ARG X=1'), []],
    ['one unnamed stage', 'FROM scratch', [{ index: 0, base: 'scratch', line: 1 }]],
    [
      'named stages, case-insensitive FROM and AS, names lowercased',
      lines('FROM image-budget/busybox:latest AS Builder', 'RUN true', 'from scratch as release', 'COPY --from=builder /x /x'),
      [
        { index: 0, name: 'builder', base: 'image-budget/busybox:latest', line: 1 },
        { index: 1, name: 'release', base: 'scratch', line: 3 }
      ]
    ],
    [
      '--platform flag before the image',
      lines('FROM --platform=$BUILDPLATFORM golang:1.22 AS build', 'FROM --platform=linux/amd64 scratch'),
      [
        { index: 0, name: 'build', base: 'golang:1.22', line: 1 },
        { index: 1, base: 'scratch', line: 2 }
      ]
    ],
    [
      'ARG before FROM and a variable base',
      lines('ARG BASE=scratch', 'FROM ${BASE} AS final'),
      [{ index: 0, name: 'final', base: '${BASE}', line: 2 }]
    ],
    [
      'comments, blank lines and indentation',
      lines('# syntax=docker/dockerfile:1', '', '  # FROM commented AS out', '   FROM scratch AS a', '', '\tFROM a AS b'),
      [
        { index: 0, name: 'a', base: 'scratch', line: 4 },
        { index: 1, name: 'b', base: 'a', line: 6 }
      ]
    ],
    [
      'CRLF line endings and a BOM',
      '\uFEFFFROM scratch AS a\r\nRUN x\r\nFROM a AS b\r\n',
      [
        { index: 0, name: 'a', base: 'scratch', line: 1 },
        { index: 1, name: 'b', base: 'a', line: 3 }
      ]
    ],
    [
      'backslash continuation inside FROM',
      lines('FROM \\', '  scratch \\', '  AS split', 'FROM scratch'),
      [
        { index: 0, name: 'split', base: 'scratch', line: 1 },
        { index: 1, base: 'scratch', line: 4 }
      ]
    ],
    [
      'continuation with trailing spaces, comments and blank lines inside',
      lines('FROM scratch \\  ', '# a comment', '', '  AS late'),
      [{ index: 0, name: 'late', base: 'scratch', line: 1 }]
    ],
    [
      'a continued RUN hides a line starting with FROM',
      lines('FROM scratch AS a', 'RUN echo \\', 'FROM fake AS fake', 'FROM a AS b'),
      [
        { index: 0, name: 'a', base: 'scratch', line: 1 },
        { index: 1, name: 'b', base: 'a', line: 4 }
      ]
    ],
    [
      'escape=` directive: backtick continues, backslash does not',
      lines('# escape=`', 'FROM scratch `', '  AS win', 'RUN dir C:\\', 'FROM win AS next'),
      [
        { index: 0, name: 'win', base: 'scratch', line: 2 },
        { index: 1, name: 'next', base: 'win', line: 5 }
      ]
    ],
    [
      'escape directive after syntax, with spaces and any case',
      lines('# syntax=docker/dockerfile:1', '#  ESCAPE = `', 'RUN a `', 'FROM hidden', 'FROM scratch AS x'),
      [{ index: 0, name: 'x', base: 'scratch', line: 5 }]
    ],
    [
      'escape "directive" after a blank line is only a comment',
      lines('', '# escape=`', 'FROM scratch AS a `', 'FROM b AS c'),
      [
        { index: 0, name: 'a', base: 'scratch', line: 3 },
        { index: 1, name: 'c', base: 'b', line: 4 }
      ]
    ],
    [
      'RUN heredoc body is not instructions',
      lines('FROM scratch AS a', 'RUN <<EOF', 'FROM fake AS fake', 'echo hi', 'EOF', 'FROM a AS b'),
      [
        { index: 0, name: 'a', base: 'scratch', line: 1 },
        { index: 1, name: 'b', base: 'a', line: 6 }
      ]
    ],
    [
      'COPY heredoc with a quoted terminator',
      lines('FROM scratch', 'COPY <<"END" /etc/conf', 'FROM fake', 'END', 'from scratch AS last'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'last', base: 'scratch', line: 5 }
      ]
    ],
    [
      "<<-'EOF' strips leading tabs from the terminator",
      lines('FROM scratch', "RUN <<-'EOF'", '\tFROM fake', '\tEOF', 'FROM scratch AS z'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'z', base: 'scratch', line: 5 }
      ]
    ],
    [
      'without <<- an indented terminator does not end the heredoc',
      lines('FROM scratch', 'RUN <<EOF', '\tEOF', 'FROM fake', 'EOF', 'FROM scratch AS z'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'z', base: 'scratch', line: 6 }
      ]
    ],
    [
      'two heredocs on one line are read in order',
      lines('FROM scratch', 'COPY <<A <<B /dst/', 'FROM fake1', 'A', 'FROM fake2', 'B', 'FROM scratch AS z'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'z', base: 'scratch', line: 7 }
      ]
    ],
    [
      'heredoc with a file descriptor and on a continued line',
      lines('FROM scratch', 'RUN cat \\', '  3<<DATA', 'FROM fake', 'DATA', 'FROM scratch AS z'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'z', base: 'scratch', line: 6 }
      ]
    ],
    [
      '<< inside quotes is not a heredoc',
      lines('FROM scratch', 'RUN echo "a <<EOF"', 'FROM scratch AS z'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'z', base: 'scratch', line: 3 }
      ]
    ],
    [
      'heredocs only in RUN, COPY and ADD',
      lines('FROM scratch', 'LABEL x=<<EOF', 'FROM scratch AS z'),
      [
        { index: 0, base: 'scratch', line: 1 },
        { index: 1, name: 'z', base: 'scratch', line: 3 }
      ]
    ],
    [
      'unterminated heredoc runs to the end of the file',
      lines('FROM scratch', 'RUN <<EOF', 'FROM fake AS fake'),
      [{ index: 0, base: 'scratch', line: 1 }]
    ]
  ])('%s', (_name, text, stages) => {
    expect(parseStages(text)).toEqual(stages);
  });
});

describe('resolveTargets', () => {
  const named = parseStages(lines('FROM scratch AS builder', 'FROM builder AS release'));
  const lastUnnamed = parseStages(lines('FROM scratch AS builder', 'FROM builder'));

  test.each<[string, Stage[], string[], ResolvedTarget[]]>([
    ['no targets: last named stage', named, [], [{ name: 'release', stage: 'release' }]],
    ['no targets: last stage unnamed', lastUnnamed, [], [{ name: 'default', stage: undefined }]],
    [
      'requested targets in order',
      named,
      ['release', 'builder'],
      [
        { name: 'release', stage: 'release' },
        { name: 'builder', stage: 'builder' }
      ]
    ],
    ['case-insensitive match gives the stage name', named, ['RELEASE'], [{ name: 'release', stage: 'release' }]],
    ['a named stage before an unnamed last one', lastUnnamed, ['builder'], [{ name: 'builder', stage: 'builder' }]]
  ])('%s', (_name, stages, requested, resolved) => {
    expect(resolveTargets(stages, requested, 'Dockerfile')).toEqual(resolved);
  });

  test('an unknown target lists the stages and names the Dockerfile', () => {
    const e = inputError(() => resolveTargets(named, ['release', 'relase'], 'Dockerfile'));
    expect(e.input).toBe('targets');
    expect(e.value).toBe('relase');
    expect(e.message).toBe(`Invalid input 'targets': "relase" is not a stage of Dockerfile (stages: builder, release)`);
  });

  test('an unknown target with no named stages says how to name one', () => {
    const e = inputError(() => resolveTargets(parseStages('FROM scratch'), ['app'], 'app/Dockerfile'));
    expect(e.message).toBe(
      `Invalid input 'targets': "app" is not a stage of app/Dockerfile (app/Dockerfile has no named stages; name one with FROM <image> AS <name>)`
    );
  });

  test.each([
    ['no targets', []],
    ['with targets', ['release']]
  ])('a Dockerfile without FROM fails on input file (%s)', (_name, requested) => {
    const e = inputError(() => resolveTargets(parseStages('# nothing here\n'), requested, 'docker/Dockerfile.ci'));
    expect(e.input).toBe('file');
    expect(e.message).toBe(
      `Invalid input 'file': "docker/Dockerfile.ci" has no FROM instruction (expected a Dockerfile with at least one FROM instruction)`
    );
  });
});
