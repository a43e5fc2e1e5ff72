// Security requirement 9 and RELIABILITY row 23 at the process boundary: what git and docker
// actually receive. Real git in a real repository whose files are named like refs and options; a
// stand-in `docker` program (a shell script first on PATH) that records the argv and environment
// it was started with and writes a build log in pieces; no Docker engine.
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BuildPlan } from '../../src/buildx/argv.js';
import { runBuild } from '../../src/buildx/build.js';
import { probeBuilder } from '../../src/buildx/probe.js';
import { exec as realExec, type Exec } from '../../src/exec.js';
import { Git, InvalidRefError } from '../../src/git/git.js';
import { NO_BUILD_SETTINGS } from '../../src/model.js';
import { isolatedExec, makePullRequestCheckout, runGit, type PullRequestFixture } from '../support/git-fixture.js';

const temps: string[] = [];
const fixtures: PullRequestFixture[] = [];
afterAll(async () => {
  await Promise.all([...fixtures.map((f) => f.cleanup()), ...temps.map((d) => rm(d, { recursive: true, force: true }))]);
});
async function temp(prefix: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Records each call, then runs it for real (git with the fixture's isolated config). */
function recording(inner: Exec = isolatedExec): { exec: Exec; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    exec: (file, args, options) => {
      calls.push([file, ...args]);
      return inner(file, args, options);
    }
  };
}

describe('git, in a repository whose files are named like refs and options', () => {
  let pr: PullRequestFixture;
  beforeAll(async () => {
    pr = await makePullRequestCheckout({
      files: {
        base: { Dockerfile: 'FROM scratch\n' },
        // A folder named like the branch, files named like options and like the base commit's id.
        head: { Dockerfile: 'FROM scratch\n', 'dev/README': 'a folder\n', '--all': 'x\n', '-x': 'x\n' }
      },
      branches: { dev: { 'dev.txt': 'the dev branch\n' } },
      fetchDepth: 0
    });
    fixtures.push(pr);
    // A file named exactly like the base commit: without `--`, git would stop at "ambiguous argument".
    await writeFile(path.join(pr.checkout, pr.baseSha), 'a file named like a commit\n');
  });

  test('ancestors passes the commit before --, so a file of the same name is not a path', async () => {
    const spy = recording();
    const git = new Git(pr.checkout, { exec: spy.exec });
    expect(await git.ancestors(pr.headSha, 5)).toEqual([pr.headSha, pr.baseSha]);
    expect(await git.ancestors(pr.baseSha, 5)).toEqual([pr.baseSha]);
    expect(spy.calls[1]).toEqual(['git', 'rev-list', '--first-parent', '--max-count=5', pr.baseSha, '--']);
    // The same call without `--` is what git refuses here: the test above guards a real ambiguity.
    const bare = await isolatedExec('git', ['rev-list', '--first-parent', '--max-count=5', pr.baseSha], { cwd: pr.checkout });
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/ambiguous argument/);
  });

  test("git gets no input of the action's (the github-token among them)", async () => {
    const envs: NodeJS.ProcessEnv[] = [];
    const git = new Git(pr.checkout, {
      exec: (file, args, options) => {
        envs.push(options?.env ?? {});
        return isolatedExec(file, args, options);
      },
      env: { ...process.env, 'INPUT_GITHUB-TOKEN': 'ghs_input', INPUT_CONTEXT: '.' }
    });
    expect(await git.revParseCommit(pr.baseSha)).toBe(pr.baseSha);
    expect(envs).toHaveLength(1);
    expect(Object.keys(envs[0]!).filter((k) => k.startsWith('INPUT_'))).toEqual([]);
    expect(envs[0]!.PATH).toBe(process.env.PATH);
  });

  test('a ref named dev resolves to the branch beside a folder dev; one named -x never reaches git', async () => {
    const spy = recording();
    const git = new Git(pr.checkout, { exec: spy.exec });
    await runGit(pr.checkout, ['branch', '--force', 'dev', pr.branchShas['dev'] ?? '']);
    expect(await git.revParseCommit('dev')).toBe(pr.branchShas['dev']);
    expect(spy.calls).toEqual([['git', 'rev-parse', '--verify', '--quiet', '--end-of-options', 'dev^{commit}']]);
    spy.calls.length = 0;
    for (const attempt of [
      git.ancestors('-x', 5),
      git.ancestors('--all', 5),
      git.revParseCommit('--all'),
      git.fetchInto('origin', '--upload-pack=touch pwned', 'refs/remotes/origin/x', null),
      git.checkoutDetached('-x'),
      git.fetchInto('--upload-pack=touch pwned', pr.baseSha, undefined, 1),
      git.fetchInto('origin', '-x', 'refs/remotes/origin/x', 1)
    ]) {
      await expect(attempt).rejects.toBeInstanceOf(InvalidRefError);
    }
    expect(spy.calls).toEqual([]);
    expect((await readdir(pr.checkout)).filter((n) => n.includes('pwned'))).toEqual([]);
  });
});

// A `docker` stand-in: records its argv (NUL-separated) and environment, then prints a build log
// in two writes with a pause between them, splitting the value of TOKEN across the two.
const SECRET = 'ghp_' + 'Zq8Wm2Rt5Yp7'.repeat(3);
const FAKE_DOCKER = `#!/bin/sh
printf '%s\\0' "$@" >> "$FAKE_RECORD/argv"
printf '\\0--end--\\0' >> "$FAKE_RECORD/argv"
env -0 > "$FAKE_RECORD/env"
printf '#5 [2/2] RUN echo "$TOKEN"\\n#5 0.101 ${SECRET.slice(0, 11)}'
sleep 0.3
printf '${SECRET.slice(11)}\\n#5 DONE 0.1s\\n'
printf 'ERROR: failed to solve: process did not complete: ${SECRET.slice(0, 20)}' >&2
sleep 0.3
printf '${SECRET.slice(20)} leaked\\n' >&2
exit 1
`;

async function fakeDocker(script = FAKE_DOCKER): Promise<{ env: NodeJS.ProcessEnv; record: string; argvs(): Promise<string[][]> }> {
  const dir = await temp('ib-fake-docker-');
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'record');
  await mkdir(bin);
  await mkdir(record);
  await writeFile(path.join(bin, 'docker'), script);
  await chmod(path.join(bin, 'docker'), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, FAKE_RECORD: record };
  return {
    env,
    record,
    argvs: async () => {
      const text = await readFile(path.join(record, 'argv'), 'utf8').catch(() => '');
      return text
        .split('\0--end--\0')
        .filter((r) => r !== '')
        .map((r) => r.split('\0').slice(0, -1));
    }
  };
}

const PLAN: BuildPlan = {
  context: '/w',
  file: '/w/Dockerfile',
  stage: 'release',
  platforms: [],
  buildArgs: [['TOKEN', SECRET]],
  network: 'none',
  builder: undefined,
  cache: { type: 'none' },
  cacheScopes: { from: ['s-head'], to: 's-head' },
  cacheExport: false,
  outputDir: '/tmp/out',
  metadataFile: '/tmp/meta.json'
};

describe('docker buildx build, as the program receives it', () => {
  test('shell syntax and option-like names arrive literally, the context alone after --', async () => {
    const fake = await fakeDocker();
    const context = await temp('ib-ctx-');
    const hostile = path.join(context, '$(touch pwned); -rf `id` dev');
    await mkdir(hostile);
    const built = await runBuild(realExec, { ...PLAN, context: hostile, file: `${hostile}/Dockerfile` }, { secrets: [SECRET], env: fake.env });
    expect(built.ok).toBe(false);
    const [argv] = await fake.argvs();
    expect(argv?.slice(-2)).toEqual(['--', hostile]);
    expect(argv?.filter((a) => a === '--')).toHaveLength(1);
    expect(argv).toContain(`${hostile}/Dockerfile`);
    expect(argv?.[argv.indexOf('--build-arg') + 1]).toBe(`TOKEN=${SECRET}`);
    // No shell ran the names: nothing was created.
    expect((await readdir(context)).sort()).toEqual(['$(touch pwned); -rf `id` dev']);
    expect(await readdir(hostile)).toEqual([]);
  });

  test('the live log and the failure message never hold the value, even split across writes', async () => {
    const fake = await fakeDocker();
    const log: string[] = [];
    const built = await runBuild(realExec, { ...PLAN, context: await temp('ib-ctx-') }, { secrets: [SECRET], env: fake.env, onLog: (c) => log.push(c) });
    const live = log.join('');
    // The stand-in did write it, in two pieces.
    expect(live).toContain('#5 0.101 ***\n');
    expect(live).toContain('process did not complete: *** leaked');
    expect(live).not.toContain(SECRET.slice(0, 11));
    expect(live).not.toContain(SECRET.slice(11));
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.error).toBe('failed to solve: process did not complete: *** leaked');
    expect(`${built.error}\n${built.detail}`).not.toContain(SECRET.slice(4));
  });

  test("a Dockerfile's output never reads as a workflow command in the live log, however it is written", async () => {
    // What a RUN step prints reaches the log; BuildKit prefixes its lines, buildx's own lines and a
    // lone carriage return do not. `::` split across two writes, `##[` anywhere in a line.
    const fake = await fakeDocker(`#!/bin/sh
printf '::add-mask::visible\\n##[set-output name=regressed;]false\\n#5 0.1 ok ##[error]x\\n:'
sleep 0.3
printf ':error::pwned\\nprogress\\r::warning::y\\n'
exit 0
`);
    const log: string[] = [];
    const built = await runBuild(realExec, { ...PLAN, context: await temp('ib-ctx-') }, { secrets: [], env: fake.env, onLog: (c) => log.push(c) });
    expect(built.ok).toBe(true);
    const lines = log.join('').split(/\r\n|\r|\n/);
    // Everything was printed, readable (a zero-width space breaks each command)...
    expect(lines.map((l) => l.replace(/\u200b/g, ''))).toEqual(['::add-mask::visible', '##[set-output name=regressed;]false', '#5 0.1 ok ##[error]x', '::error::pwned', 'progress', '::warning::y', '']);
    // ...and the runner finds no command in it.
    for (const l of lines) {
      expect(l.trimStart().startsWith('::')).toBe(false);
      expect(l).not.toContain('##[');
    }
  });

  test('the environment given is the environment the program gets, and nothing is added to it', async () => {
    const fake = await fakeDocker();
    await runBuild(realExec, { ...PLAN, context: await temp('ib-ctx-') }, { secrets: [SECRET], env: fake.env });
    const env = (await readFile(path.join(fake.record, 'env'), 'utf8')).split('\0').filter(Boolean);
    const names = env.map((kv) => kv.slice(0, kv.indexOf('='))).filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n));
    expect(names.sort()).toEqual(['FAKE_RECORD', 'PATH']);
  });

  test("an inline secret reaches docker in its environment, under the variable its --secret names, never in its argv", async () => {
    const fake = await fakeDocker();
    const build = {
      ...NO_BUILD_SETTINGS,
      secrets: [{ id: 'tok', env: 'IMAGE_BUDGET_SECRET_0', value: SECRET }],
      contexts: []
    };
    await runBuild(realExec, { ...PLAN, buildArgs: [], context: await temp('ib-ctx-'), build }, { secrets: [SECRET], env: fake.env });
    const [argv] = await fake.argvs();
    expect(argv?.[argv.indexOf('--secret') + 1]).toBe('id=tok,env=IMAGE_BUDGET_SECRET_0');
    expect(argv?.join('\0')).not.toContain(SECRET);
    const env = (await readFile(path.join(fake.record, 'env'), 'utf8')).split('\0').filter(Boolean);
    expect(env).toContain(`IMAGE_BUDGET_SECRET_0=${SECRET}`);
    const names = env.map((kv) => kv.slice(0, kv.indexOf('='))).filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n));
    expect(names.sort()).toEqual(['FAKE_RECORD', 'IMAGE_BUDGET_SECRET_0', 'PATH']);
  });

  test.each<[string, Partial<BuildPlan>]>([
    ['a stage named like an option (a hostile Dockerfile: FROM scratch AS --output=...)', { stage: '--output=type=local,dest=/' }],
    ['a builder -x', { builder: '-x' }],
    ['a platform that adds an option', { platforms: ['--push'] }]
  ])('%s: a failed build, and docker never started', async (_name, change) => {
    const fake = await fakeDocker();
    const built = await runBuild(realExec, { ...PLAN, ...change }, { secrets: [SECRET], env: fake.env });
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.error).toMatch(/^Refusing to build: /);
    expect(await fake.argvs()).toEqual([]);
  });
});

describe('the probes: docker buildx version, inspect, info', () => {
  test('the builder name goes after --, and docker gets no input or token variable', async () => {
    const envs: NodeJS.ProcessEnv[] = [];
    const spy = recording(async (_file, args, options) => {
      envs.push(options?.env ?? process.env);
      if (args[1] === 'version') return { code: 0, stdout: 'github.com/docker/buildx v0.17.1 abc\n', stderr: '' };
      return { code: 0, stdout: 'Name: dev\nDriver: docker-container\n\nNodes:\nName: dev0\nStatus: running\nPlatforms: linux/amd64\n', stderr: '' };
    });
    const saved = { ...process.env };
    Object.assign(process.env, { GITHUB_TOKEN: 'ghs_probe', GH_TOKEN: 'ghs_probe', 'INPUT_GITHUB-TOKEN': 'ghs_probe', DOCKER_HOST: 'unix:///probe.sock' });
    try {
      await probeBuilder(spy.exec, 'dev');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    // Asked at once; `docker info` too, whose answer only the docker driver needs.
    expect(spy.calls.map((c) => c.join(' ')).sort()).toEqual([
      'docker buildx inspect -- dev',
      'docker buildx version',
      'docker info --format {{json .DriverStatus}}'
    ]);
    expect(envs).toHaveLength(3);
    for (const env of envs) {
      expect(Object.entries(env).filter(([k, v]) => /^(INPUT_|GITHUB_TOKEN$|GH_TOKEN$)/.test(k) || v === 'ghs_probe')).toEqual([]);
      expect(env.DOCKER_HOST).toBe('unix:///probe.sock');
    }
  });
});
