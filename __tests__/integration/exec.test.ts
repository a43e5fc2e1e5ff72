// The one way programs are started: argv arrays, no shell, failures that say what failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, ExecError } from '../../src/exec.js';

describe('exec', () => {
  test('arguments reach the program verbatim, shell characters and all', async () => {
    const args = ['$(id)', '`id`', 'a b', '; rm -rf /', '--', '-x', '*'];
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
