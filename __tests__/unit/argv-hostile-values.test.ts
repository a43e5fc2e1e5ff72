// Security requirements 7 and 9 at the argv level: what `docker buildx build` is given for a plan
// holding hostile values (stage names come from the pull request's Dockerfile), read back the way
// buildx's flag parser reads it. And secret masking of a build log that arrives in chunks.
import fc from 'fast-check';
import { UnsafeBuildPlanError, buildxArgv, type BuildPlan, type PlanSettings } from '../../src/buildx/argv.js';
import { MAX_HELD_LINE, maskSecrets, secretMasker } from '../../src/buildx/failure.js';
import { NO_BUILD_SETTINGS } from '../../src/model.js';
import { PLAN } from '../support/build-plan.js';

const NONE: PlanSettings = { ...NO_BUILD_SETTINGS, secrets: [], contexts: [] };

// The options the action may pass, each taking one value (docker's pflag parser consumes the next
// argument as the value, whatever it looks like). Anything else before `--` is a finding.
const VALUE_FLAGS = new Set([
  '--builder', '--file', '--target', '--platform', '--network', '--build-arg', '--cache-from', '--cache-to', '--output', '--metadata-file', '--progress',
  // The user's build settings (build-push-action's inputs).
  '--build-context', '--label', '--secret', '--ssh', '--shm-size', '--ulimit', '--add-host', '--allow', '--provenance', '--sbom'
]);
/** The settings' switches, which take no value. */
const SWITCHES = new Set(['--no-cache', '--pull']);

interface Parsed {
  readonly flags: Map<string, string[]>;
  readonly operands: string[];
}

/** Reads argv as docker's CLI does: `buildx build`, then `--flag value` pairs, then operands after `--`. */
function parse(argv: readonly string[]): Parsed {
  expect(argv.slice(0, 2)).toEqual(['buildx', 'build']);
  const flags = new Map<string, string[]>();
  let i = 2;
  for (; i < argv.length && argv[i] !== '--'; i += 2) {
    const flag = argv[i]!;
    if (SWITCHES.has(flag)) {
      flags.set(flag, [...(flags.get(flag) ?? []), '']);
      i--;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new Error(`unexpected argument before --: ${JSON.stringify(flag)}`);
    if (i + 1 >= argv.length) throw new Error(`${flag} has no value`);
    flags.set(flag, [...(flags.get(flag) ?? []), argv[i + 1]!]);
  }
  if (argv[i] !== '--') throw new Error('no -- before the context');
  return { flags, operands: argv.slice(i + 1) };
}

function refusal(p: BuildPlan): UnsafeBuildPlanError {
  try {
    buildxArgv(p);
  } catch (e) {
    expect(e).toBeInstanceOf(UnsafeBuildPlanError);
    return e as UnsafeBuildPlanError;
  }
  throw new Error('buildxArgv accepted the plan');
}

const HOSTILE = ['-x', '--upload-pack=evil', '--output=type=local,dest=/', '--secret=id=t,src=/etc/passwd', '--push', '-', '--', '--allow=security.insecure'];

describe('buildxArgv refuses a value that could be read as an option, before docker runs', () => {
  test.each<[string, Partial<BuildPlan>, string]>([
    ...HOSTILE.map((v): [string, Partial<BuildPlan>, string] => [`stage ${v}`, { stage: v }, 'stage']),
    ['a stage name with a space', { stage: 'release --push' }, 'stage'],
    ['a stage name starting with a digit', { stage: '1st' }, 'stage'],
    ...HOSTILE.map((v): [string, Partial<BuildPlan>, string] => [`builder ${v}`, { builder: v }, 'builder']),
    ['a Dockerfile path starting with -', { file: '-f' }, 'file'],
    ['an empty Dockerfile path', { file: '' }, 'file'],
    ['a platform starting with -', { platforms: ['--push'] }, 'platform'],
    ['two platforms smuggled into one', { platforms: ['linux/amd64,linux/arm64'] }, 'platform'],
    ['a network option', { network: '--privileged' }, 'network'],
    ['a network not offered', { network: 'container:evil' }, 'network'],
    ['a build-arg name that is an option', { buildArgs: [['--secret', 'x']] }, 'build argument'],
    ['a build-arg name holding =', { buildArgs: [['A=B', 'x']] }, 'build argument'],
    ['an output directory starting with -', { outputDir: '-o' }, 'output directory'],
    ['a metadata file starting with -', { metadataFile: '--push' }, 'metadata file'],
    ['a load tag starting with -', { load: { tag: '-t' } }, 'image tag'],
    ['a context with a line break', { context: '/w\n--push' }, 'context'],
    ...HOSTILE.map((v): [string, Partial<BuildPlan>, string] => [`build context ${v}`, { build: { ...NONE, contexts: [['extra', v]] } }, 'build context']),
    ['a build context name that is an option', { build: { ...NONE, contexts: [['--push', '/w/x']] } }, 'build context name'],
    ['a label key that is an option', { build: { ...NONE, labels: [['--push', 'x']] } }, 'label'],
    ['a secret id smuggling a src', { build: { ...NONE, secrets: [{ id: 'a,src=/etc/passwd', env: 'X', value: 'v' }] } }, 'secret id'],
    ['a secret file starting with -', { build: { ...NONE, secrets: [{ id: 'a', src: '--push' }] } }, 'secret file'],
    ['a secret variable that is not a name', { build: { ...NONE, secrets: [{ id: 'a', env: 'A,src=/etc/passwd', value: 'v' }] } }, 'secret variable'],
    ['an ssh id that is an option', { build: { ...NONE, ssh: [{ id: '--push' }] } }, 'ssh id'],
    ['an ssh path holding a second path', { build: { ...NONE, ssh: [{ id: 'k', path: '/a,/etc/shadow' }] } }, 'ssh path'],
    ['a shm-size that is an option', { build: { ...NONE, shmSize: '--privileged' } }, 'shm-size'],
    ['a ulimit that is an option', { build: { ...NONE, ulimits: ['--push'] } }, 'ulimit'],
    ['an add-host that is an option', { build: { ...NONE, addHosts: ['--push'] } }, 'add-host'],
    ['an entitlement not offered', { build: { ...NONE, allow: ['network.host,security.insecure'] } }, 'allow'],
    ['a provenance that is an option', { build: { ...NONE, provenance: '--push' } }, 'provenance'],
    ['an sbom with a space', { build: { ...NONE, sbom: 'true --push' } }, 'sbom']
  ])('%s', (_name, change, field) => {
    const e = refusal({ ...PLAN, ...change });
    expect(e.field).toBe(field);
    expect(e.message).toMatch(/^Refusing to build: /);
  });

  const WHY_ID = 'is not an id of letters, digits, "_", "." or "-"';
  const OPTION = 'starts with "-" and could be read as an option';
  test.each<[string, Partial<BuildPlan>]>([
    ['stage "1st" is not a stage name (a letter, then letters, digits, "_", "." or "-")', { stage: '1st' }],
    ['file "" is empty', { file: '' }],
    [`file "-f" ${OPTION}`, { file: '-f' }],
    ['file "/w/Docker\\nfile" contains a NUL or line break', { file: '/w/Docker\nfile' }],
    ['builder "b\\u0000" contains a NUL or line break', { builder: 'b\0' }],
    ['context "" is empty or contains a NUL or line break', { context: '' }],
    ['platform "linux/amd64,linux/arm64" is not one os/arch[/variant]', { platforms: ['linux/amd64,linux/arm64'] }],
    ['network "container:evil" is not one of default, none, host', { network: 'container:evil' }],
    ['build argument "A=B" is not a NAME of letters, digits and "_"', { buildArgs: [['A=B', 'x']] }],
    ['build argument "TOKEN" has a value with a NUL character', { buildArgs: [['TOKEN', 'x\0']] }],
    [`cache directory "-c" ${OPTION}`, { cache: { type: 'local', dir: '-c' } }],
    [`cache reference "-r" ${OPTION}`, { cache: { type: 'registry', ref: '-r' } }],
    ['build context name "--push" is not a stage or image name', { build: { ...NONE, contexts: [['--push', '/w/x']] } }],
    ['label "--push" is not a label key', { build: { ...NONE, labels: [['--push', 'x']] } }],
    ['label "org.example.a" has a value with a NUL or line break', { build: { ...NONE, labels: [['org.example.a', 'x\n--push']] } }],
    [`secret id "a,src=/etc/passwd" ${WHY_ID}`, { build: { ...NONE, secrets: [{ id: 'a,src=/etc/passwd', env: 'X', value: 'v' }] } }],
    ['secret variable "A,src=/etc/passwd" is not a variable name', { build: { ...NONE, secrets: [{ id: 'a', env: 'A,src=/etc/passwd', value: 'v' }] } }],
    [`ssh id "--push" ${WHY_ID}`, { build: { ...NONE, ssh: [{ id: '--push' }] } }],
    [`ssh path "-p" ${OPTION}`, { build: { ...NONE, ssh: [{ id: 'k', path: '-p' }] } }],
    ['ssh path "/a,/etc/shadow" contains a comma, which buildx reads as a second path', { build: { ...NONE, ssh: [{ id: 'k', path: '/a,/etc/shadow' }] } }],
    ['shm-size "--privileged" is not a size', { build: { ...NONE, shmSize: '--privileged' } }],
    ['ulimit "--push" is not type=soft[:hard]', { build: { ...NONE, ulimits: ['--push'] } }],
    ['add-host "--push" is not host:ip', { build: { ...NONE, addHosts: ['--push'] } }],
    ['allow "network.host,security.insecure" is not one of network.host, security.insecure', { build: { ...NONE, allow: ['network.host,security.insecure'] } }],
    ['provenance "--push" is not true, false or key=value attributes', { build: { ...NONE, provenance: '--push' } }],
    ['sbom "true --push" is not true, false or key=value attributes', { build: { ...NONE, sbom: 'true --push' } }]
  ])('the refusal says which value and why, word for word: Refusing to build: %s', (message, change) => {
    const e = refusal({ ...PLAN, ...change });
    expect(e.message).toBe(`Refusing to build: ${message}`);
    expect(e.name).toBe('UnsafeBuildPlanError');
  });

  test('a refused value is quoted up to 200 characters, however long it is', () => {
    const e = refusal({ ...PLAN, file: `-${'x'.repeat(100_000)}` });
    expect(e.message).toBe(`Refusing to build: file ${JSON.stringify(`-${'x'.repeat(199)}`)} ${OPTION}`);
    expect(e.value).toHaveLength(100_001);
  });

  test('an add-host is refused unless the whole value is host:ip', () => {
    for (const host of ['bad host:10.0.0.1', 'host:10.0.0.1 --privileged', '-x host:10.0.0.1', 'host:10.0.0.1\n']) {
      expect(refusal({ ...PLAN, build: { ...NONE, addHosts: [host] } }).field).toBe('add-host');
    }
    expect(buildxArgv({ ...PLAN, build: { ...NONE, addHosts: ['db.local:10.0.0.1', 'v6:fe80::1%eth0'] } })).toContain('v6:fe80::1%eth0');
  });

  test('a refused secret is named by its id, its value never shown', () => {
    const e = refusal({ ...PLAN, build: { ...NONE, secrets: [{ id: 'tok', env: 'not a name', value: 'ghp_secretvalue' }] } });
    expect(e.message).not.toContain('ghp_secretvalue');
    expect(buildxArgv({ ...PLAN, build: { ...NONE, secrets: [{ id: 'tok', env: 'IMAGE_BUDGET_SECRET_0', value: 'ghp_secretvalue' }] } }).join(' ')).not.toContain(
      'ghp_secretvalue'
    );
  });

  test('a refused build-arg is named, its value never shown', () => {
    const e = refusal({ ...PLAN, buildArgs: [['TOKEN', 'ghp_secretvalue\0']] });
    expect(e.message).toContain('TOKEN');
    expect(e.message).not.toContain('ghp_secretvalue');
  });
});

describe('buildxArgv keeps every value where buildx reads it as that value', () => {
  test('a context named like an option or a branch stays the one operand, after --', () => {
    for (const context of ['-rf', '--push', 'dev', '-']) {
      const parsed = parse(buildxArgv({ ...PLAN, context }));
      expect(parsed.operands).toEqual([context]);
    }
  });

  test('a build-arg value that reads as an option stays glued to its name, after --build-arg', () => {
    const argv = buildxArgv({ ...PLAN, buildArgs: [['A', '--secret id=GITHUB_TOKEN'], ['B', '-x']] });
    expect(parse(argv).flags.get('--build-arg')).toEqual(['A=--secret id=GITHUB_TOKEN', 'B=-x']);
    expect(argv.filter((a) => a.startsWith('--secret'))).toEqual([]);
  });

  test('nothing but the plan reaches the build: no --secret, --ssh, --allow, --push or token', () => {
    const full: BuildPlan = {
      ...PLAN,
      builder: 'ci',
      platforms: ['linux/amd64', 'linux/arm64'],
      network: 'none',
      buildArgs: [['VERSION', '1.2']],
      cache: { type: 'gha' }
    };
    const argv = buildxArgv(full);
    const parsed = parse(argv);
    expect([...parsed.flags.keys()].sort()).toEqual(
      ['--build-arg', '--builder', '--cache-from', '--cache-to', '--file', '--metadata-file', '--network', '--output', '--platform', '--progress', '--target'].sort()
    );
    expect(parsed.flags.get('--build-arg')).toEqual(['VERSION=1.2']);
    expect(argv.join('\n')).not.toMatch(/GITHUB_TOKEN|GIT_AUTH_TOKEN|ACTIONS_RUNTIME_TOKEN|--secret|--ssh|--allow|--push|--load/);
  });

  // Any strings at all, hostile ones mixed in: either refused, or read back by buildx exactly as planned.
  const text = fc.oneof(fc.constantFrom(...HOSTILE, 'release', 'dev', '/w/Dockerfile', 'linux/amd64'), fc.string({ maxLength: 30 }));
  test('property: a plan is refused, or every value comes back from the argv as the same value', () => {
    fc.assert(
      fc.property(
        fc.record({
          stage: fc.option(text, { nil: undefined }),
          builder: fc.option(text, { nil: undefined }),
          file: text,
          context: text,
          platforms: fc.array(text, { maxLength: 3 }),
          network: fc.option(fc.oneof(text, fc.constantFrom('none', 'host', 'default')), { nil: undefined }),
          buildArgs: fc.array(fc.tuple(fc.oneof(text, fc.constantFrom('A', 'TOKEN')), text), { maxLength: 3 }),
          outputDir: text,
          metadataFile: text
        }),
        (values) => {
          const p: BuildPlan = { ...PLAN, ...values };
          let argv: string[];
          try {
            argv = buildxArgv(p);
          } catch (e) {
            expect(e).toBeInstanceOf(UnsafeBuildPlanError);
            return;
          }
          const parsed = parse(argv);
          const one = (flag: string): string[] => parsed.flags.get(flag) ?? [];
          expect(parsed.operands).toEqual([p.context]);
          expect(one('--file')).toEqual([p.file]);
          expect(one('--target')).toEqual(p.stage === undefined ? [] : [p.stage]);
          expect(one('--builder')).toEqual(p.builder === undefined ? [] : [p.builder]);
          expect(one('--network')).toEqual(p.network === undefined ? [] : [p.network]);
          expect(one('--platform')).toEqual(p.platforms.length ? [p.platforms.join(',')] : []);
          expect(one('--platform').join(',').split(',').filter(Boolean)).toEqual([...p.platforms]);
          expect(one('--build-arg')).toEqual(p.buildArgs.map(([n, v]) => `${n}=${v}`));
          expect(one('--metadata-file')).toEqual([p.metadataFile]);
          // Every option's value is a value, never an option of its own.
          for (const [flag, vals] of parsed.flags) {
            if (flag === '--build-arg') continue; // NAME=value: the NAME comes first and is checked
            for (const v of vals) expect([flag, v.startsWith('-')]).toEqual([flag, false]);
          }
          for (const [n] of p.buildArgs) expect(n.startsWith('-')).toBe(false);
        }
      ),
      { numRuns: 1000 }
    );
  });
});

describe('buildxArgv keeps the build settings where buildx reads them', () => {
  test('two entitlements are one --allow, comma-separated', () => {
    const argv = buildxArgv({ ...PLAN, build: { ...NONE, allow: ['network.host', 'security.insecure'] } });
    expect(argv.slice(argv.indexOf('--allow'), argv.indexOf('--allow') + 2)).toEqual(['--allow', 'network.host,security.insecure']);
    expect(argv.filter((a) => a === '--allow')).toHaveLength(1);
  });

  const text = fc.oneof(fc.constantFrom(...HOSTILE, 'extra', '/w/other', 'docker-image://alpine', 'nofile=1:2', 'h:1.2.3.4', 'network.host', 'mode=max'), fc.string({ maxLength: 30 }));
  test('property: settings are refused, or every value comes back after its own option, and no secret value is an argument', () => {
    fc.assert(
      fc.property(
        fc.record({
          contexts: fc.array(fc.tuple(text, text), { maxLength: 2 }),
          labels: fc.array(fc.tuple(text, text), { maxLength: 2 }),
          secrets: fc.array(fc.oneof(fc.record({ id: text, src: text }), fc.record({ id: text, env: text, value: fc.constant('s3cr3t-value') })), { maxLength: 2 }),
          ssh: fc.array(fc.record({ id: text, path: fc.option(text, { nil: undefined }) }), { maxLength: 2 }),
          shmSize: fc.option(text, { nil: undefined }),
          ulimits: fc.array(text, { maxLength: 2 }),
          addHosts: fc.array(text, { maxLength: 2 }),
          allow: fc.array(text, { maxLength: 2 }),
          provenance: fc.option(text, { nil: undefined }),
          sbom: fc.option(text, { nil: undefined }),
          noCache: fc.boolean(),
          pull: fc.boolean()
        }),
        (values) => {
          const ssh = values.ssh.map((x) => (x.path === undefined ? { id: x.id } : { id: x.id, path: x.path }));
          const build: PlanSettings = { ...values, ssh };
          let argv: string[];
          try {
            argv = buildxArgv({ ...PLAN, build });
          } catch (e) {
            expect(e).toBeInstanceOf(UnsafeBuildPlanError);
            return;
          }
          const parsed = parse(argv);
          const one = (flag: string): string[] => parsed.flags.get(flag) ?? [];
          expect(parsed.operands).toEqual([PLAN.context]);
          expect(one('--build-context')).toEqual(build.contexts.map(([n, v]) => `${n}=${v}`));
          expect(one('--label')).toEqual(build.labels.map(([k, v]) => `${k}=${v}`));
          expect(one('--secret')).toHaveLength(build.secrets.length);
          expect(one('--ssh')).toEqual(build.ssh.map((x) => (x.path === undefined ? x.id : `${x.id}=${x.path}`)));
          expect(one('--ulimit')).toEqual([...build.ulimits]);
          expect(one('--add-host')).toEqual([...build.addHosts]);
          expect(one('--allow')).toEqual(build.allow.length ? [build.allow.join(',')] : []);
          expect(one('--shm-size')).toEqual(build.shmSize === undefined ? [] : [build.shmSize]);
          expect(one('--provenance')).toEqual(build.provenance === undefined ? [] : [build.provenance]);
          expect(one('--sbom')).toEqual(build.sbom === undefined ? [] : [build.sbom]);
          expect(one('--no-cache')).toHaveLength(build.noCache ? 1 : 0);
          expect(one('--pull')).toHaveLength(build.pull ? 1 : 0);
          for (const [flag, vals] of parsed.flags) for (const v of vals) expect([flag, v.startsWith('-')]).toEqual([flag, false]);
          for (const a of argv) expect(a).not.toContain('s3cr3t-value');
        }
      ),
      { numRuns: 1000 }
    );
  });
});

describe('secretMasker: a live build log arriving in chunks', () => {
  const secret = 'ghp_' + 'a1B2c3D4e5'.repeat(3) + 'xyzuvw';
  const log = `#5 [2/3] RUN echo $TOKEN\n#5 0.101 ${secret}\n#5 DONE 0.1s\n#6 exporting\n`;

  function feed(secrets: readonly string[], chunks: readonly string[]): { emitted: string[]; afterEach: string[] } {
    const emitted: string[] = [];
    const afterEach: string[] = [];
    const m = secretMasker(secrets, (t) => emitted.push(t));
    for (const c of chunks) {
      m.write(c);
      afterEach.push(emitted.join(''));
    }
    m.end();
    return { emitted, afterEach };
  }

  test('a secret split across two writes, at every possible place, is masked', () => {
    const at = log.indexOf(secret);
    for (let cut = at; cut <= at + secret.length; cut++) {
      const { emitted } = feed([secret], [log.slice(0, cut), log.slice(cut)]);
      expect(emitted.join('')).toBe(log.replace(secret, '***'));
      for (const piece of emitted) expect(piece).not.toContain(secret.slice(0, 8));
    }
  });

  test('one character at a time', () => {
    const { emitted } = feed([secret], [...log]);
    expect(emitted.join('')).toBe(log.replace(secret, '***'));
  });

  test('whole lines are passed on at once; only an unfinished line waits', () => {
    const { afterEach } = feed([secret], ['#5 [2/3] RUN echo $TOKEN\n#5 0.1', `01 ${secret.slice(0, 10)}`, `${secret.slice(10)}\n`]);
    expect(afterEach).toEqual(['#5 [2/3] RUN echo $TOKEN\n', '#5 [2/3] RUN echo $TOKEN\n', '#5 [2/3] RUN echo $TOKEN\n#5 0.101 ***\n']);
  });

  test('with no secrets, whole lines go through untouched', () => {
    const { afterEach, emitted } = feed([], ['a', 'b\nc', '\n']);
    expect(afterEach).toEqual(['', 'ab\n', 'ab\nc\n']);
    expect(emitted).toEqual(['ab\n', 'c\n']);
  });

  test('an endless line is never cut inside a `::` or `##[` (a workflow command must not straddle two writes)', () => {
    // The first write ends at every place around the command in turn, so that the cut (at the end
    // of the write, less the longest secret) falls at every place of it.
    const line = 'y'.repeat(MAX_HELD_LINE + 1) + '##[x]::e' + 'y'.repeat(60);
    let cuts = 0;
    for (const secrets of [[], [secret]]) {
      for (let split = MAX_HELD_LINE - 5; split < line.length; split++) {
        const m = feed(secrets, [line.slice(0, split), line.slice(split)]);
        expect(m.emitted.join('')).toBe(line);
        for (const piece of m.emitted.slice(0, -1)) expect([split, piece.slice(-3)]).toEqual([split, expect.not.stringMatching(/[#:]$/)]);
        cuts += m.emitted.length - 1;
      }
    }
    expect(cuts).toBeGreaterThan(60);
  });

  test('a value with a line break (from a config file) split at its line break', () => {
    const multi = 'first-line-of\nsecond-line';
    const text = `x ${multi} y\n`;
    for (let cut = 1; cut < text.length; cut++) {
      expect(feed([multi], [text.slice(0, cut), text.slice(cut)]).emitted.join('')).toBe('x *** y\n');
    }
  });

  test(`an endless line (progress without line breaks) is passed on past ${MAX_HELD_LINE} characters, still masked`, () => {
    const long = 'x'.repeat(MAX_HELD_LINE + 10);
    const { afterEach, emitted } = feed([secret], [long + secret.slice(0, 5), secret.slice(5), 'tail']);
    // All but what could be the start of a secret: at most the longest secret's length is held.
    expect(afterEach[0]!.length).toBeGreaterThanOrEqual(long.length + 5 - secret.length);
    expect(long.startsWith(afterEach[0]!)).toBe(true);
    expect(emitted.join('')).toBe(`${long}***tail`);
  });

  // Secrets from one alphabet, the text between them from another (with line breaks): each
  // occurrence stands alone, so chunked masking must equal masking the whole text at once.
  const secretArb = fc.stringMatching(/^[A-Z0-9_]{3,24}$/);
  const filler = fc.stringMatching(/^[a-z .:\n\r]{1,20}$/);
  test('property: any chunking gives what masking the whole log gives, and never a secret', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(secretArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(filler, fc.nat(5)), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(200), { maxLength: 8 }),
        (secrets, parts, cuts) => {
          const text = parts.map(([f, i]) => f + (i < secrets.length ? secrets[i] : '')).join('') + '\n';
          const points = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((from, k) => text.slice(from, [...points, text.length][k]));
          const out = feed(secrets, chunks).emitted.join('');
          expect(out).toBe(maskSecrets(text, secrets));
          for (const s of secrets) expect(out).not.toContain(s);
        }
      ),
      { numRuns: 500 }
    );
  });
});
