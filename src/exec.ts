// The one seam through which the action and the command line run programs (git, docker, tar):
// `exec` captures a program's output as text, `spawnStream` hands its stdout over as a byte stream
// (`docker save`, which can be gigabytes) and can feed its stdin from one (`tar -x`); `exec` can also
// hand its stdout over as a byte stream while it captures the stderr (buildx exporting an image to
// stdout while it logs). Always an argv
// array, never a shell, so no value from a pull request can be interpreted as shell syntax; the child
// gets the environment it is given, this process's by default.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

export interface ExecOptions {
  readonly cwd?: string;
  /** Full environment of the child; defaults to this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each chunk of output as it arrives (for live logs). */
  readonly onStdout?: (chunk: string) => void;
  readonly onStderr?: (chunk: string) => void;
  /** Upper bound on captured stdout/stderr each; the tail is kept. Default 4 MiB. */
  readonly maxCapture?: number;
  /**
   * Hands the program's stdout over as a byte stream right after the start, instead of capturing it
   * (buildx exporting an image to `dest=-`); the result's stdout is then empty. The stream must be
   * read to its end, or the program blocks once the pipe is full.
   */
  readonly takeStdout?: (stream: Readable) => void;
  /** Ends the program (SIGTERM) once aborted; the result is then its exit, as for any other end. */
  readonly signal?: AbortSignal;
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

/** Why a program could not be started. spawn says ENOENT for a missing working directory too: tell the two apart. */
function startError(file: string, cwd: string | undefined, e: NodeJS.ErrnoException): ExecError {
  const why =
    e.code !== 'ENOENT'
      ? e.message
      : cwd !== undefined && !existsSync(cwd)
        ? `the working directory ${cwd} does not exist`
        : 'command not found';
  return new ExecError(file, `${file}: ${why}`);
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
    if (options.takeStdout) options.takeStdout(child.stdout);
    else {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => {
        out.push(c);
        options.onStdout?.(c);
      });
    }
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      err.push(c);
      options.onStderr?.(c);
    });
    const stop = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    };
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => reject(startError(file, options.cwd, e)));
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', stop);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: out.toString(), stderr: err.toString() });
    });
  });

export interface StreamOptions {
  readonly cwd?: string;
  /** Full environment of the child; defaults to this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** `pipe` opens the program's stdin for writing (StreamedRun.stdin); by default it is closed. */
  readonly stdin?: 'pipe' | 'ignore';
}

/** A program run with its stdout as a byte stream. */
export interface StreamedRun {
  /** The program's stdin, when asked for with `stdin: 'pipe'`. */
  readonly stdin?: Writable;
  /** Must be read (or resumed) to the end, or the program blocks once the pipe is full. */
  readonly stdout: Readable;
  /** Settles when the program has exited; rejects with ExecError when it could not be started. */
  readonly done: Promise<{ readonly code: number; readonly stderr: string }>;
  /** Ends the program if it still runs. */
  kill(): void;
}

export type StreamExec = (file: string, args: readonly string[], options?: StreamOptions) => StreamedRun;

/** The real StreamExec: argv array, no shell; keeps the last 64 KiB of stderr. */
export const spawnStream: StreamExec = (file, args, options = {}) => {
  const child = spawn(file, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    shell: false
  });
  // Piped as asked above; spawn's types cannot tell from a computed stdio.
  if (child.stdout === null || child.stderr === null) throw new Error(`${file}: spawn gave no output pipes`);
  const stderr = new Tail(64 * 1024);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => stderr.push(c));
  const done = new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(startError(file, options.cwd, e)));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stderr: stderr.toString() }));
  });
  return {
    ...(child.stdin ? { stdin: child.stdin } : {}),
    stdout: child.stdout,
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    }
  };
};
