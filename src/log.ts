// The logging seam of the I/O modules (@actions/core in the action, stderr in the command line,
// a recording log in tests), and the neutralizer every line of untrusted text goes through.
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  /** Runs `fn` inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Live output of a program as it comes (the build log), already masked and neutralized: the
   * Actions log prints it, the command line only with --verbose; a log without it drops it.
   */
  output?(chunk: string): void;
  /** Registers a secret the job's log must hide from here on (the runner's add-mask); a log without it has no job log to mask. */
  mask?(value: string): void;
}

/**
 * What may stand before a workflow command's `::` on a line and still let the runner read it:
 * every character .NET's `String.TrimStart()` removes (`Char.IsWhiteSpace`: U+0009–U+000D, U+0020,
 * U+0085 NEL, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), but the line
 * breaks themselves; and, for good measure, every other C0 and C1 control and every default-ignorable
 * character (zero-width and format characters, which the runner's culture-aware `StartsWith` may
 * skip).
 */
// eslint-disable-next-line no-control-regex
const BEFORE_COMMAND = /[\t\v\f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u0000-\u0008\u000e-\u001f\u007f-\u009f\p{Default_Ignorable_Code_Point}]*/u.source;
/** `:` at a line start, before `:` or the end of the text (the next piece may begin with the second `:`). */
const COMMAND_START = new RegExp(`(^|\\r\\n|\\r|\\n)(${BEFORE_COMMAND}):(?=:|$)`, 'gu');
/** `#` of `##[`, or at the end of the text (the next piece may hold the rest). */
const LEGACY_COMMAND = /#(?=#\[|#?$)/g;

/**
 * Text that may hold build output or repository or artifact strings (stage names, report labels,
 * reasons), made safe to print as log lines: the runner reads its output in lines (split at `\n`,
 * `\r\n` and a lone `\r`), and takes a line as a workflow command (`::add-mask::`,
 * `::stop-commands::`, `::error::`) when it starts with `::` once leading whitespace is trimmed, or
 * when it holds `##[` (the older form). A zero-width space after the first `:`, or between the `#`s,
 * breaks both forms; what a person reads is unchanged. Pure.
 *
 * Safe for text printed in pieces cut anywhere (a live log): each piece's start counts as a line
 * start, and a piece that ends in a line-start `:` or in `#` gets the zero-width space too.
 */
export function neutralizeCommands(text: string): string {
  return text.replace(COMMAND_START, '$1$2:\u200b').replace(LEGACY_COMMAND, '#\u200b');
}

/**
 * JSON text (`JSON.stringify` with indentation) made safe to print as log lines with its data
 * unchanged: no line of it starts with `:`, and `##[` can only be inside a string, where `#\u0023[`
 * reads back as the same characters. Pure.
 */
export function neutralizeJsonCommands(json: string): string {
  return json.replace(/##\[/g, '#\\u0023[');
}

/** Build output kept per deferred log; past it, the oldest output is dropped and said to be. */
export const KEPT_OUTPUT_MAX = 2 * 1024 * 1024;

/**
 * A log whose lines are kept, in order, to be written later into another log (`replay`): what a
 * build running beside another one says, shown in its own group once that group's turn comes.
 * Secrets are registered with the job's log at once (`mask`), never deferred. The kept output is
 * bounded (KEPT_OUTPUT_MAX); the messages are few and always kept.
 */
export class DeferredLog implements Log {
  private readonly lines: Array<{ readonly kind: 'info' | 'warning' | 'output'; readonly text: string }> = [];
  private outputBytes = 0;
  private dropped = 0;

  constructor(private readonly job: Pick<Log, 'mask'>) {}

  info(message: string): void {
    this.lines.push({ kind: 'info', text: message });
  }

  warning(message: string): void {
    this.lines.push({ kind: 'warning', text: message });
  }

  output(chunk: string): void {
    this.lines.push({ kind: 'output', text: chunk });
    this.outputBytes += chunk.length;
    while (this.outputBytes > KEPT_OUTPUT_MAX) {
      const at = this.lines.findIndex((l) => l.kind === 'output');
      const [gone] = this.lines.splice(at, 1);
      this.outputBytes -= gone?.text.length ?? 0;
      this.dropped += gone?.text.length ?? 0;
    }
  }

  group<T>(_title: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  mask(value: string): void {
    this.job.mask?.(value);
  }

  /** Writes what was kept into `log`, in order. */
  replay(log: Log): void {
    if (this.dropped > 0) log.output?.(`[${this.dropped} characters of this build's output were not kept; the rest follows]\n`);
    for (const line of this.lines) {
      if (line.kind === 'output') log.output?.(line.text);
      else log[line.kind](line.text);
    }
  }
}
