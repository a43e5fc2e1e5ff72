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

type Kept = { readonly kind: 'info' | 'warning' | 'output'; readonly text: string } | { readonly kind: 'group'; readonly title: string; readonly lines: Kept[] };

/**
 * A log whose lines (and groups) are kept, in order, to be written later into another log
 * (`replay`): what a build running beside another one says, shown once its turn comes. Secrets are
 * registered with the job's log at once (`mask`), never deferred. The kept output is bounded
 * (KEPT_OUTPUT_MAX for all of it); the messages are few and always kept.
 */
export class DeferredLog implements Log {
  private readonly top: Kept[] = [];
  /** Where lines go now: the innermost group open. */
  private current: Kept[] = this.top;
  private outputBytes = 0;
  private dropped = 0;

  constructor(private readonly job: Pick<Log, 'mask'>) {}

  info(message: string): void {
    this.current.push({ kind: 'info', text: message });
  }

  warning(message: string): void {
    this.current.push({ kind: 'warning', text: message });
  }

  output(chunk: string): void {
    this.current.push({ kind: 'output', text: chunk });
    this.outputBytes += chunk.length;
    while (this.outputBytes > KEPT_OUTPUT_MAX && this.dropOldestOutput(this.top)) {
      // dropped one
    }
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const lines: Kept[] = [];
    const outer = this.current;
    outer.push({ kind: 'group', title, lines });
    this.current = lines;
    try {
      return await fn();
    } finally {
      this.current = outer;
    }
  }

  mask(value: string): void {
    this.job.mask?.(value);
  }

  /** Writes what was kept into `log`, in order, groups as groups. */
  async replay(log: Log): Promise<void> {
    if (this.dropped > 0) log.output?.(`[${this.dropped} characters of build output were not kept; the rest follows]\n`);
    await replayLines(this.top, log);
  }

  private dropOldestOutput(lines: Kept[]): boolean {
    for (const [i, line] of lines.entries()) {
      if (line.kind === 'group') {
        if (this.dropOldestOutput(line.lines)) return true;
      } else if (line.kind === 'output') {
        lines.splice(i, 1);
        this.outputBytes -= line.text.length;
        this.dropped += line.text.length;
        return true;
      }
    }
    return false;
  }
}

async function replayLines(lines: readonly Kept[], log: Log): Promise<void> {
  for (const line of lines) {
    if (line.kind === 'group') await log.group(line.title, () => replayLines(line.lines, log));
    else if (line.kind === 'output') log.output?.(line.text);
    else log[line.kind](line.text);
  }
}
