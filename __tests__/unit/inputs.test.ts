import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/inputs/errors.js';
import { checkBudgetTargets, MAX_REPORT_ENTRIES, MAX_TARGETS, parseInputs, parseMode } from '../../src/inputs/inputs.js';
import { DEFAULTS, INPUT } from '../../src/inputs/names.js';
import { NO_BUILD_SETTINGS, type Inputs } from '../../src/model.js';
import { inputError } from '../support/input-error.js';

/** parseInputs over a plain map, trimming like core.getInput. */
function parse(values: Record<string, string> = {}): Inputs {
  return parseInputs((name) => (values[name] ?? '').trim());
}


describe('names', () => {
  test('every default belongs to a known input', () => {
    const names = new Set<string>(Object.values(INPUT));
    for (const key of Object.keys(DEFAULTS)) expect(names.has(key)).toBe(true);
  });
});

describe('parseInputs defaults', () => {
  test('all inputs empty gives the documented defaults', () => {
    const inputs = parse({ [INPUT.githubToken]: 'ghs_token' });
    expect(inputs).toEqual({
      context: '.',
      file: undefined,
      targets: [],
      config: undefined,
      buildArgs: [],
      platforms: [],
      network: undefined,
      builder: undefined,
      cache: { type: 'gha' },
      baseline: 'auto',
      baseRef: undefined,
      metric: 'compressed',
      budgets: {
        maxIncrease: { byTarget: new Map() },
        maxSize: { byTarget: new Map() },
        maxWasted: { byTarget: new Map() },
        maxLayers: { byTarget: new Map() }
      },
      failOnRegression: true,
      comment: 'always',
      commentKey: 'image-budget',
      details: ['layers', 'files', 'trend'],
      advice: true,
      githubToken: 'ghs_token',
      allowForkBuilds: false,
      mode: 'measure',
      reports: [],
      name: undefined,
      build: NO_BUILD_SETTINGS
    });
  });
});

describe('parseInputs accepts', () => {
  test.each<[string, Record<string, string>, Partial<Inputs>]>([
    ['context and file', { context: 'app', file: 'app/Dockerfile.prod' }, { context: 'app', file: 'app/Dockerfile.prod' }],
    ['config', { config: '.github/images.yml' }, { config: '.github/images.yml' }],
    ['targets by comma', { targets: 'release, debug' }, { targets: ['release', 'debug'] }],
    ['targets by newline', { targets: 'release\ndebug\n' }, { targets: ['release', 'debug'] }],
    ['targets keep their case', { targets: 'Release' }, { targets: ['Release'] }],
    ['50 targets', { targets: Array.from({ length: MAX_TARGETS }, (_, i) => `t${i}`).join(',') }, {}],
    [
      'build-args with commas and = in values',
      { 'build-args': 'A=1,2\nB_2=x=y\n\n_C=' },
      {
        buildArgs: [
          ['A', '1,2'],
          ['B_2', 'x=y'],
          ['_C', '']
        ]
      }
    ],
    // Each line is trimmed and blank lines are skipped; around "=", only the NAME is trimmed.
    [
      'build-args: lines trimmed, blank lines skipped, spaces before "=" dropped',
      { 'build-args': 'A=1 \n \t \nB =2' },
      {
        buildArgs: [
          ['A', '1'],
          ['B', '2']
        ]
      }
    ],
    ['platforms', { platforms: 'linux/amd64, linux/arm64/v8' }, { platforms: ['linux/amd64', 'linux/arm64/v8'] }],
    ['network default', { network: 'default' }, { network: 'default' }],
    ['network none', { network: 'none' }, { network: 'none' }],
    ['network host', { network: 'host' }, { network: 'host' }],
    ['builder', { builder: 'my-builder_1.x' }, { builder: 'my-builder_1.x' }],
    ['cache gha', { cache: 'gha' }, { cache: { type: 'gha' } }],
    ['cache none', { cache: 'none' }, { cache: { type: 'none' } }],
    ['cache local', { cache: 'local=/tmp/.buildx-cache' }, { cache: { type: 'local', dir: '/tmp/.buildx-cache' } }],
    ['cache local, space after =', { cache: 'local= /tmp/.buildx-cache' }, { cache: { type: 'local', dir: '/tmp/.buildx-cache' } }],
    [
      'cache registry, space after =',
      { cache: 'registry= ghcr.io/acme/app:buildcache' },
      { cache: { type: 'registry', ref: 'ghcr.io/acme/app:buildcache' } }
    ],
    [
      'cache registry',
      { cache: 'registry=ghcr.io/acme/app:buildcache' },
      { cache: { type: 'registry', ref: 'ghcr.io/acme/app:buildcache' } }
    ],
    ['baseline auto', { baseline: 'auto' }, { baseline: 'auto' }],
    ['baseline build', { baseline: 'build' }, { baseline: 'build' }],
    ['baseline report', { baseline: 'report' }, { baseline: 'report' }],
    ['baseline none', { baseline: 'none' }, { baseline: 'none' }],
    ['base-ref SHA', { 'base-ref': 'a'.repeat(40) }, { baseRef: 'a'.repeat(40) }],
    ['base-ref branch', { 'base-ref': 'origin/release/1.x' }, { baseRef: 'origin/release/1.x' }],
    ['base-ref of 255 characters', { 'base-ref': 'r'.repeat(255) }, { baseRef: 'r'.repeat(255) }],
    ['images: an engine image id', { images: 'sha256:' + 'b'.repeat(64) }, { images: { fallback: 'sha256:' + 'b'.repeat(64), byTarget: new Map() } }],
    ['images: a short id and a name per target', { images: 'release=0123456789ab,debug=myapp:debug' }, { images: { byTarget: new Map([['release', '0123456789ab'], ['debug', 'myapp:debug']]) } }],
    ['base-image for every target', { 'base-image': 'ghcr.io/acme/app:main' }, { baseImage: { fallback: 'ghcr.io/acme/app:main', byTarget: new Map() } }],
    [
      'base-image per target',
      { 'base-image': 'release=ghcr.io/acme/app:main, Debug=127.0.0.1:5000/app@sha256:' + 'a'.repeat(64) },
      { baseImage: { byTarget: new Map([['release', 'ghcr.io/acme/app:main'], ['debug', '127.0.0.1:5000/app@sha256:' + 'a'.repeat(64)]]) } }
    ],
    ['metric compressed', { metric: 'compressed' }, { metric: 'compressed' }],
    ['metric uncompressed', { metric: 'uncompressed' }, { metric: 'uncompressed' }],
    ['fail-on-regression false', { 'fail-on-regression': 'false' }, { failOnRegression: false }],
    ['fail-on-regression True', { 'fail-on-regression': 'True' }, { failOnRegression: true }],
    ['fail-on-regression FALSE', { 'fail-on-regression': 'FALSE' }, { failOnRegression: false }],
    ['allow-fork-builds true', { 'allow-fork-builds': 'true' }, { allowForkBuilds: true }],
    ['advice false', { advice: 'false' }, { advice: false }],
    // Each image of a config file has its own name: the job's is ignored (the step warns).
    ['name with config is ignored', { config: 'images.yml', name: 'api' }, { config: 'images.yml', name: undefined }],
    ['comment always', { comment: 'always' }, { comment: 'always' }],
    ['comment on-change', { comment: 'on-change' }, { comment: 'on-change' }],
    ['comment on-regression', { comment: 'on-regression' }, { comment: 'on-regression' }],
    ['comment never', { comment: 'never' }, { comment: 'never' }],
    ['comment-key', { 'comment-key': 'api.image_2-x' }, { commentKey: 'api.image_2-x' }],
    ['comment-key of 64 characters', { 'comment-key': 'k'.repeat(64) }, { commentKey: 'k'.repeat(64) }],
    ['details layers', { details: 'layers' }, { details: ['layers'] }],
    ['details files,layers', { details: 'files, layers' }, { details: ['files', 'layers'] }],
    ['details duplicates folded', { details: 'files,files' }, { details: ['files'] }],
    ['details none', { details: 'none' }, { details: [] }],
    ['mode measure', { mode: 'measure' }, { mode: 'measure', reports: [] }],
    ['mode merge with a directory', { mode: 'merge', reports: 'reports' }, { mode: 'merge', reports: ['reports'] }],
    [
      'mode comment with files and globs, by comma and newline',
      { mode: 'comment', reports: 'a/report.json, b/*.json\n${RUNNER_TEMP}/r/**\n' },
      { mode: 'comment', reports: ['a/report.json', 'b/*.json', '${RUNNER_TEMP}/r/**'] }
    ],
    ['name', { name: 'api.v2_x-1' }, { name: 'api.v2_x-1' }],
    ['name of 64 characters', { name: 'n'.repeat(64) }, { name: 'n'.repeat(64) }],
    [`${MAX_REPORT_ENTRIES} reports entries`, { mode: 'merge', reports: Array.from({ length: MAX_REPORT_ENTRIES }, (_, i) => `r${i}`).join(',') }, {}]
  ])('%s', (_name, values, expected) => {
    expect(parse(values)).toMatchObject(expected);
  });

  test('budgets: fallback and per-target, normalized', () => {
    const { budgets } = parse({
      'max-increase': '10 mb\nrelease=5%',
      'max-size': 'release=25MB',
      'max-layers': '30, debug=60'
    });
    expect(budgets.maxIncrease.fallback).toEqual({ kind: 'bytes', bytes: 10_000_000, text: '10 MB' });
    expect(budgets.maxIncrease.byTarget.get('release')).toEqual({ kind: 'percent', percent: 5, text: '5%' });
    expect(budgets.maxSize.fallback).toBeUndefined();
    expect(budgets.maxSize.byTarget.get('release')).toEqual({ kind: 'bytes', bytes: 25_000_000, text: '25 MB' });
    expect(budgets.maxLayers.fallback).toBe(30);
    expect(budgets.maxLayers.byTarget.get('debug')).toBe(60);
  });

  test('max-wasted: bytes or a percentage, per target', () => {
    const { budgets } = parse({ 'max-wasted': '2%, release=1 MiB' });
    expect(budgets.maxWasted?.fallback).toEqual({ kind: 'percent', percent: 2, text: '2%' });
    expect(budgets.maxWasted?.byTarget.get('release')).toEqual({ kind: 'bytes', bytes: 1_048_576, text: '1 MiB' });
  });
});

describe('parseInputs rejects', () => {
  // [case, inputs, input name, fragments the message must contain]
  test.each<[string, Record<string, string>, string, string[]]>([
    ['context with a newline', { context: 'a\nb' }, 'context', ['"a\\nb"', 'contains a NUL or line break']],
    ['file with NUL', { file: 'Docker\0file' }, 'file', ['"Docker\\u0000file"', 'a path on one line']],
    ['config with a newline', { config: 'x\ny.yml' }, 'config', ['"x\\ny.yml"']],
    ['invalid target name', { targets: 'release, my|app' }, 'targets', ['"my|app" is not a valid target name', 'a letter']],
    ['target with a backtick', { targets: 'a`b' }, 'targets', ['"a`b" is not a valid target name']],
    ['target with <', { targets: '<img>' }, 'targets', ['"<img>" is not a valid target name']],
    ['duplicate target', { targets: 'release, debug, release' }, 'targets', ['"release" is listed more than once']],
    ['duplicate target in another case', { targets: 'release\nRelease' }, 'targets', ['"Release" is listed more than once']],
    [
      'too many targets',
      { targets: Array.from({ length: MAX_TARGETS + 1 }, (_, i) => `t${i}`).join(',') },
      'targets',
      ['lists 51 targets', 'expected at most 50 targets']
    ],
    ['build-arg without =', { 'build-args': 'A=1\nB' }, 'build-args', ["line 2 has no '='", 'NAME=value']],
    ['build-arg without NAME', { 'build-args': '=x' }, 'build-args', ['line 1 has no NAME']],
    ['build-arg NAME with a dash', { 'build-args': 'MY-ARG=1' }, 'build-args', ['line 1 has an invalid NAME "MY-ARG"']],
    ['build-arg NAME with a digit first', { 'build-args': '1A=1' }, 'build-args', ['invalid NAME "1A"']],
    ['build-arg named twice', { 'build-args': 'A=1\nA=2' }, 'build-args', ['A is given twice']],
    ['platform in uppercase', { platforms: 'Linux/AMD64' }, 'platforms', ['"Linux/AMD64"', 'os/arch[/variant]']],
    ['platform without arch', { platforms: 'linux' }, 'platforms', ['"linux"', 'linux/amd64']],
    ['platform with 4 parts', { platforms: 'linux/arm/v7/x' }, 'platforms', ['"linux/arm/v7/x"']],
    ['duplicate platform', { platforms: 'linux/amd64,linux/amd64' }, 'platforms', ['is listed more than once']],
    ['network bridge', { network: 'bridge' }, 'network', ['"bridge"', 'expected one of default, none, host']],
    ['network in uppercase', { network: 'None' }, 'network', ['"None"', 'one of default, none, host']],
    ['builder with a space', { builder: 'my builder' }, 'builder', ['"my builder"', 'a builder name']],
    ['builder starting with a dash', { builder: '-x' }, 'builder', ['"-x"']],
    ['cache unknown', { cache: 's3' }, 'cache', ['"s3"', 'expected gha, none, local=<dir> or registry=<ref>']],
    ['cache type= syntax', { cache: 'type=gha' }, 'cache', ['"type=gha"', 'gha, none, local=<dir> or registry=<ref>']],
    ['cache local without dir', { cache: 'local=' }, 'cache', ['"local="', 'needs a directory']],
    ['cache local with a comma', { cache: 'local=/tmp,mode=max' }, 'cache', ['"local=/tmp,mode=max"', 'without commas']],
    ['cache registry without ref', { cache: 'registry=' }, 'cache', ['"registry="', 'needs an image reference']],
    ['cache registry with a comma', { cache: 'registry=r/a,mode=max' }, 'cache', ['"registry=r/a,mode=max"']],
    ['cache registry with a space', { cache: 'registry=r/a b' }, 'cache', ['"registry=r/a b"']],
    ['cache registry starting with -', { cache: 'registry=-oops' }, 'cache', ['"registry=-oops"', 'not starting with "-"']],
    ['baseline unknown', { baseline: 'always' }, 'baseline', ['"always"', 'expected one of auto, build, report, none']],
    ['base-ref starting with -', { 'base-ref': '-x' }, 'base-ref', ['"-x"', 'leading "-"']],
    ['images with a config file', { images: 'sha256:' + 'a'.repeat(64), config: 'images.yml' }, 'images', ['cannot be used with config (images.yml)']],
    ['images option-like', { images: '-x' }, 'images', ['"-x" is not an image reference']],
    ['base-image upper case', { 'base-image': 'ghcr.io/Acme/app:main' }, 'base-image', ['"ghcr.io/Acme/app:main" is not an image reference', 'ghcr.io/acme/app:main']],
    ['base-image with a space', { 'base-image': 'release=app main' }, 'base-image', ['"app main" is not an image reference']],
    ['base-image with a config file', { 'base-image': 'ghcr.io/acme/app:main', config: 'images.yml' }, 'base-image', ['cannot be used with config (images.yml)']],
    ['base-ref option injection', { 'base-ref': '--upload-pack=evil' }, 'base-ref', ['"--upload-pack=evil"']],
    ['base-ref with a space', { 'base-ref': 'main dev' }, 'base-ref', ['"main dev"']],
    ['base-ref range', { 'base-ref': 'main..dev' }, 'base-ref', ['"main..dev"', '".."']],
    ['base-ref control character', { 'base-ref': 'main\u0007' }, 'base-ref', ['"main\\u0007"']],
    ['base-ref too long', { 'base-ref': 'r'.repeat(256) }, 'base-ref', ['at most 255 characters', '…"']],
    ['metric unknown', { metric: 'size' }, 'metric', ['"size"', 'expected one of compressed, uncompressed']],
    ['max-increase word', { 'max-increase': 'ten' }, 'max-increase', ['"ten" (expected e.g. 10MB, 512KiB, 5%)']],
    ['max-increase plural unit', { 'max-increase': '10 MBs' }, 'max-increase', ['"10 MBs"', 'e.g. 10MB, 512KiB, 5%']],
    ['max-increase negative', { 'max-increase': '-5%' }, 'max-increase', ['"-5%" is negative']],
    ['max-increase no unit', { 'max-increase': '10' }, 'max-increase', ['"10" has no unit']],
    ['max-increase per-target empty', { 'max-increase': 'release=' }, 'max-increase', ['"" is empty']],
    ['max-size percent', { 'max-size': 'release=5%' }, 'max-size', ['"5%" is a percentage', '(expected e.g. 10MB, 512KiB)']],
    ['max-size no unit', { 'max-size': '25' }, 'max-size', ['"25" has no unit']],
    ['max-layers decimal', { 'max-layers': '2.5' }, 'max-layers', ['"2.5"', 'a whole number']],
    ['max-wasted without a unit', { 'max-wasted': '5' }, 'max-wasted', ['"5"', 'has no unit']],
    ['max-layers target twice', { 'max-layers': 'a=1,a=2' }, 'max-layers', ['"a" is given more than once']],
    ['fail-on-regression yes', { 'fail-on-regression': 'yes' }, 'fail-on-regression', ['"yes" (expected true or false)']],
    ['fail-on-regression 1', { 'fail-on-regression': '1' }, 'fail-on-regression', ['"1" (expected true or false)']],
    ['fail-on-regression on', { 'fail-on-regression': 'on' }, 'fail-on-regression', ['"on" (expected true or false)']],
    ['allow-fork-builds yes', { 'allow-fork-builds': 'yes' }, 'allow-fork-builds', ['"yes" (expected true or false)']],
    ['advice off', { advice: 'off' }, 'advice', ['"off" (expected true or false)']],
    [
      'comment unknown',
      { comment: 'sometimes' },
      'comment',
      ['"sometimes"', 'one of always, on-change, on-regression, never']
    ],
    ['comment-key with a space', { 'comment-key': 'my key' }, 'comment-key', ['"my key"', 'at most 64 characters']],
    ['comment-key with --', { 'comment-key': '-->' }, 'comment-key', ['"-->"']],
    ['comment-key too long', { 'comment-key': 'k'.repeat(65) }, 'comment-key', ['at most 64 characters']],
    ['details unknown', { details: 'layers,sizes' }, 'details', ['"sizes"', 'expected a list of layers, files, trend, or none']],
    ['details none mixed', { details: 'none,layers' }, 'details', ['"none" cannot be combined']],
    ['mode unknown', { mode: 'report' }, 'mode', ['"report"', 'expected one of measure, merge, comment']],
    ['mode in uppercase', { mode: 'Merge' }, 'mode', ['"Merge"']],
    ['reports in measure mode', { reports: 'reports/' }, 'reports', ['"reports/" is only read by mode merge or comment', 'set mode: merge']],
    ['merge without reports', { mode: 'merge' }, 'reports', ['is required in mode merge']],
    ['comment with only separators', { mode: 'comment', reports: ' , \n' }, 'reports', ['is required in mode comment']],
    ['reports entry with NUL', { mode: 'merge', reports: 'a\0b' }, 'reports', ['contains a NUL or line break']],
    [
      'too many reports entries',
      { mode: 'merge', reports: Array.from({ length: MAX_REPORT_ENTRIES + 1 }, (_, i) => `r${i}`).join(',') },
      'reports',
      [`lists ${MAX_REPORT_ENTRIES + 1} entries`, `at most ${MAX_REPORT_ENTRIES} entries`]
    ],
    ['name with a space', { name: 'my image' }, 'name', ['"my image"', 'at most 64 characters']],
    ['name with a slash', { name: 'api/v2' }, 'name', ['"api/v2"']],
    ['name starting with a dot', { name: '.api' }, 'name', ['".api"']],
    ['name with a marker closer', { name: 'x-->' }, 'name', ['"x-->"']],
    ['name too long', { name: 'n'.repeat(65) }, 'name', ['at most 64 characters']],
    ['name in merge mode', { mode: 'merge', reports: 'r', name: 'api' }, 'name', ['"api" labels a measured image', 'keeps the image label']]
  ])('%s', (_name, values, input, fragments) => {
    const e = inputError(() => parse(values));
    expect(e.input).toBe(input);
    expect(e.message).toMatch(new RegExp(`^Invalid input '${input}': `));
    for (const f of fragments) expect(e.message).toContain(f);
  });

  // The whole message, where a fragment check would let the accepted forms or the problem drift.
  test.each<[string, Record<string, string>, string]>([
    [
      'build-arg NAME longer than 80 characters is cut',
      { 'build-args': `${'-'.repeat(100)}=x` },
      `Invalid input 'build-args': line 1 has an invalid NAME "${'-'.repeat(80)}" (expected NAME=value lines, NAME made of letters, digits and "_", not starting with a digit)`
    ],
    [
      'duplicate platform',
      { platforms: 'linux/amd64,linux/amd64' },
      `Invalid input 'platforms': "linux/amd64" is listed more than once (expected each platform once)`
    ],
    ['cache unknown', { cache: 's3' }, `Invalid input 'cache': "s3" (expected gha, none, local=<dir> or registry=<ref>)`],
    [
      'cache registry without ref',
      { cache: 'registry=' },
      `Invalid input 'cache': "registry=" needs an image reference without spaces, commas or quotes, not starting with "-" (expected gha, none, local=<dir> or registry=<ref>)`
    ],
    ['details unknown', { details: 'layers,sizes' }, `Invalid input 'details': "sizes" (expected a list of layers, files, trend, or none)`],
    [
      'details none mixed',
      { details: 'none,layers' },
      `Invalid input 'details': "none" cannot be combined with other values (expected a list of layers, files, trend, or none)`
    ],
    [
      'merge without reports',
      { mode: 'merge' },
      `Invalid input 'reports': "" is required in mode merge (expected report files, globs or directories, comma or newline separated, e.g. reports/)`
    ]
  ])('exact message: %s', (_name, values, message) => {
    expect(inputError(() => parse(values)).message).toBe(message);
  });

  test.each([
    ['missing =', 'ghp_SECRETSECRET', 'line 1'],
    ['invalid NAME', 'MY-TOKEN=ghp_SECRETSECRET', 'line 1'],
    ['NUL in the value', 'TOKEN=ghp_SECRETSECRET\0', 'the value of TOKEN'],
    ['name given twice', 'TOKEN=ghp_SECRETSECRET\nTOKEN=ghp_SECRETSECRET', 'TOKEN']
  ])('build-args never echo the value: %s', (_name, text, subject) => {
    const e = inputError(() => parse({ 'build-args': text }));
    expect(e.value).toBeUndefined();
    expect(e.message).toContain(subject);
    expect(e.message).not.toContain('SECRET');
  });

  test('the first bad input in action.yml order is reported', () => {
    const e = inputError(() => parse({ targets: 'a|b', metric: 'size' }));
    expect(e.input).toBe('targets');
  });

  test('long values are cut to 80 characters in the message', () => {
    const e = inputError(() => parse({ metric: 'x'.repeat(500) }));
    expect(e.value).toBe('x'.repeat(500));
    expect(e.message).toContain(`"${'x'.repeat(79)}…"`);
    expect(e.message).not.toContain('x'.repeat(80));
  });
});

describe('parseMode', () => {
  test.each([
    ['', 'measure'],
    ['measure', 'measure'],
    ['merge', 'merge'],
    ['comment', 'comment']
  ])('%p → %p', (text, mode) => {
    expect(parseMode(text)).toBe(mode);
  });

  test('anything else names the input and the accepted values', () => {
    expect(inputError(() => parseMode('publish')).message).toBe(
      `Invalid input 'mode': "publish" (expected one of measure, merge, comment)`
    );
  });
});

describe('checkBudgetTargets', () => {
  const budgets = (values: Record<string, string>): Inputs['budgets'] => parse(values).budgets;

  test.each<[string, Record<string, string>, string[]]>([
    ['no budgets', {}, ['release']],
    ['fallbacks only', { 'max-increase': '5%', 'max-size': '1GB', 'max-layers': '40' }, ['release']],
    ['every per-target entry built', { 'max-size': 'release=25MB', 'max-layers': 'debug=9' }, ['release', 'debug']],
    ['case-insensitive match', { 'max-size': 'Release=25MB' }, ['RELEASE']]
  ])('passes: %s', (_name, values, targets) => {
    expect(checkBudgetTargets(budgets(values), targets)).toBeUndefined();
  });

  test.each([
    ['max-increase', { 'max-increase': 'relase=5%' }, 'relase'],
    ['max-size', { 'max-size': 'release=25MB,debgu=1GB' }, 'debgu'],
    ['max-layers', { 'max-layers': 'test=3' }, 'test'],
    ['max-wasted', { 'max-wasted': 'tset=1MB' }, 'tset']
  ])('fails on an unbuilt target in %s', (input, values, target) => {
    const e = inputError(() => checkBudgetTargets(budgets(values), ['release', 'debug']));
    expect(e.input).toBe(input);
    expect(e.message).toBe(
      `Invalid input '${input}': "${target}" is not a built target (built targets: release, debug)`
    );
  });
});
