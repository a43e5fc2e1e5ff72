// Security requirement 10: outputs and state go through @actions/core's file commands (a random
// delimiter per value), never hand-written to GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE / GITHUB_PATH.
import * as core from '@actions/core';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOutputFile } from '../support/run-action.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

test('no source file touches the runner\'s file-command files itself', () => {
  const offenders = sources(path.join(ROOT, 'src')).filter((file) =>
    /GITHUB_(OUTPUT|ENV|STATE|PATH)\b/.test(readFileSync(file, 'utf8'))
  );
  expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
});

test('@actions/core is 1.9.1 or later (random file-command delimiters, CVE-2022-35954)', () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@actions', 'core', 'package.json'), 'utf8')) as { version: string };
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(1_009_001);
});

test('an output holding newlines and a forged delimiter line comes back whole, and forges no other output', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-output-'));
  const file = path.join(dir, 'output.txt');
  await writeFile(file, '');
  const hostile = 'line one\nEOF\nregressed=false\nghadelimiter_00000000-0000-0000-0000-000000000000\nforged<<X\nyes\nX';
  const saved = process.env['GITHUB_OUTPUT'];
  process.env['GITHUB_OUTPUT'] = file;
  try {
    core.setOutput('summary', hostile);
    core.setOutput('regressed', 'true');
  } finally {
    if (saved === undefined) delete process.env['GITHUB_OUTPUT'];
    else process.env['GITHUB_OUTPUT'] = saved;
  }
  const outputs = parseOutputFile(await readFile(file, 'utf8'));
  expect(outputs).toEqual({ summary: hostile, regressed: 'true' });
});
