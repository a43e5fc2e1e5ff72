// Which pushed image each head target is compared with (`base-image`): one for all, the target's own
// first; a name that is no built target, or a target left without one, is an input error.
import { describe, expect, test } from '@jest/globals';
import { imagesPerTarget } from '../../src/inputs/inputs.js';

const baseImagesOf = (images: Parameters<typeof imagesPerTarget>[1], targets: readonly string[]): Map<string, string> =>
  imagesPerTarget('base-image', images, targets);
import { InputError } from '../../src/inputs/errors.js';

describe('baseImagesOf', () => {
  test('one image for every target', () => {
    expect(baseImagesOf({ fallback: 'ghcr.io/a/app:main', byTarget: new Map() }, ['release', 'debug'])).toEqual(
      new Map([
        ['release', 'ghcr.io/a/app:main'],
        ['debug', 'ghcr.io/a/app:main']
      ])
    );
  });

  test("a target's own image before the one for all; target names are matched case-insensitively", () => {
    const images = { fallback: 'ghcr.io/a/app:main', byTarget: new Map([['debug', 'ghcr.io/a/app:main-debug']]) };
    expect(baseImagesOf(images, ['release', 'Debug'])).toEqual(
      new Map([
        ['release', 'ghcr.io/a/app:main'],
        ['Debug', 'ghcr.io/a/app:main-debug']
      ])
    );
  });

  test('a target without an image: the input, the target and the accepted forms', () => {
    const run = (): unknown => baseImagesOf({ byTarget: new Map([['release', 'ghcr.io/a/app:main']]) }, ['release', 'debug']);
    expect(run).toThrow(InputError);
    expect(run).toThrow("Invalid input 'base-image': \"release\" names no image for target debug (give one value for all targets, or target=REF for each of release, debug)");
  });

  test('a name that is no built target', () => {
    expect(() => baseImagesOf({ byTarget: new Map([['relase', 'ghcr.io/a/app:main']]) }, ['release'])).toThrow(
      "Invalid input 'base-image': \"relase\" is not a built target (expected one of the built targets: release)"
    );
  });
});
