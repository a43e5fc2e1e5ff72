// Progress on stderr: the pipeline's Log as terminal lines, the live build output with --verbose
// (stdout carries only the result).
import type { Log } from '../log.js';
import { escapeControls } from '../report/escape.js';
import type { Paint } from '../report/terminal-text.js';
import { escapeLines, type Terminal } from './io.js';

/**
 * The pipeline's Log, as terminal progress on stderr: one line per step (`> Build head target
 * release... done (2.1 s)`), warnings always, info and the build output only with --verbose. Every message is escaped: build logs and repository names can hold
 * terminal control sequences.
 */
export class Progress implements Log {
  /** A step's line was written without its newline (TTY only), to be completed in place. */
  private pending: string | undefined;

  constructor(
    private readonly out: Terminal,
    private readonly paint: Paint,
    private readonly verbose: boolean
  ) {}

  info(message: string): void {
    if (this.verbose) this.line(this.paint('dim', escapeLines(message)));
  }

  warning(message: string): void {
    this.line(`${this.paint('yellow', 'warning:')} ${escapeLines(message)}`);
  }

  /** Live build output, with --verbose only. */
  output(chunk: string): void {
    if (!this.verbose) return;
    this.close();
    this.out.write(escapeLines(chunk));
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const text = escapeControls(title);
    const started = Date.now();
    this.close();
    // Left open: when nothing else is written meanwhile, the result completes this very line.
    this.out.write(`${this.paint('cyan', '>')} ${text}...`);
    this.pending = text;
    let ok = false;
    try {
      const result = await fn();
      ok = true;
      return result;
    } finally {
      const result = `${ok ? this.paint('green', 'done') : this.paint('red', 'failed')} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
      if (this.pending === text) {
        this.out.write(` ${result}\n`);
        this.pending = undefined;
      } else {
        this.line(`  ${text}: ${result}`);
      }
    }
  }

  /** Ends a step line left open, so what follows starts on a line of its own. */
  close(): void {
    if (this.pending !== undefined) {
      this.out.write('\n');
      this.pending = undefined;
    }
  }

  private line(text: string): void {
    this.close();
    this.out.write(`${text}\n`);
  }
}
