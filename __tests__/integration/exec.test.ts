// The one way programs are started: argv arrays, no shell, failures that say what failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exec, ExecError, spawnStream } from '../../src/exec.js';

// Shell syntax that a shell would change, and that does no harm should one ever run it.
const SHELL_SYNTAX = ['$(echo injected)', '`echo injected`', 'a b', '; echo injected', '&& echo injected', '--', '-x', '*', '$PATH', "'quoted'"];

/** All of a stream, as text. */
async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

describe('exec', () => {
  test('arguments reach the program verbatim, shell characters and all', async () => {
    const args = SHELL_SYNTAX;
    const result = await exec('printf', ['%s\\n', ...args]);
    expect(result).toMatchObject({ code: 0, stdout: args.map((a) => `${a}\n`).join('') });
  });

  test('a program that is not there: "command not found"', async () => {
    await expect(exec('image-budget-no-such-program', [])).rejects.toThrow(new ExecError('image-budget-no-such-program', 'image-budget-no-such-program: command not found'));
  });

  test('a working directory that is not there is named as such, not as a missing command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exec-'));
    rmSync(dir, { recursive: true });
    await expect(exec('true', [], { cwd: dir })).rejects.toThrow(`true: the working directory ${dir} does not exist`);
  });

  test('a non-zero exit is a result, not an exception', async () => {
    await expect(exec('sh', ['-c', 'echo out; echo err >&2; exit 3'])).resolves.toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });
});

describe('exec: a signal ends the program', () => {
  test('aborted while it runs: ended at once (SIGTERM), the result is its exit with what it wrote', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const run = exec('sh', ['-c', 'echo started; exec sleep 30'], { signal: stop.signal, onStdout: () => stop.abort() });
    const r = await run;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(128);
    expect(r.stdout).toBe('started\n');
  });

  test('aborted before it starts: ended at once; a signal never aborted changes nothing', async () => {
    const started = Date.now();
    expect((await exec('sleep', ['30'], { signal: AbortSignal.abort() })).code).toBe(128);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await exec('sh', ['-c', 'echo done'], { signal: new AbortController().signal })).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
  });
});

describe('spawnStream', () => {
  test('arguments reach the program verbatim, shell characters and all; stdout is a byte stream', async () => {
    const run = spawnStream('printf', ['%s\\n', ...SHELL_SYNTAX]);
    const [out, done] = await Promise.all([text(run.stdout), run.done]);
    expect(out).toBe(SHELL_SYNTAX.map((a) => `${a}\n`).join(''));
    expect(done).toEqual({ code: 0, stderr: '' });
  });

  test('stdin, when asked for, is fed from a stream; the environment is the one given', async () => {
    const env = { PATH: process.env.PATH, IMAGE_BUDGET_PROBE: 'given' };
    const run = spawnStream('sh', ['-c', 'cat; printf %s "$IMAGE_BUDGET_PROBE" >&2; exit 4'], { env, stdin: 'pipe' });
    const [out] = await Promise.all([text(run.stdout), pipeline(Readable.from(['one ', 'two']), run.stdin!)]);
    expect(out).toBe('one two');
    await expect(run.done).resolves.toEqual({ code: 4, stderr: 'given' });
  });

  test('a program that is not there rejects `done` with "command not found"', async () => {
    const run = spawnStream('image-budget-no-such-program', []);
    await expect(run.done).rejects.toThrow(new ExecError('image-budget-no-such-program', 'image-budget-no-such-program: command not found'));
  });
});
