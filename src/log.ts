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
