// Runs `fn`, expects an InputError, and returns it for further assertions.
import { expect } from '@jest/globals';
import { InputError } from '../../src/inputs/errors.js';

export function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}
