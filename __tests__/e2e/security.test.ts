// Security requirements 6, 7, 9, 10, 11 and 13 end to end: the bundled dist/index.js run as the
// runner runs it, on a real engine, with a loopback GitHub. A `docker` wrapper first on PATH records
// the argv and environment of every docker command the action starts, then runs the real docker.
import { jest } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit, type PullRequestFixture } from '../support/git-fixture.js';
import { readLayout } from '../support/independent.js';
import { parseReport, realDocker, rowOf, usePrHarness, type DockerCall } from '../support/pr-run.js';
import { type ActionRun } from '../support/run-action.js';

jest.setTimeout(6 * 60_000);

const rand = (n: number): string => randomBytes(n).toString('hex');
const alnum = (n: number): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
};

// A secret-looking build argument (masked in the whole log by the runner) and an ordinary one (not
// masked: only the action keeps it out), with characters whose URL encoding differs from themselves.
const TOKEN = `ghp_${alnum(36)}`;
const NOTE = `nt-${rand(6)}/x+y@z w=${rand(4)}`;
const NONCE = rand(8);
// The token the action is given for the comment, and a variable no log may dump.
const GH_TOKEN = `ghs_${alnum(36)}`;
const CANARY = `canary-${rand(8)}`;
// Token-like strings written into the Dockerfile itself (requirement 6): no build argument knows them.
const LITERAL = {
  pat: `github_pat_11${alnum(20)}_${alnum(59)}`,
  aws: `AKIA${alnum(16).toUpperCase().replace(/[^A-Z0-9]/g, 'Q')}`,
  password: `hunter-${rand(6)}`
};

/** Every form in which a value could leak: as is, base64, URL-encoded, and JSON-escaped. */
function forms(value: string): string[] {
  return [...new Set([value, Buffer.from(value).toString('base64'), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])];
}

function expectNone(where: string, text: string, values: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(values)) {
    for (const form of forms(value)) expect([where, name, text.includes(form)]).toEqual([where, name, false]);
  }
}

/** Every regular file under dir, path → text. */
async function filesUnder(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(path.join(e.parentPath, e.name), await readFile(path.join(e.parentPath, e.name), 'latin1'));
  }
  return out;
}

const h = usePrHarness({
  github: {
    tokens: {
      [GH_TOKEN]: { login: 'github-actions[bot]', write: true },
      'read-only-token': { login: 'github-actions[bot]', write: false }
    }
  }
});

/** Runs the real docker CLI (not the wrapper), resolving to stdout. */
function docker(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(realDocker(), args, { env: process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(stdout)
    );
  });
}

describe('build-argument values and the token never leave the build (requirements 6, 7, 10, 13)', () => {
  const BASE_DOCKERFILE = ['FROM image-budget/busybox AS release', 'RUN echo base > /b', 'FROM image-budget/busybox AS broken', 'RUN echo ok > /ok', ''].join('\n');
  const HEAD_DOCKERFILE = [
    'FROM image-budget/busybox AS release',
    'ARG TOKEN',
    'ARG NOTE',
    'ARG NONCE',
    // Declared, so that a value the action passed under one of these names would show in /env.
    'ARG GITHUB_TOKEN',
    'ARG GIT_AUTH_TOKEN',
    'ARG ACTIONS_RUNTIME_TOKEN',
    'ENV NOTE_ENV=$NOTE',
    'LABEL org.example.token=$TOKEN org.example.note="$NOTE"',
    'RUN echo base > /b',
    // BuildKit records `|6 TOKEN=... NOTE=... /bin/sh -c ...` as this layer's created_by. A secret the
    // action passed would land in /secrets; an argument or variable, in /env.
    'RUN --mount=type=secret,id=GIT_AUTH_TOKEN,required=false --mount=type=secret,id=GITHUB_TOKEN,required=false ' +
      'echo "$NONCE" > /nonce && echo "$TOKEN" > /f && echo "$NOTE" > /note && ' +
      '(cat /run/secrets/* 2>/dev/null || true) > /secrets && env > /env',
    `RUN echo ${LITERAL.pat} > /lit && echo ${LITERAL.aws} >> /lit && echo password=${LITERAL.password} >> /lit`,
    // A file named after the values: its path is in the files details.
    'RUN seq 1 20000 > "/out-$TOKEN-$NONCE"',
    'FROM image-budget/busybox AS broken',
    'ARG NOTE',
    // A failing step that prints the value: its log is what the comment and the error show.
    'RUN echo "$NOTE" >&2 && exit 3',
    ''
  ].join('\n');

  let f: PullRequestFixture;
  let run: ActionRun;
  let calls: DockerCall[];
  const secrets = { TOKEN, NOTE, GH_TOKEN, CANARY, ...LITERAL };

  beforeAll(async () => {
    f = await h.pr({ Dockerfile: BASE_DOCKERFILE }, { Dockerfile: HEAD_DOCKERFILE }, 61);
    const wrapper = await h.dockerWrapper();
    run = await h.runOnPr(
      f,
      { targets: 'release, broken', 'build-args': `TOKEN=${TOKEN}\nNOTE=${NOTE}\nNONCE=${NONCE}`, details: 'layers,files', 'github-token': GH_TOKEN },
      { token: GH_TOKEN, env: { PATH: wrapper.path, GITHUB_TOKEN: GH_TOKEN, GH_TOKEN, IB_CANARY: CANARY } }
    );
    calls = await wrapper.calls();
  });

  test('the run measured, commented and failed on the broken target, as it should', () => {
    expect(run.code).toBe(1);
    expect(h.github.commentsOn(61)).toHaveLength(1);
    expect(run.summary).toContain('release');
    expect(run.errors.join('\n')).toMatch(/broken/);
  });

  test('no value in the comment, or in anything sent to GitHub', () => {
    const [comment] = h.github.commentsOn(61);
    expectNone('comment', comment!.body, secrets);
    for (const r of h.github.requests()) expectNone(`${r.method} ${r.route}`, JSON.stringify(r.body ?? null), secrets);
    // The history is shown, redacted: the absence above is not for want of showing it.
    expect(comment!.body).toContain('TOKEN=***');
    expect(comment!.body).toContain('NOTE=***');
    // The file named after the values is listed, its path masked.
    expect(comment!.body).toMatch(/\/out-(\\?\*){3}-(\\?\*){3}/);
    expect(comment!.body).not.toContain(NONCE);
    // The failing step's log is shown, the value masked in it (BuildKit prints the step with the
    // argument expanded, and the value the step wrote).
    expect(comment!.body).toContain('RUN echo "***" >&2 && exit 3');
    expect(comment!.body).toMatch(/\n\d+\.\d+ \*\*\*\n/);
  });

  test('no value in the summary, the outputs, the report or any file the run wrote', async () => {
    expectNone('summary', run.summary, secrets);
    for (const [name, value] of Object.entries(run.outputs)) expectNone(`output ${name}`, value, secrets);
    // GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_STATE, RUNNER_TEMP (report.json) and the rest.
    const files = await filesUnder(path.dirname(run.runnerTemp));
    expect([...files.keys()].some((p) => p.endsWith('report.json'))).toBe(true);
    for (const [file, text] of files) expectNone(file, text, secrets);
    const report = parseReport(await readFile(run.outputs.report!, 'utf8'));
    const release = rowOf(report, 'release');
    const instructions = release.head.layers!.map((l) => l.instruction);
    expect(instructions.some((i) => /^RUN \|6 TOKEN=\*\*\* NOTE=\*\*\* NONCE=\*\*\* GITHUB_TOKEN=\*\*\* GIT_AUTH_TOKEN=\*\*\* ACTIONS_RUNTIME_TOKEN=\*\*\* .*echo "\$TOKEN" > \/f/.test(i))).toBe(true);
    // The literal tokens' layer is shown with each one replaced.
    expect(instructions.some((i) => i.includes('/bin/sh -c echo *** > /lit && echo *** >> /lit && echo password=*** >> /lit'))).toBe(true);
    const broken = rowOf(report, 'broken');
    expect(broken.head.state).toBe('failed');
  });

  test('no value in the log, but for the mask command the runner consumes', () => {
    for (const [where, text] of [
      ['stdout', run.stdout],
      ['stderr', run.stderr]
    ] as const) {
      const lines = text.split('\n');
      // The secret-looking TOKEN and the token may only appear as `::add-mask::<value>`.
      for (const value of [TOKEN, GH_TOKEN]) {
        for (const form of forms(value)) {
          // (The token's derived forms are registered too, each on an add-mask line of its own.)
          expect([where, lines.filter((l) => l.includes(form) && !l.startsWith('::add-mask::'))]).toEqual([where, []]);
        }
      }
      // (The literal tokens are in the log as the Dockerfile's own text, which the repository shows anyway.)
      expectNone(where, text, { NOTE, CANARY });
    }
    expect(run.stdout).toContain(`::add-mask::${TOKEN}`);
    expect(run.stdout).not.toMatch(/authorization:|\bbearer\b/i);
    // The build's live log was printed, the failing step's output in it masked.
    expect(run.stdout).toMatch(/#\d+ \d+\.\d+ \*\*\*\n/);
  });

  test('docker got the build arguments as argv, the context after --, and never the token (argv or environment)', () => {
    const builds = calls.filter((c) => c.argv[0] === 'buildx' && c.argv[1] === 'build');
    // release and broken, head and base.
    expect(builds).toHaveLength(4);
    for (const b of builds) {
      expect(b.argv.filter((a) => a === '--')).toHaveLength(1);
      expect(b.argv.at(-2)).toBe('--');
      const args = b.argv.flatMap((a, i) => (a === '--build-arg' ? [b.argv[i + 1]] : []));
      expect(args).toEqual([`TOKEN=${TOKEN}`, `NOTE=${NOTE}`, `NONCE=${NONCE}`]);
      expect(b.argv.filter((a) => /^--(secret|ssh|allow)\b/.test(a))).toEqual([]);
    }
    // Every docker command: the builds, the probes (version, inspect, info) and the rest.
    expect(calls.some((c) => c.argv[0] === 'buildx' && c.argv[1] === 'inspect')).toBe(true);
    for (const c of calls) {
      expect(c.argv.join('\0')).not.toContain(GH_TOKEN);
      expect([c.argv.slice(0, 2), c.env.filter((kv) => kv.includes(GH_TOKEN) || /^(GITHUB_TOKEN|GH_TOKEN|INPUT_)/.test(kv))]).toEqual([c.argv.slice(0, 2), []]);
      // The client keeps what it needs: the engine's address.
      expect(c.env).toContain(`DOCKER_HOST=${process.env.DOCKER_HOST}`);
    }
  });

  test('independently: the build ran with the values, and without the token', async () => {
    // Built again with the same arguments and no token: the engine's cache gives back the layers the
    // action built only if the action's build had exactly these arguments (an extra build argument
    // changes the RUN step's key). A secret mount does not change the key: its content would be in
    // the cached layer, and so in /secrets below.
    const dir = await h.temp('ib-sec-independent-');
    await docker([
      'buildx', 'build', '--target', 'release', '--network', 'none',
      '--build-arg', `TOKEN=${TOKEN}`, '--build-arg', `NOTE=${NOTE}`, '--build-arg', `NONCE=${NONCE}`,
      '--output', `type=oci,dest=${dir}/layout,tar=false`, '--', f.checkout
    ]);
    const [reading] = [...(await readLayout(path.join(dir, 'layout'))).values()];
    const release = rowOf(parseReport(await readFile(run.outputs.report!, 'utf8')), 'release');
    expect(release.head.layers!.map((l) => l.digest)).toEqual(reading!.layerDigests);

    // The image's own history and labels carry the values: what the action had to keep out.
    const index = JSON.parse(await readFile(path.join(dir, 'layout', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const blob = (d: string): string => path.join(dir, 'layout', 'blobs', ...d.split(':'));
    let manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), 'utf8')) as { manifests?: Array<{ digest: string }>; config?: { digest: string }; layers?: Array<{ digest: string }> };
    if (manifest.manifests) manifest = JSON.parse(await readFile(blob(manifest.manifests[0]!.digest), 'utf8')) as typeof manifest;
    const config = JSON.parse(await readFile(blob(manifest.config!.digest), 'utf8')) as { config: { Labels: Record<string, string> }; history: Array<{ created_by?: string }> };
    expect(config.history.some((h) => h.created_by?.includes(`TOKEN=${TOKEN}`))).toBe(true);
    expect(config.history.some((h) => h.created_by?.includes(LITERAL.pat))).toBe(true);
    expect(config.config.Labels['org.example.token']).toBe(TOKEN);

    // The files the build wrote, unpacked layer by layer.
    const fs = path.join(dir, 'fs');
    await mkdir(fs);
    for (const layer of manifest.layers!) execFileSync('tar', ['-xzf', blob(layer.digest), '-C', fs, '--no-same-owner', '--no-same-permissions']);
    const read = (p: string): Promise<string> => readFile(path.join(fs, p), 'utf8');
    expect(await read('f')).toBe(`${TOKEN}\n`);
    expect(await read('note')).toBe(`${NOTE}\n`);
    expect(await read('nonce')).toBe(`${NONCE}\n`);
    expect((await read(`out-${TOKEN}-${NONCE}`)).length).toBeGreaterThan(100_000);
    expect(await read('secrets')).toBe('');
    const env = await read('env');
    expect(env).toContain(`TOKEN=${TOKEN}`);
    expect(env).not.toContain(GH_TOKEN);
    expect(env).not.toMatch(/^(GITHUB_TOKEN|GIT_AUTH_TOKEN|ACTIONS_RUNTIME_TOKEN)=./m);
  });
});

describe("the job's token that actions/checkout leaves in .git/config (issue 16.1)", () => {
  // actions/checkout with persist-credentials: true (its default) writes this header into
  // .git/config; `COPY . .` takes it into the build, whose failing step prints it.
  const credential = Buffer.from(`x-access-token:${GH_TOKEN}`).toString('base64');
  const stage = (name: string, run: string): string[] => [`FROM image-budget/busybox:latest AS ${name}`, 'WORKDIR /src', 'COPY . .', `RUN ${run} && false`];
  const DOCKERFILE = [
    ...stage('cat', 'cat .git/config'),
    // The whole file as one base64 line: the credential inside it at the file's own alignment.
    ...stage('b64', 'base64 -w 0 .git/config'),
    // The credential decoded: the raw token.
    ...stage('raw', "sed -n 's/.*basic //p' .git/config | base64 -d"),
    ''
  ].join('\n');
  /** The characters of `base64(text)` that encode nothing but `part`'s bytes (the part at its alignment in text). */
  const encodedInside = (text: string, part: string): string => {
    const at = Buffer.from(text.slice(0, text.indexOf(part))).length;
    const end = at + Buffer.from(part).length;
    return Buffer.from(text).toString('base64').slice(Math.ceil(at / 3) * 4, Math.floor(end / 3) * 4);
  };
  /** The token, checkout's credential, and the credential inside the base64 of .git/config (with the forms of each). */
  const leaks = (): Record<string, string> => ({ token: GH_TOKEN, credential, inConfig: encodedInside(config, credential) });

  let run: ActionRun;
  let config: string;

  beforeAll(async () => {
    const f = await h.pr({ Dockerfile: 'FROM scratch AS cat\n' }, { Dockerfile: DOCKERFILE }, 65);
    await runGit(f.checkout, ['config', '--local', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${credential}`]);
    config = await readFile(path.join(f.checkout, '.git', 'config'), 'utf8');
    run = await h.runOnPr(f, { targets: 'cat, b64, raw', baseline: 'none', 'github-token': GH_TOKEN }, { token: GH_TOKEN, env: { GITHUB_TOKEN: GH_TOKEN } });
  });

  test('the builds failed printing the credential, and the run commented on them', () => {
    expect(config).toContain(`extraheader = AUTHORIZATION: basic ${credential}`);
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/cat: .*did not complete successfully/);
    expect(h.github.commentsOn(65)).toHaveLength(1);
  });

  test('the comment shows the failing steps with every form of the token masked', () => {
    const body = h.github.commentsOn(65)[0]!.body;
    expect(leaks().inConfig!.length).toBeGreaterThan(60);
    expectNone('comment', body, leaks());
    for (const r of h.github.requests()) expectNone(`${r.method} ${r.route}`, JSON.stringify(r.body ?? null), leaks());
    // The step's output is shown, the header's value masked: the absence above is not for want of showing it.
    expect(body).toMatch(/extraheader = AUTHORIZATION: (\\?\*){3}/);
    expect(body).toMatch(/x-access-token:(\\?\*){3}/);
    expect(body).toContain(Buffer.from(config).toString('base64').slice(0, 40));
  });

  test('no form of the token in the summary, the outputs, the report or any file the run wrote', async () => {
    expectNone('summary', run.summary, leaks());
    for (const [name, value] of Object.entries(run.outputs)) expectNone(`output ${name}`, value, leaks());
    const files = await filesUnder(path.dirname(run.runnerTemp));
    expect([...files.keys()].some((p) => p.endsWith('report.json'))).toBe(true);
    for (const [file, text] of files) expectNone(file, text, leaks());
    const report = parseReport(await readFile(run.outputs.report!, 'utf8'));
    expect(rowOf(report, 'cat').head.error).toMatch(/AUTHORIZATION: \*\*\*/);
  });

  test('in the log, the forms appear only in the add-mask commands the runner consumes', () => {
    for (const [where, text] of [
      ['stdout', run.stdout],
      ['stderr', run.stderr]
    ] as const) {
      const lines = text.split('\n').filter((l) => !l.startsWith('::add-mask::'));
      for (const [name, value] of Object.entries(leaks())) {
        for (const form of forms(value)) expect([where, name, lines.filter((l) => l.includes(form))]).toEqual([where, name, []]);
      }
    }
    expect(run.stdout).toContain(`::add-mask::${credential}`);
    expect(run.stdout).toContain(`::add-mask::basic ${credential}`);
  });
});

describe('a stage named like an option (requirement 9)', () => {
  test('a pull request whose last stage is `AS --output=type=local,dest=...` never reaches buildx', async () => {
    const pwned = await h.temp('ib-pwned-');
    const dockerfile = `FROM scratch AS --output=type=local,dest=${pwned}\nCOPY a /a\n`;
    const f = await h.pr({ Dockerfile: dockerfile, a: 'a\n' }, { Dockerfile: dockerfile, a: 'ab\n' }, 64);
    const wrapper = await h.dockerWrapper();
    const run = await h.runOnPr(f, { baseline: 'none' }, { env: { PATH: wrapper.path } });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toContain('Refusing to build: stage "--output=type=local,dest=');
    const calls = await wrapper.calls();
    // The probes ran; no build did.
    expect(calls.some((c) => c.argv[1] === 'inspect')).toBe(true);
    expect(calls.filter((c) => c.argv[1] === 'build')).toEqual([]);
    expect(await readdir(pwned)).toEqual([]);
  });
});

describe('a comment the token may not write (requirement 13)', () => {
  test('the warning names the failure, never the token or a header', async () => {
    const f = await h.pr({ Dockerfile: 'FROM scratch AS release\nCOPY a /a\n', a: 'a\n' }, { Dockerfile: 'FROM scratch AS release\nCOPY a /a\n', a: 'ab\n' }, 62);
    const run = await h.runOnPr(f, { targets: 'release', baseline: 'none', 'github-token': 'read-only-token' }, { token: 'read-only-token', env: { IB_CANARY: CANARY } });
    expect(run.code).toBe(0);
    expect(h.github.commentsOn(62)).toHaveLength(0);
    const warning = run.warnings.find((w) => /comment/i.test(w));
    expect(warning).toMatch(/403|permission|Resource not accessible/i);
    // The token is registered as a secret first: the runner consumes that one line and masks the rest.
    expect(run.stdout.split('\n')[0]).toBe('::add-mask::read-only-token');
    const logged = run.stdout.split('\n').slice(1).join('\n');
    for (const text of [logged, run.stderr, run.summary]) {
      expect(text).not.toContain('read-only-token');
      expect(text).not.toContain(CANARY);
      expect(text).not.toMatch(/authorization:|\bbearer\b|x-github-request-id/i);
    }
  });
});

describe('paths outside the workspace and symbolic links are refused, before any build (requirement 11)', () => {
  let f: PullRequestFixture;
  let outside: string;
  const SECRET_CONTENT = `outside-secret-${rand(6)}`;

  beforeAll(async () => {
    outside = await h.temp('ib-outside-');
    await writeFile(path.join(outside, 'Dockerfile'), `FROM scratch\n# ${SECRET_CONTENT}\n`);
    await writeFile(path.join(outside, 'image-budget.yml'), `images:\n  - name: ${SECRET_CONTENT}\n`);
    f = await h.pr({ Dockerfile: 'FROM scratch AS release\n' }, { Dockerfile: 'FROM scratch AS release\n', 'svc/Dockerfile': 'FROM scratch\n' }, 63);
    // What a pull request can commit: links that lead out of the checkout.
    await symlink(path.join(outside, 'Dockerfile'), path.join(f.checkout, 'linked.Dockerfile'));
    await symlink(outside, path.join(f.checkout, 'linked-dir'));
    await symlink(path.join(outside, 'image-budget.yml'), path.join(f.checkout, 'linked.yml'));
    await symlink('../../../../../../../../etc', path.join(f.checkout, 'etc-link'));
    await writeFile(path.join(f.checkout, 'escaping.yml'), 'images:\n  - name: api\n    context: linked-dir\n');
    await writeFile(path.join(f.checkout, 'escaping-file.yml'), 'images:\n  - name: api\n    context: svc\n    file: /etc/passwd\n');
  });

  test.each<[string, () => Record<string, string>, RegExp]>([
    ['file: ../../etc/passwd', () => ({ file: '../../etc/passwd' }), /Invalid input 'file': "\.\.\/\.\.\/etc\/passwd"/],
    ['file: an absolute path outside', () => ({ file: '/etc/passwd' }), /Invalid input 'file': "\/etc\/passwd".*inside the workspace/],
    ['file: a symlink that leads outside', () => ({ file: 'linked.Dockerfile' }), /Invalid input 'file': "linked\.Dockerfile".*links to/],
    ['context: ../..', () => ({ context: '../..' }), /Invalid input 'context': "\.\.\/\.\."/],
    ['context: an absolute path outside', () => ({ context: outside }), /Invalid input 'context'.*inside the workspace/],
    ['context: a symlinked directory outside', () => ({ context: 'linked-dir' }), /Invalid input 'context': "linked-dir".*links to/],
    ['context: a relative symlink to /etc', () => ({ context: 'etc-link' }), /Invalid input 'context': "etc-link".*links to \/etc/],
    ['config: ../../etc/passwd', () => ({ config: '../../etc/passwd' }), /Invalid input 'config': "\.\.\/\.\.\/etc\/passwd"/],
    ['config: a symlink that leads outside', () => ({ config: 'linked.yml' }), /Invalid input 'config': "linked\.yml".*links to/],
    ['config: an image whose context links outside', () => ({ config: 'escaping.yml' }), /escaping\.yml:3:\d+: images\[0\]\.context: "linked-dir".*links to/],
    ['config: an image whose Dockerfile is outside', () => ({ config: 'escaping-file.yml' }), /escaping-file\.yml:4:\d+: images\[0\]\.file: "\/etc\/passwd".*inside the workspace/]
  ])('%s', async (_name, inputs, message) => {
    // No engine is reachable: had the action got as far as a build, the error would be Docker's.
    const run = await h.runOnPr(f, { targets: '', ...inputs() }, { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(message);
    expect(run.stdout).not.toMatch(/Build head target|Docker daemon is not reachable/);
    // What lies behind the link is never read out.
    expect(`${run.stdout}${run.stderr}${run.summary}`).not.toContain(SECRET_CONTENT);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/root:x:0:0/);
  });
});
