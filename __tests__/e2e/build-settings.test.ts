// Builds that need more than a context, end to end: the bundled dist/index.js on a real engine with a
// loopback GitHub, given a build step's `with:` as docker/build-push-action takes it. A Dockerfile
// reads a required secret (`RUN --mount=type=secret,id=tok,required=true`) and a named context
// (`COPY --from=extra`): head and base are both built with them, and the secret, written by the build
// into a file's name and content and into its log, is masked in the comment, summary, report,
// outputs and log. A fork's pull request on pull_request_target never gets the secret, even with
// allow-fork-builds: the step refuses before any build, naming the inputs. The command line's
// `compare` takes the same settings as flags.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../support/engine.js';
import { GIT_ISOLATION, runGit, type PullRequestFixture } from '../support/git-fixture.js';
import { parseReport, rowOf, rowsOf, usePrHarness, type DockerCall } from '../support/pr-run.js';
import { NODE24, pullRequestPayload, runAction, type ActionRun } from '../support/run-action.js';

jest.setTimeout(6 * 60_000);

// Not token-shaped and not named like a secret: only the action's own masking keeps it out.
const SECRET = `sv-${randomBytes(8).toString('hex')}`;
const EXTRA = `extra-${randomBytes(4).toString('hex')}`;

const h = usePrHarness();

const dockerfile = (lines: string[]): string => `${lines.join('\n')}\n`;
const BASE = dockerfile([
  'FROM image-budget/busybox:latest AS release',
  'COPY --from=extra extra.txt /extra.txt',
  'RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok | wc -c > /secret-length'
]);
const HEAD = dockerfile([
  'FROM image-budget/busybox:latest AS release',
  'COPY --from=extra extra.txt /extra.txt',
  'RUN --mount=type=secret,id=tok,required=true cat /run/secrets/tok | wc -c > /secret-length',
  // The secret in a file's name and content, and in the build's log.
  `RUN --mount=type=secret,id=tok,required=true sh -c 'v=$(cat /run/secrets/tok); echo "$v" > /leak; seq 1 5000 > "/out-$v"; echo "the secret is $v"'`
]);

async function filesUnder(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(path.join(e.parentPath, e.name), await readFile(path.join(e.parentPath, e.name), 'latin1'));
  }
  return out;
}

const forms = (v: string): string[] => [v, Buffer.from(v).toString('base64'), encodeURIComponent(v)];
const leaks = (text: string): string[] => forms(SECRET).filter((f) => text.includes(f));

describe('secrets and a named context, given to head and base, the secret masked everywhere', () => {
  let f: PullRequestFixture;
  let run: ActionRun;
  let calls: DockerCall[];

  beforeAll(async () => {
    f = await h.pr({ Dockerfile: BASE, 'other/extra.txt': `${EXTRA} base\n` }, { Dockerfile: HEAD, 'other/extra.txt': `${EXTRA} head, longer\n` }, 71);
    const wrapper = await h.dockerWrapper();
    run = await h.runOnPr(
      f,
      { targets: 'release', secrets: `tok=${SECRET}`, 'build-contexts': 'extra=./other', labels: 'org.example.kind=e2e', provenance: 'mode=max', details: 'layers,files' },
      { env: { PATH: wrapper.path } }
    );
    calls = await wrapper.calls();
  });

  test('both sides were measured with the secret and the named context', async () => {
    expect([run.code, run.errors]).toEqual([0, []]);
    const report = parseReport(await readFile(run.outputs.report!, 'utf8'));
    const row = rowOf(report, 'release');
    expect([row.head.state, row.base.state]).toEqual(['measured', 'measured']);
    // The head added one layer (the file named after the secret).
    expect(row.head.layers!.length - row.base.layers!.length).toBe(1);
  });

  test('the provenance attestation is built with the image and never measured as one', async () => {
    const builds = calls.filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build');
    for (const b of builds) expect(b.argv[b.argv.indexOf('--provenance') + 1]).toBe('mode=max');
    const report = parseReport(await readFile(run.outputs.report!, 'utf8'));
    // One row, the image's platform: no unknown/unknown row, and only the image's layers counted.
    expect(rowsOf(report).map((r) => [r.target, r.platform])).toEqual([['release', 'linux/amd64']]);
    const head = rowOf(report, 'release').head;
    expect(head.compressedBytes).toBe(head.layers!.reduce((n, l) => n + l.compressedBytes, 0));
    expect(head.layers!.every((l) => !/in-toto|provenance/i.test(l.mediaType))).toBe(true);
  });

  test('buildx got --secret id=tok,env=… and the named context of each side, never the value', () => {
    const builds = calls.filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build');
    expect(builds).toHaveLength(2);
    // Head and base build side by side: which one docker saw first varies; the head's context is the checkout's.
    const contexts = builds.map((b) => b.argv[b.argv.indexOf('--build-context') + 1]);
    const head = `extra=${path.join(f.checkout, 'other')}`;
    expect(contexts).toContain(head);
    const base = contexts.find((c) => c !== head);
    expect(base).toMatch(/^extra=\/.*\/other$/);
    for (const b of builds) {
      expect(b.argv[b.argv.indexOf('--secret') + 1]).toBe('id=tok,env=IMAGE_BUDGET_SECRET_0');
      expect(b.argv[b.argv.indexOf('--label') + 1]).toBe('org.example.kind=e2e');
      expect(leaks(b.argv.join('\0'))).toEqual([]);
      expect(b.env).toContain(`IMAGE_BUDGET_SECRET_0=${SECRET}`);
    }
  });

  test('the comment shows the file named after the secret, masked, and never the secret', () => {
    const [comment] = h.github.commentsOn(71);
    expect(comment!.body).toMatch(/out-(\\?\*){3}/);
    expect(leaks(comment!.body)).toEqual([]);
    for (const r of h.github.requests()) expect([r.route, leaks(JSON.stringify(r.body ?? null))]).toEqual([r.route, []]);
  });

  test('no secret in the summary, the outputs, the report or any file the run wrote', async () => {
    // The file named after the secret is listed there too, masked: what could leak is present.
    expect(run.summary).toMatch(/out-(\\?\*){3}/);
    expect(leaks(run.summary)).toEqual([]);
    for (const [name, value] of Object.entries(run.outputs)) expect([name, leaks(value)]).toEqual([name, []]);
    const files = await filesUnder(path.dirname(run.runnerTemp));
    expect([...files.keys()].some((p) => p.endsWith('report.json'))).toBe(true);
    for (const [file, text] of files) expect([file, leaks(text)]).toEqual([file, []]);
  });

  test('the log masks it, and tells the runner to mask it', () => {
    expect(run.stdout).toContain('the secret is ***');
    const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l !== `::add-mask::${SECRET}`);
    expect(leaks(lines.join('\n'))).toEqual([]);
    expect(run.stdout).toContain(`::add-mask::${SECRET}`);
  });
});

describe("a fork's pull request on pull_request_target never gets the secrets", () => {
  test('refused before any build, naming the secret inputs, even with allow-fork-builds: true', async () => {
    const f = await h.pr({ Dockerfile: BASE, 'other/extra.txt': 'x\n' }, { Dockerfile: HEAD, 'other/extra.txt': 'y\n' }, 72);
    const wrapper = await h.dockerWrapper();
    const run = await runAction({
      workspace: f.checkout,
      eventName: 'pull_request_target',
      payload: pullRequestPayload({ number: f.prNumber, baseSha: f.baseSha, headSha: f.headSha, fork: true }),
      inputs: { network: 'none', targets: 'release', 'allow-fork-builds': 'true', secrets: `tok=${SECRET}`, ssh: 'default', comment: 'never' },
      env: { GITHUB_API_URL: h.github.url, GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main', PATH: wrapper.path }
    });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(
      /^Refusing to build a fork's pull request on pull_request_target with secrets, ssh set: .* even with allow-fork-builds: true\./
    );
    expect((await wrapper.calls()).filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build')).toEqual([]);
    expect(leaks(`${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l !== `::add-mask::${SECRET}`).join('\n'))).toEqual([]);
  });
});

describe('image-budget compare takes the same settings as flags', () => {
  test('--secret-envs and --build-contexts: both sides built with them, the secret nowhere in the output', async () => {
    const dir = await h.temp('ib-settings-cli-');
    const commit = async (files: Record<string, string>, message: string): Promise<void> => {
      for (const [p, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
        await writeFile(path.join(dir, p), content);
      }
      await runGit(dir, ['add', '--all']);
      await runGit(dir, ['commit', '--quiet', '-m', message]);
    };
    await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
    await commit({ Dockerfile: BASE, 'other/extra.txt': 'base\n' }, 'base');
    await runGit(dir, ['checkout', '--quiet', '-b', 'feature']);
    await commit({ Dockerfile: HEAD, 'other/extra.txt': 'head\n' }, 'head');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, ...GIT_ISOLATION, IB_E2E_SECRET: SECRET };
    const cli = path.join(ROOT, 'dist', 'cli', 'index.js');
    const args = ['compare', '--base', 'main', '--network', 'none', '--secret-envs', 'tok=IB_E2E_SECRET', '--build-contexts', 'extra=./other', '--no-cache', '--json', '--verbose'];
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(NODE24, [cli, ...args], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
    expect([run.code, run.stderr.split('\n').filter((l) => /error/i.test(l))]).toEqual([0, []]);
    const row = rowOf(parseReport(run.stdout), 'release');
    expect([row.head.state, row.base.state]).toEqual(['measured', 'measured']);
    expect(run.stderr).toContain('the secret is ***');
    expect(leaks(run.stdout)).toEqual([]);
    expect(leaks(run.stderr)).toEqual([]);
  });
});
