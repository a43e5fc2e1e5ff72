// The logging seam of the I/O modules: @actions/core in the action, the terminal in tests.
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  /** Runs `fn` inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

export const silentLog: Log = {
  info: () => undefined,
  warning: () => undefined,
  group: (_title, fn) => fn()
};

/**
 * Text that may hold repository or artifact strings (stage names, report labels, reasons), made
 * safe to print as plain log lines: the runner reads a line that starts (after blanks) with `::`,
 * or holds `##[`, as a workflow command; a line is also what follows a lone carriage return (`::add-mask::`, `::error::`, `##[error]`). A zero-width
 * space breaks both forms; what a person reads is unchanged. Pure.
 */
export function neutralizeCommands(text: string): string {
  // Line starts: the text's start, and after \n, \r\n or a lone \r (the runner splits there too).
  return text.replace(/(^|\r\n|\r|\n)([^\S\r\n]*):(?=:)/g, '$1$2:\u200b').replace(/##\[/g, '#\u200b#[');
}
