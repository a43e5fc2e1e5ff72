// The build settings of docker/build-push-action (secrets, secret-files, secret-envs, ssh,
// build-contexts, labels, no-cache, pull, shm-size, ulimit, add-hosts, allow, provenance, sbom):
// their list syntax as docker/actions-toolkit reads it, their errors (exact messages, a secret's value
// never echoed), the exact argv buildx gets, the refusal to hand secrets to a fork's code in a
// privileged run, and the command line's flags.
import { describe, expect, test } from '@jest/globals';
import { buildxArgv, type PlanSettings } from '../../src/buildx/argv.js';
import { withSecretEnv } from '../../src/buildx/build.js';
import { parseArgs, helpText, type CompareCommand } from '../../src/cli/args.js';
import { parseEventContext, type EventContext } from '../../src/github/event.js';
import { parseCsvList, secretInputsSet } from '../../src/inputs/build.js';
import { parseInputs } from '../../src/inputs/inputs.js';
import { INPUT } from '../../src/inputs/names.js';
import { NO_BUILD_SETTINGS, type BuildSettings } from '../../src/model.js';
import { secretsRefusal } from '../../src/pipeline/trust.js';
import { PLAN } from '../support/build-plan.js';
import { inputError } from '../support/input-error.js';

/** The build settings parseInputs gives for these inputs (the others empty). */
function settings(values: Record<string, string>): BuildSettings {
  const build = parseInputs((name) => (values[name] ?? '').trim()).build;
  if (build === undefined) throw new Error('parseInputs gave no build settings');
  return build;
}

const errorOf = (values: Record<string, string>): string => inputError(() => settings(values)).message;

describe('lists are read as docker/build-push-action reads them', () => {
  test('one item per line: commas stay, a quoted line loses its quotes, "" is a quote', () => {
    const items = parseCsvList('x', 'a=1,2\n"b=3,4"\n\n  "c=say ""hi"""  \n', true, 'e');
    expect(items).toEqual([
      { text: 'a=1,2', line: 1 },
      { text: 'b=3,4', line: 2 },
      { text: 'c=say "hi"', line: 4 }
    ]);
  });
  test('one item per comma or line: quotes do not keep a comma', () => {
    expect(parseCsvList('x', 'a, b\n"c,d"', false, 'e').map((i) => i.text)).toEqual(['a', 'b', 'c', 'd']);
  });
  test('an unclosed quote or text after a closing quote is an error naming the line', () => {
    expect(inputError(() => parseCsvList('labels', '"a=b', true, 'key=value lines')).message).toBe(
      `Invalid input 'labels': "\\"a=b" has a quote that is not closed (expected key=value lines)`
    );
    expect(inputError(() => parseCsvList('secrets', 'ok=1\n"t=hunter2"x', true, 'id=value lines', true)).message).toBe(
      `Invalid input 'secrets': line 2 has text after a closing quote (expected id=value lines)`
    );
  });
});

describe('parseInputs reads the build settings', () => {
  test('none set: no build settings', () => {
    expect(settings({})).toEqual(NO_BUILD_SETTINGS);
  });

  test('every input, in the forms a build-push-action step writes them', () => {
    const s = settings({
      [INPUT.secrets]: 'NPM_TOKEN=npm_abc,def\n"github_token=ghs_x=y"',
      [INPUT.secretFiles]: 'aws=/run/creds/aws',
      [INPUT.secretEnvs]: 'npm2=NPM_TOKEN, gh=GH_PAT',
      [INPUT.ssh]: 'default, deploy=keys/id_ed25519',
      [INPUT.buildContexts]: 'extra=./other\nalpine=docker-image://alpine:3.19\nbuilder=target:build',
      [INPUT.labels]: 'org.opencontainers.image.title=app\n"org.opencontainers.image.description=small, fast"',
      [INPUT.noCache]: 'true',
      [INPUT.pull]: 'TRUE',
      [INPUT.shmSize]: '2g',
      [INPUT.ulimit]: 'nofile=1024:2048\nnproc=-1',
      [INPUT.addHosts]: 'db.local:10.0.0.5,gw=host-gateway\nv6:::1',
      [INPUT.allow]: 'network.host,security.insecure,network.host',
      [INPUT.provenance]: 'mode=max',
      [INPUT.sbom]: 'false'
    });
    expect(s).toEqual({
      secrets: [
        { id: 'NPM_TOKEN', kind: 'value', value: 'npm_abc,def' },
        { id: 'github_token', kind: 'value', value: 'ghs_x=y' },
        { id: 'aws', kind: 'file', path: '/run/creds/aws' },
        { id: 'npm2', kind: 'env', variable: 'NPM_TOKEN' },
        { id: 'gh', kind: 'env', variable: 'GH_PAT' }
      ],
      ssh: [{ id: 'default' }, { id: 'deploy', path: 'keys/id_ed25519' }],
      contexts: [
        { name: 'extra', kind: 'directory', path: './other' },
        { name: 'alpine', kind: 'image', ref: 'alpine:3.19' },
        { name: 'builder', kind: 'target', stage: 'build' }
      ],
      labels: [
        ['org.opencontainers.image.title', 'app'],
        ['org.opencontainers.image.description', 'small, fast']
      ],
      noCache: true,
      pull: true,
      shmSize: '2g',
      ulimits: ['nofile=1024:2048', 'nproc=-1'],
      addHosts: ['db.local:10.0.0.5', 'gw:host-gateway', 'v6:::1'],
      allow: ['network.host', 'security.insecure'],
      provenance: 'mode=max',
      sbom: 'false'
    });
    expect(secretInputsSet(s)).toEqual(['secrets', 'secret-files', 'secret-envs', 'ssh']);
  });

  test('provenance true is given to buildx as true, attributes as written', () => {
    expect(settings({ [INPUT.provenance]: 'True' }).provenance).toBe('true');
    expect(settings({ [INPUT.provenance]: 'mode=min, inline-only=true' }).provenance).toBe('mode=min,inline-only=true');
  });
});

describe('each input refused before any build, naming the input, the value (never a secret) and the forms', () => {
  test.each<[string, Record<string, string>, string]>([
    [
      'a secret without =',
      { [INPUT.secrets]: 'A=1\nhunter2-no-equals' },
      `Invalid input 'secrets': line 2 has no "=" (expected id=value lines, e.g. NPM_TOKEN=\${{ secrets.NPM_TOKEN }})`
    ],
    [
      'a secret with an invalid id',
      { [INPUT.secrets]: 'my token=hunter2' },
      `Invalid input 'secrets': line 1 has an invalid id "my token" (expected id=value lines, e.g. NPM_TOKEN=\${{ secrets.NPM_TOKEN }}; an id of letters, digits, "_", "." or "-", at most 128 characters)`
    ],
    [
      'a secret without a value',
      { [INPUT.secrets]: 'TOKEN=' },
      `Invalid input 'secrets': line 1 has nothing after "TOKEN=" (expected id=value lines, e.g. NPM_TOKEN=\${{ secrets.NPM_TOKEN }})`
    ],
    [
      'the same id twice across the secret inputs',
      { [INPUT.secrets]: 'tok=hunter2', [INPUT.secretEnvs]: 'tok=TOKEN' },
      `Invalid input 'secret-envs': "tok" is already given by secrets (expected each secret id once across secrets, secret-files and secret-envs)`
    ],
    [
      'a secret file without a path',
      { [INPUT.secretFiles]: 'aws' },
      `Invalid input 'secret-files': "aws" has no "=" (expected id=path lines, e.g. aws=\${{ runner.temp }}/aws-credentials)`
    ],
    [
      'a secret env naming no variable',
      { [INPUT.secretEnvs]: 'npm=$NPM_TOKEN' },
      `Invalid input 'secret-envs': "npm=$NPM_TOKEN" names no environment variable ("$NPM_TOKEN") (expected id=VARIABLE entries, comma or newline separated, e.g. npm=NPM_TOKEN)`
    ],
    [
      'an ssh id that is an option',
      { [INPUT.ssh]: '--upload' },
      `Invalid input 'ssh': "--upload" (expected default, an id, or id=path (an agent socket or a private key), comma or newline separated; an id of letters, digits, "_", "." or "-", at most 128 characters)`
    ],
    [
      'a build context without =',
      { [INPUT.buildContexts]: './other' },
      `Invalid input 'build-contexts': "./other" has no "=" (expected name=value lines, value a directory, docker-image://REF or target:STAGE, e.g. extra=./other)`
    ],
    [
      'a remote build context',
      { [INPUT.buildContexts]: 'src=https://github.com/o/r.git' },
      `Invalid input 'build-contexts': "src=https://github.com/o/r.git" is a remote context, which is not measured alike on both sides; only directories, docker-image:// and target: are (expected name=value lines, value a directory, docker-image://REF or target:STAGE, e.g. extra=./other)`
    ],
    [
      'a target context that is no stage name',
      { [INPUT.buildContexts]: 'b=target:1st' },
      `Invalid input 'build-contexts': "b=target:1st" needs a stage name after target: (expected name=value lines, value a directory, docker-image://REF or target:STAGE, e.g. extra=./other)`
    ],
    [
      'the same context name twice',
      { [INPUT.buildContexts]: 'a=./x\na=./y' },
      `Invalid input 'build-contexts': "a" is given more than once (expected each name once)`
    ],
    [
      'a label without =',
      { [INPUT.labels]: 'version' },
      `Invalid input 'labels': "version" has no "=" (expected key=value lines, e.g. org.opencontainers.image.source=https://github.com/o/r)`
    ],
    ['no-cache not a boolean', { [INPUT.noCache]: 'yes' }, `Invalid input 'no-cache': "yes" (expected true or false)`],
    ['pull not a boolean', { [INPUT.pull]: '1' }, `Invalid input 'pull': "1" (expected true or false)`],
    ['a shm-size in words', { [INPUT.shmSize]: 'two gigs' }, `Invalid input 'shm-size': "two gigs" (expected a size as docker writes it, e.g. 2g, 512m, 1.5gb)`],
    [
      'an unknown ulimit',
      { [INPUT.ulimit]: 'files=10' },
      `Invalid input 'ulimit': "files=10" (expected type=soft[:hard] lines, e.g. nofile=1024:2048; types core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)`
    ],
    ['a ulimit twice', { [INPUT.ulimit]: 'nofile=1\nnofile=2' }, `Invalid input 'ulimit': "nofile=2" sets nofile again (expected each type once)`],
    [
      'a host without an address',
      { [INPUT.addHosts]: 'db.local' },
      `Invalid input 'add-hosts': "db.local" (expected host:ip entries, comma or newline separated, e.g. db.local:10.0.0.5 or gateway:host-gateway)`
    ],
    ['an unknown entitlement', { [INPUT.allow]: 'network.host,root' }, `Invalid input 'allow': "root" (expected a list of network.host, security.insecure)`],
    [
      'a provenance mode that is neither min nor max',
      { [INPUT.provenance]: 'mode=full' },
      `Invalid input 'provenance': "mode=full" has a mode other than min or max (expected true, false or attributes such as mode=max)`
    ],
    [
      'an sbom attribute with a space',
      { [INPUT.sbom]: 'generator=a b' },
      `Invalid input 'sbom': "generator=a b" has an invalid attribute "generator=a b" (expected true, false or attributes such as generator=IMAGE)`
    ]
  ])('%s', (_what, values, message) => {
    expect(errorOf(values)).toBe(message);
  });

  test("a secret's value never appears in its errors", () => {
    for (const text of ['hunter2', '"hunter2', '"a=hunter2"x', 'a b=hunter2', 'X=hunter2\nX=hunter2']) {
      let message = '';
      try {
        settings({ [INPUT.secrets]: text });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^Invalid input 'secrets'/);
      expect(message).not.toContain('hunter2');
    }
  });
});

const SETTINGS: PlanSettings = {
  ...NO_BUILD_SETTINGS,
  secrets: [
    { id: 'npm', env: 'IMAGE_BUDGET_SECRET_0', value: 'npm_s3cret' },
    { id: 'aws', src: '/run/creds/a,b' }
  ],
  ssh: [{ id: 'default' }, { id: 'deploy', path: '/w/keys/id' }],
  contexts: [
    ['extra', '/w/other'],
    ['alpine', 'docker-image://alpine:3.19']
  ],
  labels: [['org.opencontainers.image.title', 'app, small']],
  noCache: true,
  pull: true,
  shmSize: '2g',
  ulimits: ['nofile=1024:2048'],
  addHosts: ['db.local:10.0.0.5'],
  allow: ['network.host'],
  provenance: 'mode=max',
  sbom: 'false'
};

describe('the exact argv of a build with settings', () => {
  test('every setting after the build arguments, each value after its option, no secret value', () => {
    const argv = buildxArgv({ ...PLAN, build: SETTINGS });
    expect(argv).toEqual([
      'buildx', 'build', '--file', '/w/Dockerfile', '--target', 'release',
      '--build-context', 'extra=/w/other',
      '--build-context', 'alpine=docker-image://alpine:3.19',
      '--label', 'org.opencontainers.image.title=app, small',
      '--secret', 'id=npm,env=IMAGE_BUDGET_SECRET_0',
      '--secret', 'id=aws,"src=/run/creds/a,b"',
      '--ssh', 'default',
      '--ssh', 'deploy=/w/keys/id',
      '--no-cache', '--pull',
      '--shm-size', '2g',
      '--ulimit', 'nofile=1024:2048',
      '--add-host', 'db.local:10.0.0.5',
      '--allow', 'network.host',
      '--provenance', 'mode=max',
      '--sbom', 'false',
      '--output', 'type=oci,dest=/tmp/out,tar=false',
      '--metadata-file', '/tmp/meta.json',
      '--progress', 'plain',
      '--', '/w'
    ]);
    expect(argv.join(' ')).not.toContain('npm_s3cret');
  });

  test('no settings: the argv of today', () => {
    expect(buildxArgv({ ...PLAN, build: { ...NO_BUILD_SETTINGS, secrets: [], contexts: [] } })).toEqual(buildxArgv(PLAN));
  });

  test("the docker client's environment gets each env= secret's value, and nothing else changes", () => {
    const env = withSecretEnv({ PATH: '/bin' }, { ...PLAN, build: SETTINGS });
    expect(env).toEqual({ PATH: '/bin', IMAGE_BUDGET_SECRET_0: 'npm_s3cret' });
    const same = { PATH: '/bin' };
    expect(withSecretEnv(same, PLAN)).toBe(same);
  });
});

describe('secrets never reach a fork\'s code in a privileged run, whatever allow-fork-builds says', () => {
  const repository = { full_name: 'octo/app', name: 'app', owner: { login: 'octo' }, default_branch: 'main' };
  const env = { GITHUB_REPOSITORY: 'octo/app', GITHUB_SHA: 'c'.repeat(40), GITHUB_REF: 'refs/heads/main' };
  const pr = (name: string, repo: string): EventContext =>
    parseEventContext(
      name,
      {
        number: 7,
        repository,
        pull_request: { number: 7, head: { sha: 'b'.repeat(40), ref: 'f', repo: { full_name: repo } }, base: { sha: 'a'.repeat(40), ref: 'main', repo: { full_name: 'octo/app' } } }
      },
      env
    );
  const run = (from: string): EventContext =>
    parseEventContext('workflow_run', { repository, workflow_run: { id: 9, event: 'pull_request', head_sha: 'b'.repeat(40), pull_requests: [], head_repository: { full_name: from } } }, env);

  test("a fork's pull request on pull_request_target: refused, naming the inputs", () => {
    expect(secretsRefusal(pr('pull_request_target', 'mallory/app'), ['secrets', 'ssh'])).toBe(
      "Refusing to build a fork's pull request on pull_request_target with secrets, ssh set: its Dockerfile would read them " +
        '(RUN --mount=type=secret or type=ssh), even with allow-fork-builds: true. Measure pull requests on the pull_request ' +
        "event, where a fork's run gets no secrets, or remove secrets, ssh from this step."
    );
  });
  test("a fork's run on workflow_run: refused", () => {
    expect(secretsRefusal(run('mallory/app'), ['secret-envs'])).toMatch(/^Refusing to build the code of a pull_request run from mallory\/app .* with secret-envs set/);
  });
  test('a branch of the repository, a pull_request event, or no secret input: built', () => {
    expect(secretsRefusal(pr('pull_request_target', 'octo/app'), ['secrets'])).toBeUndefined();
    expect(secretsRefusal(pr('pull_request', 'mallory/app'), ['secrets'])).toBeUndefined();
    expect(secretsRefusal(run('octo/app'), ['secrets'])).toBeUndefined();
    expect(secretsRefusal(pr('pull_request_target', 'mallory/app'), [])).toBeUndefined();
  });
});

describe('the command line takes the same settings', () => {
  const inputsOf = (argv: string[]): Record<string, string> => Object.fromEntries((parseArgs(argv) as CompareCommand).inputs);

  test('list flags repeat and join as the inputs hold them; --no-cache and --pull are switches', () => {
    expect(
      inputsOf([
        'compare', '--base', 'main',
        '--secrets', 'a=1', '--secrets=b=2,3',
        '--secret-files', 'f=creds',
        '--secret-envs', 'e=TOKEN', '--secret-envs', 'g=OTHER',
        '--ssh', 'default',
        '--build-contexts', 'extra=./other',
        '--labels', 'k=v',
        '--no-cache', '--pull',
        '--shm-size', '1g',
        '--ulimit', 'nofile=1:2', '--ulimit', 'nproc=3',
        '--add-hosts', 'h:1.2.3.4',
        '--allow', 'network.host',
        '--provenance', 'mode=max',
        '--sbom', 'true'
      ])
    ).toEqual({
      'base-ref': 'main',
      secrets: 'a=1\nb=2,3',
      'secret-files': 'f=creds',
      'secret-envs': 'e=TOKEN,g=OTHER',
      ssh: 'default',
      'build-contexts': 'extra=./other',
      labels: 'k=v',
      'no-cache': 'true',
      pull: 'true',
      'shm-size': '1g',
      ulimit: 'nofile=1:2\nnproc=3',
      'add-hosts': 'h:1.2.3.4',
      allow: 'network.host',
      provenance: 'mode=max',
      sbom: 'true'
    });
  });

  test('a switch takes no value; a one-per-line flag takes no line break', () => {
    expect(() => parseArgs(['compare', '--base', 'main', '--no-cache=true'])).toThrow('--no-cache takes no value (given "true"); write --no-cache alone');
    expect(() => parseArgs(['compare', '--base', 'main', '--secrets', 'a=1\nb=2'])).toThrow('--secrets takes one ID=value per flag; this one contains a line break');
  });

  test('the help lists them', () => {
    const help = helpText('compare', '0.0.0');
    for (const flag of ['--secrets ID=value', '--secret-files ID=PATH', '--secret-envs ID=VAR', '--ssh ID[=PATH]', '--build-contexts NAME=VALUE', '--labels KEY=value', '--no-cache', '--pull', '--shm-size SIZE', '--ulimit TYPE=SOFT[:HARD]', '--add-hosts HOST:IP', '--allow LIST', '--provenance ATTRS', '--sbom ATTRS']) {
      expect(help).toContain(`  ${flag} `);
    }
  });
});
