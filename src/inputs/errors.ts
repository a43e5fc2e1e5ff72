// The error every input check throws: names the input, echoes the bad value (never a secret) and
// says what is accepted, e.g. `Invalid input 'max-increase': "ten" (expected e.g. 10MB, 512KiB, 5%)`.

const MAX_ECHO = 80;

export interface InputErrorDetail {
  /** What is wrong, shown after the value: `has no unit`, `is not a stage of Dockerfile`. */
  readonly problem?: string;
  /** Shown instead of the value when the value must not be echoed: `the value of build-arg TOKEN`. */
  readonly subject?: string;
  /** Replaces `expected …` inside the parentheses, e.g. `stages: builder, release`. */
  readonly hint?: string;
}

/** JSON-quotes a value for a message, cut to 80 characters so a pasted blob can't flood the log. */
export function quoteValue(value: string): string {
  const chars = Array.from(value); // code points, so a surrogate pair is never split
  const cut = chars.length > MAX_ECHO ? `${chars.slice(0, MAX_ECHO - 1).join('')}…` : value;
  return JSON.stringify(cut);
}

export class InputError extends Error {
  override readonly name = 'InputError';
  /**
   * The message without the input's name: `"10" has no unit (expected e.g. 10MB, 512KiB)`. A config
   * file's error puts its own place and key in front of it instead (config/config.ts).
   */
  readonly description: string;

  /**
   * @param input the action.yml input name
   * @param value the offending value, or undefined when it is secret and must not be echoed
   * @param expected the accepted forms, e.g. `e.g. 10MB, 512KiB, 5%`
   */
  constructor(
    readonly input: string,
    readonly value: string | undefined,
    readonly expected: string,
    detail: InputErrorDetail = {}
  ) {
    const shown = value === undefined ? (detail.subject ?? 'the value') : quoteValue(value);
    const problem = detail.problem === undefined ? '' : ` ${detail.problem}`;
    const description = `${shown}${problem} (${detail.hint ?? `expected ${expected}`})`;
    super(`Invalid input '${input}': ${description}`);
    this.description = description;
  }
}
