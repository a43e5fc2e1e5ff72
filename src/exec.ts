// The one seam through which the action runs programs (git, docker). Always an argv array, never a
// shell, so no value from a pull request can be interpreted as shell syntax.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ExecOptions {
  readonly cwd?: string;
  /** Full environment of the child; defaults to this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each chunk of output as it arrives (for live logs). */
  readonly onStdout?: (chunk: string) => void;
  readonly onStderr?: (chunk: string) => void;
  /** Upper bound on captured stdout/stderr each; the tail is kept. Default 4 MiB. */
  readonly maxCapture?: number;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** Thrown when a program cannot be started at all (not found, not executable). */
export class ExecError extends Error {
  constructor(
    readonly file: string,
    message: string
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

class Tail {
  private parts: string[] = [];
  private length = 0;
  constructor(private readonly max: number) {}
  push(s: string): void {
    this.parts.push(s);
    this.length += s.length;
    while (this.length > this.max && this.parts.length > 1) {
      this.length -= this.parts.shift()!.length;
    }
  }
  toString(): string {
    const all = this.parts.join('');
    return all.length > this.max ? all.slice(all.length - this.max) : all;
  }
}

export const exec: Exec = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const max = options.maxCapture ?? 4 * 1024 * 1024;
    const out = new Tail(max);
    const err = new Tail(max);
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out.push(c);
      options.onStdout?.(c);
    });
    child.stderr.on('data', (c: string) => {
      err.push(c);
      options.onStderr?.(c);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      // spawn says ENOENT for a missing working directory too: tell the two apart.
      const why =
        e.code !== 'ENOENT'
          ? e.message
          : options.cwd !== undefined && !existsSync(options.cwd)
            ? `the working directory ${options.cwd} does not exist`
            : 'command not found';
      reject(new ExecError(file, `${file}: ${why}`));
    });
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), stdout: out.toString(), stderr: err.toString() });
    });
  });
