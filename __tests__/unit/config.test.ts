import { describe, expect, test } from '@jest/globals';
import { CONFIG_LIMITS, imageError, parseConfig, type ImageConfig } from '../../src/config/config.js';
import { didYouMean } from '../../src/config/did-you-mean.js';
import { ConfigError } from '../../src/config/yaml-reader.js';
import { InputError } from '../../src/inputs/errors.js';
import { MAX_TARGETS } from '../../src/inputs/inputs.js';
import type { Budgets } from '../../src/model.js';

const FILE = '.github/image-budget.yml';

/** Lines joined with newlines, so that a test can count lines and columns at a glance. */
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function configError(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

/** The parts of an image a user wrote, without where they wrote them. */
function plain(image: ImageConfig): Omit<ImageConfig, 'source'> {
  const { source: _source, ...rest } = image;
  return rest;
}

const NO_BUDGETS: Budgets = {
  maxIncrease: { byTarget: new Map() },
  maxSize: { byTarget: new Map() },
  maxLayers: { byTarget: new Map() },
  maxWasted: { byTarget: new Map() }
};

describe('valid configs', () => {
  test('the smallest: one image with a name; everything else takes the inputs\' defaults', () => {
    const [image, ...rest] = parseConfig(yaml('images:', '  - name: app'), FILE);
    expect(rest).toEqual([]);
    expect(plain(image!)).toEqual({ name: 'app', context: '.', file: undefined, targets: [], buildArgs: [], platforms: [], budgets: NO_BUDGETS });
  });

  test('a monorepo: every key, as text and as YAML lists and mappings', () => {
    const images = parseConfig(
      yaml(
        '# two services',
        'images:',
        '  - name: api',
        '    context: services/api',
        '    file: services/api/Dockerfile.prod',
        '    targets: [release, debug]',
        '    platforms:',
        '      - linux/amd64',
        '      - linux/arm64/v8',
        '    build-args:',
        '      VERSION: 1.10',
        '      DEBUG: false',
        '      EMPTY: ""',
        '    max-increase: 10%',
        '    max-size:',
        '      release: 25MB',
        '      Debug: 200 MiB',
        '    max-layers: release=5, 20',
        '    max-wasted: 2%',
        '  - name: web.v2',
        '    context: services/web',
        '    targets: release, debug',
        '    platforms: linux/amd64',
        '    build-args: |',
        '      A=1,2',
        '      B=x=y',
        '  - name: worker_1',
        '    build-args: ["TOKEN=abc", "LIST=a,b"]',
        '    max-layers: 7'
      ),
      FILE
    );
    expect(images.map(plain)).toEqual([
      {
        name: 'api',
        context: 'services/api',
        file: 'services/api/Dockerfile.prod',
        targets: ['release', 'debug'],
        platforms: ['linux/amd64', 'linux/arm64/v8'],
        // Numbers and booleans as written, not as YAML reads them (1.10 is not 1.1).
        buildArgs: [
          ['VERSION', '1.10'],
          ['DEBUG', 'false'],
          ['EMPTY', '']
        ],
        budgets: {
          maxIncrease: { fallback: { kind: 'percent', percent: 10, text: '10%' }, byTarget: new Map() },
          maxSize: {
            byTarget: new Map([
              ['release', { kind: 'bytes', bytes: 25_000_000, text: '25 MB' }],
              ['debug', { kind: 'bytes', bytes: 200 * 1024 * 1024, text: '200 MiB' }]
            ])
          },
          maxLayers: { fallback: 20, byTarget: new Map([['release', 5]]) },
          maxWasted: { fallback: { kind: 'percent', percent: 2, text: '2%' }, byTarget: new Map() }
        }
      },
      {
        name: 'web.v2',
        context: 'services/web',
        file: undefined,
        targets: ['release', 'debug'],
        platforms: ['linux/amd64'],
        buildArgs: [
          ['A', '1,2'],
          ['B', 'x=y']
        ],
        budgets: NO_BUDGETS
      },
      {
        name: 'worker_1',
        context: '.',
        file: undefined,
        targets: [],
        platforms: [],
        buildArgs: [
          ['TOKEN', 'abc'],
          ['LIST', 'a,b']
        ],
        budgets: { ...NO_BUDGETS, maxLayers: { fallback: 7, byTarget: new Map() } }
      }
    ]);
  });

  test('flow style, quoting, comments, a byte-order mark and CRLF line ends are all YAML', () => {
    const images = parseConfig(`\uFEFFimages: [{name: "api", context: 'svc/api', targets: "release"}] # one\r\n`, FILE);
    expect(images.map(plain)).toEqual([{ name: 'api', context: 'svc/api', file: undefined, targets: ['release'], buildArgs: [], platforms: [], budgets: NO_BUDGETS }]);
  });

  test('each image remembers where it and its keys were written', () => {
    const [, web] = parseConfig(yaml('images:', '  - name: api', '  - name: web', '    context:   services/web', '    max-size: 10MB'), FILE);
    expect(web!.source.file).toBe(FILE);
    expect(web!.source.index).toBe(1);
    expect(web!.source.at).toEqual({ line: 3, column: 5 });
    expect(Object.fromEntries(web!.source.keys)).toEqual({
      name: { line: 3, column: 11 },
      context: { line: 4, column: 16 },
      'max-size': { line: 5, column: 15 }
    });
  });

  test(`${CONFIG_LIMITS.images} images and ${MAX_TARGETS} targets each are allowed`, () => {
    const targets = Array.from({ length: MAX_TARGETS }, (_, i) => `t${i}`).join(', ');
    const lines = Array.from({ length: CONFIG_LIMITS.images }, (_, i) => `  - {name: img${i}, targets: [${targets}]}`);
    const images = parseConfig(yaml('images:', ...lines), FILE);
    expect(images).toHaveLength(CONFIG_LIMITS.images);
    expect(images[CONFIG_LIMITS.images - 1]!.targets).toHaveLength(MAX_TARGETS);
  });

  test(`a file of exactly ${CONFIG_LIMITS.bytes} bytes is read`, () => {
    const head = yaml('images:', '  - name: app');
    const text = `${head}#${'x'.repeat(CONFIG_LIMITS.bytes - head.length - 2)}\n`;
    expect(Buffer.byteLength(text)).toBe(CONFIG_LIMITS.bytes);
    expect(parseConfig(text, FILE)).toHaveLength(1);
  });
});

describe('errors name the file, the line and column, the key, and what is accepted', () => {
  test.each<[string, string, string]>([
    // The budgets and lists reuse the inputs' parsers and their messages.
    [
      'a size without a unit',
      yaml('images:', '  - name: api', '  - name: web', '    targets: release', '    context: services/web', '    max-size:    10'),
      `${FILE}:6:18: images[1].max-size: "10" has no unit (expected e.g. 10MB, 512KiB)`
    ],
    [
      'a percentage where only sizes go',
      yaml('images:', '  - name: api', '    max-size: 5%'),
      `${FILE}:3:15: images[0].max-size: "5%" is a percentage, which max-size does not accept (expected e.g. 10MB, 512KiB)`
    ],
    [
      'a bad value inside a per-target text',
      yaml('images:', '  - name: api', '    max-increase: release=5%, debug=lots'),
      `${FILE}:3:19: images[0].max-increase: "lots" (expected e.g. 10MB, 512KiB, 5%)`
    ],
    [
      'a layer count written as hex (taken as written, not as YAML reads it)',
      yaml('images:', '  - name: api', '    max-layers: 0x10'),
      `${FILE}:3:17: images[0].max-layers: "0x10" (expected a whole number ≥ 0, e.g. 20)`
    ],
    [
      'a bad value in a per-target mapping, at its own line',
      yaml('images:', '  - name: api', '    max-wasted:', '      release: 1MB', '      debug: -2MB'),
      `${FILE}:5:14: images[0].max-wasted.debug: "-2MB" is negative (expected e.g. 10MB, 512KiB, 5%)`
    ],
    [
      'a per-target mapping naming a target twice',
      yaml('images:', '  - name: api', '    max-size:', '      release: 1MB', '      Release: 2MB'),
      `${FILE}:5:7: images[0].max-size: "Release" is given twice (as "release"; target names are case-insensitive)`
    ],
    [
      'a per-target mapping with a key that is not a target name',
      yaml('images:', '  - name: api', '    max-size: {"9lives": 1MB}'),
      `${FILE}:3:16: images[0].max-size: "9lives" is not a valid target name (expected a stage name: a letter, then letters, digits, "_", "." or "-", at most 128 characters)`
    ],
    [
      'a target listed twice, at its second item',
      yaml('images:', '  - name: api', '    targets:', '      - release', '      - debug', '      - Release'),
      `${FILE}:6:9: images[0].targets: "Release" is listed more than once (expected each target once (names are case-insensitive))`
    ],
    [
      'a target that is not a stage name',
      yaml('images:', '  - name: api', '    targets: [release, "-x"]'),
      `${FILE}:3:24: images[0].targets: "-x" is not a valid target name (expected a stage name: a letter, then letters, digits, "_", "." or "-", at most 128 characters)`
    ],
    [
      'a list item that holds two values',
      yaml('images:', '  - name: api', '    platforms: ["linux/amd64,linux/arm64"]'),
      `${FILE}:3:17: images[0].platforms: "linux/amd64,linux/arm64" holds a comma or line break (give one platform per item)`
    ],
    [
      'a platform in upper case',
      yaml('images:', '  - name: api', '    platforms: linux/amd64, Linux/ARM64'),
      `${FILE}:3:16: images[0].platforms: "Linux/ARM64" (expected os/arch[/variant] in lowercase, e.g. linux/amd64, linux/arm64/v8)`
    ],
    [
      'too many targets',
      yaml('images:', '  - name: api', `    targets: [${Array.from({ length: MAX_TARGETS + 1 }, (_, i) => `t${i}`).join(', ')}]`),
      `${FILE}:3:${15 + Array.from({ length: MAX_TARGETS }, (_, i) => `t${i}, `).join('').length}: images[0].targets: lists ${MAX_TARGETS + 1} targets (at most ${MAX_TARGETS})`
    ],
    [
      'an empty list',
      yaml('images:', '  - name: api', '    targets: []'),
      `${FILE}:3:14: images[0].targets: is an empty list (expected stage names, as a list or comma separated; leave the key out for its default)`
    ],
    [
      'a key without a value',
      yaml('images:', '  - name: api', '    context:', '    targets: release'),
      `${FILE}:3:5: images[0].context: has no value (expected a directory, relative to the workspace; leave the key out for its default)`
    ],
    [
      'an empty string',
      yaml('images:', '  - name: api', '    file: "  "'),
      `${FILE}:3:11: images[0].file: is empty (expected a Dockerfile path, relative to the workspace; leave the key out for its default)`
    ],
    [
      'a mapping where text goes',
      yaml('images:', '  - name: api', '    context:', '      path: x'),
      `${FILE}:4:7: images[0].context: is a mapping (expected a directory, relative to the workspace)`
    ],
    [
      'an empty mapping',
      yaml('images:', '  - name: api', '    build-args: {}'),
      `${FILE}:3:17: images[0].build-args: is an empty mapping (expected a mapping NAME: value, a list of NAME=value, or NAME=value lines; leave the key out for its default)`
    ],
    [
      'a null budget',
      yaml('images:', '  - name: api', '    max-size: ~'),
      `${FILE}:3:5: images[0].max-size: has no value (expected e.g. 10MB, 512KiB, or per target as release=5MB,debug=50MB or a mapping release: 5MB; leave the key out for its default)`
    ],
    [
      'a path with a line break',
      yaml('images:', '  - name: api', '    context: "a\\nb"'),
      `${FILE}:3:14: images[0].context: "a\\nb" contains a NUL or line break (expected a path on one line)`
    ],
    // Build arguments: errors name the entry or the NAME, never a value.
    [
      'a build-arg line without =',
      yaml('images:', '  - name: api', '    build-args: |', '      A=1', '      secret-value'),
      `${FILE}:3:17: images[0].build-args: line 2 has no '=' (expected NAME=value lines, NAME made of letters, digits and "_", not starting with a digit)`
    ],
    [
      'a build-arg list entry without =, at the entry',
      yaml('images:', '  - name: api', '    build-args:', '      - A=1', '      - hunter2'),
      `${FILE}:5:9: images[0].build-args: entry 2 has no '=' (expected NAME=value lines, NAME made of letters, digits and "_", not starting with a digit)`
    ],
    [
      'a build-arg list entry with a line break',
      yaml('images:', '  - name: api', '    build-args: ["A=1", "B=hunter2\\nC=3"]'),
      `${FILE}:3:25: images[0].build-args: entry 2 holds a line break (give one NAME=value per item)`
    ],
    [
      'a build-arg given twice in a list',
      yaml('images:', '  - name: api', '    build-args: [A=1, B=2, A=hunter2]'),
      `${FILE}:3:28: images[0].build-args: A is given twice (expected each NAME once)`
    ],
    [
      'a build-arg mapping key that is not a NAME',
      yaml('images:', '  - name: api', '    build-args:', '      1ST: x'),
      `${FILE}:4:7: images[0].build-args: "1ST" is not a valid NAME (NAME is made of letters, digits and "_", not starting with a digit)`
    ],
    [
      'a build-arg mapping value that is a list',
      yaml('images:', '  - name: api', '    build-args:', '      A: [1, 2]'),
      `${FILE}:4:10: images[0].build-args.A: is a list (expected a value)`
    ],
    [
      'a build-arg mapping value left empty',
      yaml('images:', '  - name: api', '    build-args:', '      TOKEN:'),
      `${FILE}:4:7: images[0].build-args.TOKEN: has no value (write TOKEN: "" for an empty one)`
    ],
    [
      'a build-arg value with a NUL',
      yaml('images:', '  - name: api', '    build-args:', '      TOKEN: "x\\0y"'),
      `${FILE}:4:14: images[0].build-args: the value of TOKEN contains a NUL character (expected NAME=value lines, NAME made of letters, digits and "_", not starting with a digit)`
    ],
    // Names.
    [
      'an image without a name',
      yaml('images:', '  - name: api', '  - context: services/web', '    targets: release'),
      `${FILE}:3:5: images[1]: has no name (every image needs one: a name: a letter or digit, then letters, digits, ".", "_" or "-", at most 64 characters)`
    ],
    [
      'a name with a slash',
      yaml('images:', '  - name: services/api'),
      `${FILE}:2:11: images[0].name: "services/api" is not a valid name (expected a name: a letter or digit, then letters, digits, ".", "_" or "-", at most 64 characters)`
    ],
    [
      'a name of 65 characters',
      yaml('images:', `  - name: ${'a'.repeat(65)}`),
      `${FILE}:2:11: images[0].name: "${'a'.repeat(65)}" is not a valid name (expected a name: a letter or digit, then letters, digits, ".", "_" or "-", at most 64 characters)`
    ],
    [
      'two images with one name (case-insensitive)',
      yaml('images:', '  - name: api', '  - name: web', '  - name: API'),
      `${FILE}:4:11: images[2].name: "API" is already the name of images[0] (each image needs its own name; names are case-insensitive)`
    ],
    // Keys.
    [
      'an unknown key, with the key it was probably meant to be',
      yaml('images:', '  - name: api', '    max_size: 10MB'),
      `${FILE}:3:5: images[0].max_size: is not a key of an image; did you mean max-size? (keys: name, context, file, targets, build-args, platforms, max-increase, max-size, max-layers, max-wasted)`
    ],
    [
      "another tool's name for a key",
      yaml('images:', '  - name: api', '    dockerfile: api/Dockerfile'),
      `${FILE}:3:5: images[0].dockerfile: is not a key of an image; did you mean file? (keys: name, context, file, targets, build-args, platforms, max-increase, max-size, max-layers, max-wasted)`
    ],
    [
      'an unknown key nothing is close to',
      yaml('images:', '  - name: api', '    cache: none'),
      `${FILE}:3:5: images[0].cache: is not a key of an image (keys: name, context, file, targets, build-args, platforms, max-increase, max-size, max-layers, max-wasted)`
    ],
    [
      'a key given twice',
      yaml('images:', '  - name: api', '    targets: release', '    targets: debug'),
      `${FILE}:4:5: images[0].targets: is given twice (first on line 3)`
    ],
    [
      'a key that is not a name',
      yaml('images:', '  - name: api', '    1: x'),
      `${FILE}:3:5: images[0]: has a key that is not a name (keys are plain words such as name or targets)`
    ],
    [
      'an image key at the top',
      yaml('targets: release', 'images:', '  - name: api'),
      `${FILE}:1:1: targets: is a key of an image: put it under one of the images of \`images:\``
    ],
    [
      'a misspelt images',
      yaml('image:', '  - name: api'),
      `${FILE}:1:1: image: is not a key of a config file; did you mean images? (keys: images)`
    ],
    // The shape of the file.
    ['an empty file', '', `${FILE}:1:1: is empty (expected a mapping with an \`images:\` list, e.g. images: [{name: api, context: services/api}])`],
    ['a file of comments only', yaml('# nothing yet'), `${FILE}:1:1: is empty (expected a mapping with an \`images:\` list, e.g. images: [{name: api, context: services/api}])`],
    ['a list at the top', yaml('- name: api'), `${FILE}:1:1: is not a mapping (expected a mapping with an \`images:\` list, e.g. images: [{name: api, context: services/api}])`],
    ['no images key', yaml('# images', 'version: 1'), `${FILE}:2:1: version: is not a key of a config file (keys: images)`],
    ['images without a value', yaml('images:'), `${FILE}:1:1: images: has no value (expected a list of images, each a mapping with a name)`],
    ['images as a mapping', yaml('images:', '  api:', '    context: x'), `${FILE}:2:3: images: is a mapping (expected a list of images, each a mapping with a name)`],
    ['images as an empty list', yaml('images: []'), `${FILE}:1:9: images: is an empty list (expected at least one image)`],
    ['an image that is a string', yaml('images:', '  - api'), `${FILE}:2:5: images[0]: is "api" (expected a mapping with a name, e.g. {name: api, context: services/api})`],
    [
      `more than ${CONFIG_LIMITS.images} images, at the first one too many`,
      yaml('images:', ...Array.from({ length: CONFIG_LIMITS.images + 1 }, (_, i) => `  - name: img${i}`)),
      `${FILE}:${CONFIG_LIMITS.images + 2}:5: images: lists ${CONFIG_LIMITS.images + 1} images (at most ${CONFIG_LIMITS.images})`
    ],
    // YAML itself.
    ['a tab as indentation', yaml('images:', '\t- name: api'), `${FILE}:2:1: is not valid YAML: Tabs are not allowed as indentation`],
    [
      'an unclosed flow list',
      yaml('images:', '  - name: api', '    targets: [release, debug', '  - name: web'),
      `${FILE}:4:3: is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`
    ],
    ['two documents', yaml('images:', '  - name: api', '---', 'images: []'), `${FILE}:3:1: holds more than one YAML document (a config is one document: remove the second \`---\`)`],
    ['an unknown tag', yaml('images:', '  - name: !secret api'), `${FILE}:2:11: Unresolved tag: !secret (values are plain YAML: strings, numbers, lists and mappings)`],
    [
      'an anchor',
      yaml('images:', '  - name: api', '    max-size: &budget 10MB', '  - name: web', '    max-size: *budget'),
      `${FILE}:3:23: defines the anchor &budget (anchors and aliases are not supported: write the value out)`
    ],
    // The shapes below are each refused with their own words (mutation testing found them unpinned).
    ['a mapping without images', yaml('{}'), `${FILE}:1:1: has no \`images:\` list (expected a mapping with an \`images:\` list, e.g. images: [{name: api, context: services/api}])`],
    ['images as a string', yaml('images: api'), `${FILE}:1:9: images: is not a list (expected a list of images, each a mapping with a name)`],
    ['an image that is a list', yaml('images:', '  - [a]'), `${FILE}:2:5: images[0]: is a list (expected a mapping with a name, e.g. {name: api, context: services/api})`],
    ['an image left empty', yaml('images:', '  -'), `${FILE}:2:4: images[0]: is empty (expected a mapping with a name, e.g. {name: api, context: services/api})`],
    ['an image that is a number, echoed as written', yaml('images:', '  - 0x10'), `${FILE}:2:5: images[0]: is "0x10" (expected a mapping with a name, e.g. {name: api, context: services/api})`],
    ['a text key given a list', yaml('images:', '  - name: api', '    context: [a, b]'), `${FILE}:3:14: images[0].context: is a list (expected a directory, relative to the workspace)`],
    ['a build-arg mapping value that is a mapping', yaml('images:', '  - name: api', '    build-args: {A: {b: 1}}'), `${FILE}:3:21: images[0].build-args.A: is a mapping (expected a value)`],
    [
      'an empty per-target mapping',
      yaml('images:', '  - name: api', '    max-size: {}'),
      `${FILE}:3:15: images[0].max-size: is an empty mapping (expected e.g. 10MB, 512KiB, or per target as release=5MB,debug=50MB or a mapping release: 5MB; leave the key out for its default)`
    ],
    ['images given twice', yaml('images:', '  - name: a', 'images:', '  - name: b'), `${FILE}:3:1: images: is given twice (first on line 1)`],
    ['a key that is not a plain word is quoted', yaml('"a b": 1', 'images:', '  - name: api'), `${FILE}:1:1: "a b": is not a key of a config file (keys: images)`],
    ['a key over 40 characters is quoted', yaml(`${'k'.repeat(41)}: 1`, 'images: []'), `${FILE}:1:1: "${'k'.repeat(41)}": is not a key of a config file (keys: images)`],
    [
      'a YAML merge key is a key like any other, not a merge',
      yaml('images:', '  - name: api', '    <<: {context: x}'),
      `${FILE}:3:5: images[0]."<<": is not a key of an image (keys: name, context, file, targets, build-args, platforms, max-increase, max-size, max-layers, max-wasted)`
    ],
    [
      'a merge key with an alias',
      yaml('images:', '  - name: api', '    <<: *defaults'),
      `${FILE}:3:9: uses the alias *defaults (anchors and aliases are not supported: write the value out)`
    ]
  ])('%s', (_name, text, message) => {
    expect(configError(text).message).toBe(message);
  });

  test(`a file over ${CONFIG_LIMITS.bytes} bytes is refused before it is parsed`, () => {
    const text = `images: [${'x'.repeat(CONFIG_LIMITS.bytes)}`;
    expect(configError(text).message).toBe(`${FILE}:1:1: is ${CONFIG_LIMITS.bytes + 9} bytes, larger than the 64 KiB a config file may be`);
  });

  test('the error carries its parts for callers', () => {
    const e = configError(yaml('images:', '  - name: api', '    max-size: 10'));
    expect(e.name).toBe('ConfigError');
    expect(e).toMatchObject({ file: FILE, position: { line: 3, column: 15 }, path: 'images[0].max-size', detail: '"10" has no unit (expected e.g. 10MB, 512KiB)' });
  });

  test('build-arg values never appear in any message', () => {
    for (const text of [
      yaml('images:', '  - name: api', '    build-args: |', '      hunter2secret'),
      yaml('images:', '  - name: api', '    build-args: [hunter2secret]'),
      yaml('images:', '  - name: api', '    build-args: ["A=hunter2secret\\nB=1"]'),
      yaml('images:', '  - name: api', '    build-args: [A=hunter2secret, A=hunter2secret]'),
      yaml('images:', '  - name: api', '    build-args: {A: "hunter2secret\\0"}')
    ]) {
      expect(configError(text).message).not.toContain('hunter2secret');
    }
  });
});

describe('imageError: problems found after parsing, at the key they are about', () => {
  const [api] = parseConfig(yaml('images:', '  - name: api', '    context: services/api', '    max-size: debug=10MB'), FILE);

  test('an InputError about a key is placed at its value', () => {
    const e = imageError(api!, 'max-size', new InputError('max-size', 'debug', 'x', { problem: 'is not a built target', hint: 'built targets: release' }));
    expect(e.message).toBe(`${FILE}:4:15: images[0].max-size: "debug" is not a built target (built targets: release)`);
  });

  test('an InputError naming a target written as a list item or mapping key is placed at it', () => {
    const [web] = parseConfig(yaml('images:', '  - name: web', '    targets:', '      - release', '      - relase', '    max-layers:', '      Debug: 3'), FILE);
    const notAStage = new InputError('targets', 'relase', 'one of the stages of web/Dockerfile: build, release', { problem: 'is not a stage of web/Dockerfile' });
    expect(imageError(web!, 'targets', notAStage).message).toBe(
      `${FILE}:5:9: images[0].targets: "relase" is not a stage of web/Dockerfile (expected one of the stages of web/Dockerfile: build, release)`
    );
    const notBuilt = new InputError('max-layers', 'debug', 'x', { problem: 'is not a built target', hint: 'built targets: release' });
    expect(imageError(web!, 'max-layers', notBuilt).message).toBe(`${FILE}:7:7: images[0].max-layers: "debug" is not a built target (built targets: release)`);
  });

  test('a target named in a max-* mapping is placed at its own key, not at the mapping', () => {
    const [web] = parseConfig(yaml('images:', '  - name: web', '    max-size:', '      release: 1MB', '      Debug: 3MB'), FILE);
    const notBuilt = new InputError('max-size', 'debug', 'x', { problem: 'is not a built target', hint: 'built targets: release' });
    expect(imageError(web!, 'max-size', notBuilt).message).toBe(`${FILE}:5:7: images[0].max-size: "debug" is not a built target (built targets: release)`);
  });

  test('a key that was not written is placed at the fallback key, else at the image', () => {
    expect(imageError(api!, 'file', 'is missing', 'context').message).toBe(`${FILE}:3:14: images[0].file: is missing`);
    expect(imageError(api!, 'targets', 'is odd').message).toBe(`${FILE}:2:5: images[0].targets: is odd`);
  });
});

describe('didYouMean', () => {
  const keys = ['name', 'context', 'file', 'targets', 'build-args', 'platforms', 'max-size', 'max-increase'];
  test.each<[string, string | undefined]>([
    ['max_size', 'max-size'],
    ['MaxSize', 'max-size'],
    ['target', 'targets'],
    ['contxet', 'context'],
    ['buildargs', 'build-args'],
    ['max-increse', 'max-increase'],
    ['nme', 'name'],
    ['cache', undefined],
    ['x', undefined],
    ['platform-list', undefined]
  ])('%s → %s', (word, expected) => {
    expect(didYouMean(word, keys)).toBe(expected);
  });

  test('a swap of neighbours counts as one edit', () => {
    expect(didYouMean('ab', ['ba'])).toBe('ba');
    expect(didYouMean('xab', ['xba'])).toBe('xba');
    expect(didYouMean('imgaes', ['images'])).toBe('images');
    // Not a swap: the letters are not neighbours, or not the same two.
    expect(didYouMean('ab', ['bc'])).toBeUndefined();
    expect(didYouMean('abc', ['cba'])).toBeUndefined();
  });

  test('the distance allowed grows with the length: 1 up to 3 letters, 2 up to 6, then 3', () => {
    expect(didYouMean('abc', ['abx'])).toBe('abx');
    expect(didYouMean('abc', ['axy'])).toBeUndefined();
    expect(didYouMean('abcd', ['abxy'])).toBe('abxy');
    expect(didYouMean('abcdef', ['abcdxy'])).toBe('abcdxy');
    expect(didYouMean('abcdef', ['abcxyz'])).toBeUndefined();
    expect(didYouMean('abcdefg', ['abcdxyz'])).toBe('abcdxyz');
    expect(didYouMean('abcdefg', ['abcwxyz'])).toBeUndefined();
  });

  test('the closest candidate wins, the first on a tie; length differences count', () => {
    expect(didYouMean('abcd', ['abxy', 'abcx'])).toBe('abcx');
    expect(didYouMean('abcd', ['abcx', 'abcy'])).toBe('abcx');
    expect(didYouMean('abcd', ['abcdxy', 'abcde'])).toBe('abcde');
    expect(didYouMean('abcdefg', ['abcd'])).toBe('abcd');
    expect(didYouMean('abcd', ['abcdefg'])).toBeUndefined();
  });

  test('aliases win over distance, and only name a candidate', () => {
    expect(didYouMean('Dockerfile', keys, { dockerfile: 'file' })).toBe('file');
    expect(didYouMean('args', keys, { args: 'nowhere' })).toBeUndefined();
  });
});
