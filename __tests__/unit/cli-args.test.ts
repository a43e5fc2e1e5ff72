// The command line's argv parsing: every flag onto its action input, the accepted forms, and the
// errors (each naming the flag and what is accepted). Table-driven, no mocks: parseArgs is pure, and
// the parsed values go through the action's own parseInputs to show the two agree.
import { describe, expect, it } from '@jest/globals';
import { EXIT, UsageError, flagForInput, helpText, parseArgs, type Command } from '../../src/cli/args.js';
import { parseInputs } from '../../src/inputs/inputs.js';
import { INPUT } from '../../src/inputs/names.js';

/** A compare command's inputs as a plain object, for toEqual. */
function inputsOf(command: Command): Record<string, string> {
  if (command.command !== 'compare') throw new Error(`expected compare, got ${command.command}`);
  return Object.fromEntries(command.inputs);
}

function usageError(argv: readonly string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('compare flags map onto the action inputs', () => {
  const cases: ReadonlyArray<readonly [flag: string, input: string, value: string]> = [
    ['--targets', INPUT.targets, 'release,debug'],
    ['--context', INPUT.context, 'services/api'],
    ['--file', INPUT.file, 'docker/Dockerfile.prod'],
    ['--build-args', INPUT.buildArgs, 'VERSION=1.2'],
    ['--platforms', INPUT.platforms, 'linux/amd64,linux/arm64'],
    ['--network', INPUT.network, 'none'],
    ['--builder', INPUT.builder, 'ci-builder'],
    ['--cache', INPUT.cache, 'local=.cache'],
    ['--metric', INPUT.metric, 'uncompressed'],
    ['--max-increase', INPUT.maxIncrease, '10%'],
    ['--max-size', INPUT.maxSize, 'release=25MB'],
    ['--max-layers', INPUT.maxLayers, '12'],
    ['--max-wasted', INPUT.maxWasted, '5MB'],
    ['--details', INPUT.details, 'none']
  ];
  it.each(cases)('%s VALUE sets %s', (flag, input, value) => {
    expect(inputsOf(parseArgs(['compare', '--base', 'main', flag, value]))).toEqual({ [INPUT.baseRef]: 'main', [input]: value });
  });
  it.each(cases)('%s=VALUE sets %s too', (flag, input, value) => {
    expect(inputsOf(parseArgs(['compare', '--base=main', `${flag}=${value}`]))).toEqual({ [INPUT.baseRef]: 'main', [input]: value });
  });
  it.each(cases)('flagForInput(%s) names the flag back', (flag, input) => {
    expect(flagForInput(input)).toBe(flag);
  });
  it('--base is base-ref, and inputs without a flag have none', () => {
    expect(flagForInput(INPUT.baseRef)).toBe('--base');
    expect(flagForInput(INPUT.githubToken)).toBeUndefined();
    expect(flagForInput(INPUT.comment)).toBeUndefined();
  });
});

describe('parseArgs: commands', () => {
  const cases: ReadonlyArray<readonly [name: string, argv: readonly string[], expected: Command]> = [
    ['--help', ['--help'], { command: 'help' }],
    ['-h', ['-h'], { command: 'help' }],
    ['help compare', ['help', 'compare'], { command: 'help', topic: 'compare' }],
    ['--help measure', ['--help', 'measure'], { command: 'help', topic: 'measure' }],
    ['compare --help, whatever else is there', ['compare', '--bogus', '--help'], { command: 'help', topic: 'compare' }],
    ['measure -h', ['measure', '-h'], { command: 'help', topic: 'measure' }],
    ['--version', ['--version'], { command: 'version' }],
    ['-V', ['-V'], { command: 'version' }],
    ['compare --version', ['compare', '--version'], { command: 'version' }],
    ['measure an engine image', ['measure', 'myapp:1.2'], { command: 'measure', source: 'myapp:1.2', details: undefined, advice: undefined, json: false, verbose: false }],
    [
      'measure an archive, with switches before the source',
      ['measure', '--json', '--verbose', 'out/app.tar'],
      { command: 'measure', source: 'out/app.tar', details: undefined, advice: undefined, json: true, verbose: true }
    ],
    ['measure with --details', ['measure', 'x.tar', '--details', 'layers'], { command: 'measure', source: 'x.tar', details: 'layers', advice: undefined, json: false, verbose: false }],
    ['measure a path starting with "-" after --', ['measure', '--', '-odd.tar'], { command: 'measure', source: '-odd.tar', details: undefined, advice: undefined, json: false, verbose: false }],
    ['measure with --advice false', ['measure', 'x.tar', '--advice=false'], { command: 'measure', source: 'x.tar', details: undefined, advice: 'false', json: false, verbose: false }],
    ['measure "-" (a source, not a flag)', ['measure', '-'], { command: 'measure', source: '-', details: undefined, advice: undefined, json: false, verbose: false }]
  ];
  it.each(cases)('%s', (_name, argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });

  it('compare: switches and lists', () => {
    const command = parseArgs([
      'compare',
      '--json',
      '--base',
      'origin/main',
      '--targets',
      'release',
      '--targets=debug',
      '--build-args',
      'A=1',
      '--build-args=B=x=y',
      '--verbose',
      '--max-layers',
      '-1'
    ]);
    expect(command).toMatchObject({ command: 'compare', json: true, verbose: true });
    // Lists given twice are joined as the action input holds them; a value may start with one "-".
    expect(inputsOf(command)).toEqual({
      [INPUT.baseRef]: 'origin/main',
      [INPUT.targets]: 'release,debug',
      [INPUT.buildArgs]: 'A=1\nB=x=y',
      [INPUT.maxLayers]: '-1'
    });
  });

  it("the parsed flags read through the action's parseInputs as the action reads its inputs", () => {
    const command = parseArgs([
      'compare',
      '--base',
      'main',
      '--targets',
      'release',
      '--targets',
      'debug',
      '--build-args',
      'VERSION=1.2',
      '--build-args',
      'TOKEN=s=e=c',
      '--max-increase',
      'release=5%',
      '--max-increase',
      '20MB',
      '--metric',
      'uncompressed'
    ]);
    const given = new Map<string, string>(command.command === 'compare' ? command.inputs : []);
    const inputs = parseInputs((name) => given.get(name) ?? '');
    expect(inputs.baseRef).toBe('main');
    expect(inputs.targets).toEqual(['release', 'debug']);
    expect(inputs.buildArgs).toEqual([
      ['VERSION', '1.2'],
      ['TOKEN', 's=e=c']
    ]);
    expect(inputs.metric).toBe('uncompressed');
    expect(inputs.budgets.maxIncrease.fallback).toMatchObject({ kind: 'bytes', bytes: 20_000_000 });
    expect(inputs.budgets.maxIncrease.byTarget.get('release')).toMatchObject({ kind: 'percent', percent: 5 });
  });
});

describe('parseArgs: errors name the flag and the accepted forms', () => {
  const cases: ReadonlyArray<readonly [name: string, argv: readonly string[], message: RegExp, command: string | undefined]> = [
    ['no command', [], /^no command given \(expected compare or measure\)$/, undefined],
    ['unknown command, with a suggestion', ['comapre'], /^unknown command "comapre" \(expected compare or measure\) \(did you mean compare\?\)$/, undefined],
    ['a flag before the command', ['--json'], /^unknown command "--json" before a command/, undefined],
    ['help on an unknown command', ['help', 'frob'], /^unknown command "frob"/, undefined],
    ['compare without --base', ['compare', '--targets', 'release'], /^compare needs --base REF: .*\(e\.g\. --base main\)$/, 'compare'],
    ['--base at the end', ['compare', '--base'], /^--base needs a value: --base REF or --base=REF$/, 'compare'],
    ['--base followed by a flag', ['compare', '--base', '--json'], /^--base needs a value: --base REF or --base=REF$/, 'compare'],
    ['--base= empty', ['compare', '--base='], /^--base needs a value, not an empty one: --base REF or --base=REF$/, 'compare'],
    ['--max-size blank', ['compare', '--base', 'main', '--max-size', '  '], /^--max-size needs a value, not an empty one: --max-size SIZE or --max-size=SIZE$/, 'compare'],
    ['--details at the end of measure', ['measure', 'x', '--details'], /^--details needs a value: --details LIST or --details=LIST$/, 'measure'],
    ['a near miss', ['compare', '--bse', 'main'], /^unknown option "--bse" for compare \(did you mean --base\?\)$/, 'compare'],
    ['a far miss', ['compare', '--base', 'main', '--frobnicate'], /^unknown option "--frobnicate" for compare$/, 'compare'],
    ['a short flag', ['compare', '--base', 'main', '-x'], /^unknown option "-x" for compare$/, 'compare'],
    ['an option of the other command', ['measure', 'img', '--base', 'main'], /^unknown option "--base" for measure \(it is an option of compare\)$/, 'measure'],
    ['a value flag given twice', ['compare', '--base', 'a', '--base', 'b'], /^--base is given twice \("a" and "b"\); give it once$/, 'compare'],
    ['a switch given twice', ['compare', '--base', 'a', '--json', '--json'], /^--json is given twice$/, 'compare'],
    ['a switch with a value', ['compare', '--base', 'a', '--json=yes'], /^--json takes no value \(given "yes"\); write --json alone$/, 'compare'],
    ['a build arg without "="', ['compare', '--base', 'a', '--build-args', 'VERSION'], /^--build-args takes NAME=value \(--build-args NAME=value or --build-args=NAME=value\); this one has no "="$/, 'compare'],
    ['a build arg with a line break', ['compare', '--base', 'a', '--build-args', 'A=1\nB=2'], /^--build-args takes one NAME=value per flag; the value of "A" contains a line break$/, 'compare'],
    ['a stray argument to compare', ['compare', 'main'], /^compare takes no arguments, got "main" \(did you mean --base main\?\)$/, 'compare'],
    ['measure without a source', ['measure', '--json'], /^measure needs an image: measure IMAGE .* or measure PATH /, 'measure'],
    ['measure with two sources', ['measure', 'a.tar', 'b.tar'], /^measure takes one image or archive, got 2: "a\.tar", "b\.tar"$/, 'measure']
  ];
  it.each(cases)('%s', (_name, argv, message, command) => {
    const e = usageError(argv);
    expect(e.message).toMatch(message);
    expect(e.command).toBe(command);
  });

  it('never echoes a build-arg value', () => {
    const e = usageError(['compare', '--base', 'a', '--build-args', 'TOKEN=hunter2\nX=1']);
    expect(e.message).not.toContain('hunter2');
  });

  it('usage errors exit with 2, broken budgets with 1', () => {
    expect(EXIT).toEqual({ ok: 0, regressed: 1, error: 2 });
  });
});

describe('helpText', () => {
  const compareFlags = ['--base REF', '--targets LIST', '--context DIR', '--file PATH', '--build-args NAME=value', '--platforms LIST', '--network MODE',
    '--builder NAME', '--cache SPEC', '--metric METRIC', '--max-increase SIZE|PCT', '--max-size SIZE', '--max-layers N', '--max-wasted SIZE|PCT',
    '--details LIST', '--json', '--verbose', '-h, --help'];
  it.each(compareFlags)('compare help lists %s', (flag) => {
    expect(helpText('compare', '1.0.0')).toContain(`  ${flag} `);
  });
  it('compare help gives the exit codes', () => {
    expect(helpText('compare', '1.0.0')).toMatch(/Exit codes:\n {2}0 {2}within budget\n {2}1 {2}a budget is broken or a head build failed\n {2}2 /);
  });
  it.each(['--details LIST', '--json', '--verbose'])('measure help lists %s', (flag) => {
    expect(helpText('measure', '1.0.0')).toContain(`  ${flag} `);
  });
  it('measure help lists no compare-only flag', () => {
    expect(helpText('measure', '1.0.0')).not.toContain('--base');
  });
  it('the general help names both commands and the version', () => {
    const text = helpText(undefined, '1.2.3');
    expect(text.split('\n')[0]).toBe('image-budget 1.2.3: keep Docker images lean');
    expect(text).toContain('image-budget compare --base REF');
    expect(text).toContain('image-budget measure IMAGE|ARCHIVE');
  });
});
