// The workflows in .github/workflows: actionlint finds nothing, the reusable workflows pass the action
// exactly its inputs with its defaults, every third-party action is pinned, and every permissions
// block is the least that is documented.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOWS = '.github/workflows';
const MEASURE = `${WORKFLOWS}/image-budget.yml`;
const COMMENT = `${WORKFLOWS}/image-budget-comment.yml`;

type Scalar = string | number | boolean | null;
interface Step {
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, Scalar>;
}
interface Job {
  uses?: string;
  with?: Record<string, Scalar>;
  permissions?: Permissions;
  steps?: Step[];
}
type Permissions = Record<string, string> | string;
interface WorkflowInput {
  type?: string;
  default?: Scalar;
  required?: boolean;
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, WorkflowInput>; secrets?: Record<string, unknown>; outputs?: Record<string, unknown> } | null>;
  permissions?: Permissions;
  jobs: Record<string, Job>;
}
interface ActionYml {
  inputs: Record<string, { default?: string }>;
}

const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const workflowFiles = (): string[] =>
  readdirSync(path.join(root, WORKFLOWS))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `${WORKFLOWS}/${name}`);
const workflow = (file: string): Workflow => parse(read(file)) as Workflow;
const action = parse(read('action.yml')) as ActionYml;
const actionInputs = Object.keys(action.inputs);

/** The one step of `file` that runs this repository's action (`uses: $/`, its own commit). */
function actionStep(file: string): Step {
  const steps = Object.values(workflow(file).jobs).flatMap((job) => job.steps ?? []);
  const found = steps.filter((step) => step.uses === '$/');
  expect([file, found.length]).toEqual([file, 1]);
  return found[0] as Step;
}

function callInputs(file: string): Record<string, WorkflowInput> {
  return workflow(file).on.workflow_call?.inputs ?? {};
}

/** An action.yml default and a workflow input default mean the same when their strings do. */
const same = (value: Scalar | undefined): string => (value === undefined || value === null ? '' : String(value));

// ---------------------------------------------------------------------------------------------
// (a) actionlint

interface Finding {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}
interface LintResult {
  files: string[];
  findings: Finding[];
  ignored: Finding[];
}

/**
 * A run takes 3 to 5 s. The WebAssembly linter hangs, idle, now and then on a loaded machine (twice in
 * one run of the whole suite, once in another; never in 60 runs of it alone, 8 at a time): each call
 * is given LINT_ATTEMPTS tries of LINT_TIMEOUT_MS, and only a hang on every try is a failure.
 */
const LINT_TIMEOUT_MS = 30_000;
const LINT_ATTEMPTS = 3;

function lint(...files: string[]): LintResult {
  let out: string | undefined;
  for (let attempt = 1; out === undefined; attempt++) {
    try {
      out = execFileSync(process.execPath, ['scripts/lint-workflows.mjs', '--json', ...files], { cwd: root, encoding: 'utf8', timeout: LINT_TIMEOUT_MS });
    } catch (error) {
      // Exit 1 means findings, printed as JSON all the same; a hang is tried again; anything else is a broken linter.
      const e = error as { status?: number | null; signal?: string | null; stdout?: string; stderr?: string; code?: string };
      if (e.code === 'ETIMEDOUT' && attempt < LINT_ATTEMPTS) continue;
      if (e.status !== 1 || !e.stdout) throw new Error(`lint-workflows failed (exit ${e.status}, ${e.code ?? e.signal ?? ''}, attempt ${attempt}): ${e.stderr ?? ''}`);
      out = e.stdout;
    }
  }
  return JSON.parse(out) as LintResult;
}
const show = (f: Finding): string => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`;

describe('actionlint', () => {
  const result = lint();

  test('checks every workflow file and finds nothing', () => {
    expect(result.files).toEqual(workflowFiles());
    expect(result.findings.map(show)).toEqual([]);
  });

  test("ignores only its false positive on `uses: $/`, once per use, so the ignore goes when actionlint learns `$/`", () => {
    const uses = workflowFiles().flatMap((file) =>
      read(file)
        .split('\n')
        .map((line, i) => ({ file, line: i + 1, text: line }))
        .filter(({ text }) => /^\s*(-\s+)?uses:\s*\$\/\s*(#.*)?$/.test(text))
        .map(({ file, line }) => `${file}:${line}`)
    );
    expect(uses.length).toBeGreaterThan(0);
    expect(result.ignored.map((f) => `${f.file}:${f.line}`).sort()).toEqual(uses.sort());
    for (const f of result.ignored) expect(f.message).toMatch(/^specifying action "\$\/" in invalid format/);
  });

  test('reports real mistakes (the linter is not a no-op), and still ignores `$/` there', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lint-workflows-'));
    try {
      const file = path.join(dir, 'broken.yml');
      writeFileSync(
        file,
        [
          'on:',
          '  workflow_call:',
          '    inputs:',
          '      known: { type: string, default: x }',
          'permissions: { contents: raed }',
          'jobs:',
          '  a:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - uses: $/',
          '        with:',
          '          value: ${{ inputs.unknown }}',
          '      - run: echo "${{ github.event.pull_request.title }}"',
          '        timeout: 5',
          '      - uses: actions/checkout@v5',
          '      - uses: actions/github-script@ed597411d8f924073f98dfc5c65a23a2325f34cd # v8',
          '        with:',
          '          script: console.log("${{ github.head_ref }}")',
          ''
        ].join('\n')
      );
      const broken = lint(file);
      const kinds = broken.findings.map((f) => f.kind).sort();
      expect(kinds).toEqual(expect.arrayContaining(['expression', 'permissions', 'syntax-check']));
      // The security checks: both scripts are injections, the tag is unpinned; the pinned action is fine.
      const security = broken.findings.filter((f) => f.kind === 'template-injection' || f.kind === 'unpinned-action');
      expect(security.map((f) => [f.kind, f.line])).toEqual([
        ['template-injection', 13],
        ['unpinned-action', 15],
        ['template-injection', 18]
      ]);
      expect(broken.findings.map((f) => f.message).join('\n')).toMatch(/property "unknown" is not defined/);
      expect(broken.ignored).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (b) the inputs the reusable workflows pass to the action

/**
 * Action inputs that image-budget.yml deliberately does not expose as workflow inputs. Each must
 * still be an input of action.yml, so that this list stays true.
 */
const NOT_EXPOSED: Record<string, string> = {
  mode: 'image-budget.yml is the measure job (the default mode); merge is a job of its own and comment is image-budget-comment.yml',
  reports: 'read only by the merge and comment modes',
  'allow-fork-builds':
    'the reusable workflows are the safe fork pattern (pull_request builds read-only, workflow_run comments); building a fork under pull_request_target is what they avoid',
  'github-token': 'a token is a secret: passed as `secrets: github-token`, defaulting to the job token as the action does',
  secrets: 'secret values are not workflow inputs: passed as `secrets: build-secrets`',
  'secret-files': "files of the called job's runner, which the caller cannot write",
  'secret-envs': "variables of the called job's environment, which the caller cannot set (use build-secrets)",
  ssh: "no SSH agent or key exists on the called job's runner"
};
/** Workflow inputs that are not action inputs: the job's own settings. */
const WORKFLOW_ONLY: Record<string, string[]> = {
  [MEASURE]: ['runs-on', 'setup-buildx'],
  [COMMENT]: ['runs-on']
};

describe('reusable workflows and action.yml', () => {
  test.each([MEASURE, COMMENT])('%s passes the action only inputs action.yml declares', (file) => {
    const given = Object.keys(actionStep(file).with ?? {});
    expect(given.length).toBeGreaterThan(0);
    expect(given.filter((name) => !actionInputs.includes(name))).toEqual([]);
  });

  test.each([MEASURE, COMMENT])('%s: every workflow input is an action input with its default, or a job setting', (file) => {
    const inputs = callInputs(file);
    expect(Object.keys(inputs).filter((name) => !actionInputs.includes(name)).sort()).toEqual([...(WORKFLOW_ONLY[file] ?? [])].sort());
    for (const [name, spec] of Object.entries(inputs)) {
      if (!actionInputs.includes(name)) continue;
      expect([name, same(spec.default)]).toEqual([name, same(action.inputs[name]?.default)]);
      // A boolean default of true reaches the action as 'true', which is what it parses.
      expect([name, spec.type]).toEqual([name, same(action.inputs[name]?.default).match(/^(true|false)$/) ? 'boolean' : 'string']);
    }
  });

  test('image-budget.yml exposes every action input but the listed exceptions, and passes each through', () => {
    const inputs = callInputs(MEASURE);
    const step = actionStep(MEASURE);
    for (const name of Object.keys(NOT_EXPOSED)) {
      expect([name, actionInputs.includes(name)]).toEqual([name, true]);
      expect([name, name in inputs]).toEqual([name, false]);
    }
    for (const name of actionInputs.filter((n) => !(n in NOT_EXPOSED))) {
      expect([name, name in inputs]).toEqual([name, true]);
      // Wired, not only declared: the step's value reads this very input.
      expect([name, new RegExp(`\\binputs\\.${name.replace(/[-]/g, '\\-')}\\b`).test(String(step.with?.[name] ?? ''))]).toEqual([name, true]);
    }
    expect(step.with?.mode).toBeUndefined();
  });

  test("image-budget.yml passes the build-secrets secret as the action's secrets input", () => {
    expect(workflow(MEASURE).on.workflow_call?.secrets?.['build-secrets']).toMatchObject({ required: false });
    expect(actionStep(MEASURE).with?.secrets).toBe('${{ secrets.build-secrets }}');
  });

  test.each([MEASURE, COMMENT])('%s takes the token as an optional secret and falls back to the job token', (file) => {
    const secrets = workflow(file).on.workflow_call?.secrets ?? {};
    expect(secrets['github-token']).toMatchObject({ required: false });
    expect(actionStep(file).with?.['github-token']).toBe('${{ secrets.github-token || github.token }}');
  });

  test('image-budget.yml sets up a builder only when no builder is named, and the action uses it', () => {
    const steps = workflow(MEASURE).jobs.measure?.steps ?? [];
    const buildx = steps.find((s) => s.uses?.startsWith('docker/setup-buildx-action@'));
    expect(buildx?.id).toBe('buildx');
    expect(buildx?.if).toBe("${{ inputs.setup-buildx && inputs.builder == '' }}");
    expect(actionStep(MEASURE).with?.builder).toBe('${{ inputs.builder || steps.buildx.outputs.name }}');
  });

  test('image-budget.yml outputs regressed and the report, and uploads the report as report.json under a predictable name', () => {
    const wf = workflow(MEASURE);
    expect(Object.keys(wf.on.workflow_call?.outputs ?? {}).sort()).toEqual(['regressed', 'report']);
    const job = wf.jobs.measure as Job & { outputs?: Record<string, string> };
    expect(job.outputs).toEqual({ regressed: '${{ steps.measure.outputs.regressed }}', report: '${{ steps.export.outputs.report }}' });
    const steps = job.steps ?? [];
    const exportStep = steps.find((s) => s.id === 'export');
    expect(exportStep?.run).toContain('"$dir/report.json"');
    expect(exportStep?.run).toContain('artifact="image-budget-report-$COMMENT_KEY"');
    expect(exportStep?.run).toContain('artifact="$artifact--$IMAGE_NAME"');
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ name: '${{ steps.export.outputs.artifact }}', 'if-no-files-found': 'error' });
    expect(upload?.if).toContain('!cancelled()');
  });

  test("image-budget-comment.yml downloads the triggering run's report artifacts of its key and comments from that folder", () => {
    const steps = workflow(COMMENT).jobs.comment?.steps ?? [];
    const download = steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toEqual({
      'run-id': '${{ github.event.workflow_run.id }}',
      'github-token': '${{ secrets.github-token || github.token }}',
      // The measure workflow's names: image-budget-report-<key> and image-budget-report-<key>--<name>.
      pattern: 'image-budget-report-${{ inputs.comment-key }}{,--*}',
      path: '${{ runner.temp }}/image-budget-reports'
    });
    expect(actionStep(COMMENT).with).toMatchObject({ mode: 'comment', reports: download?.with?.path });
  });

  test('local calls of a reusable workflow pass only its inputs, and every required one', () => {
    let calls = 0;
    for (const file of workflowFiles()) {
      for (const [id, job] of Object.entries(workflow(file).jobs)) {
        if (!job.uses?.startsWith('./')) continue;
        calls += 1;
        const inputs = callInputs(job.uses.slice(2));
        const given = Object.keys(job.with ?? {});
        expect([file, id, given.filter((name) => !(name in inputs))]).toEqual([file, id, []]);
        const missing = Object.entries(inputs).filter(([name, spec]) => spec.required && !given.includes(name));
        expect([file, id, missing]).toEqual([file, id, []]);
      }
    }
    expect(calls).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) pinned actions

describe('third-party actions', () => {
  const uses = workflowFiles().flatMap((file) =>
    read(file)
      .split('\n')
      .flatMap((text, i) => {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(.*))?$/.exec(text);
        return m ? [{ where: `${file}:${i + 1}`, ref: m[1] as string, comment: m[2] ?? '' }] : [];
      })
  );
  const remote = uses.filter(({ ref }) => !ref.startsWith('./') && ref !== '$/' && !ref.startsWith('$/'));

  test('are pinned to a full commit SHA, with the version in a comment', () => {
    expect(remote.length).toBeGreaterThan(0);
    for (const { where, ref, comment } of remote) {
      if (ref.startsWith('docker://')) {
        expect([where, ref]).toEqual([where, expect.stringMatching(/@sha256:[0-9a-f]{64}$/)]);
        continue;
      }
      expect([where, ref]).toEqual([where, expect.stringMatching(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/)]);
      expect([where, comment]).toEqual([where, expect.stringMatching(/^v\d+(\.\d+){0,2}$/)]);
    }
  });

  test('are pinned to one commit per action across the workflows', () => {
    const pins = new Map<string, Set<string>>();
    for (const { ref } of remote) {
      const [name, sha] = ref.split('@') as [string, string];
      pins.set(name, (pins.get(name) ?? new Set()).add(sha));
    }
    for (const [name, shas] of pins) expect([name, shas.size]).toEqual([name, 1]);
  });
});

// ---------------------------------------------------------------------------------------------
// (d) permissions

/** What each job may do, as the workflows' header comments document it. `{}` at the workflow level. */
const DOCUMENTED: Record<string, { workflow: Permissions; jobs: Record<string, Record<string, string> | undefined> }> = {
  [MEASURE]: { workflow: {}, jobs: { measure: { contents: 'read', 'pull-requests': 'write' } } },
  [COMMENT]: { workflow: {}, jobs: { comment: { actions: 'read', contents: 'read', 'pull-requests': 'write' } } },
  [`${WORKFLOWS}/ci.yml`]: {
    workflow: { contents: 'read' },
    jobs: {
      test: undefined,
      'check-dist': undefined,
      'lint-workflows': undefined,
      self: { contents: 'read', 'pull-requests': 'write' },
      reusable: { contents: 'read', 'pull-requests': 'write' },
      'reusable-outputs': undefined
    }
  },
  // Moves the major tag to a release: the one job that writes something other than a comment.
  [`${WORKFLOWS}/release.yml`]: { workflow: {}, jobs: { release: { contents: 'write' } } }
};
/** Jobs allowed to write more than the pull-request comment, each with its reason. */
const WRITES: Record<string, Record<string, string[]>> = {
  [`${WORKFLOWS}/release.yml`]: { release: ['contents'] }
};
const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };

/** The permissions a job's token has: its own block, else the workflow's. */
function effective(wf: Workflow, job: Job): Record<string, string> {
  const p = job.permissions ?? wf.permissions;
  if (typeof p !== 'object' || p === null) throw new Error(`permissions must be a mapping, not ${JSON.stringify(p)}`);
  return p;
}

describe('permissions', () => {
  test('every workflow is listed here, with each of its jobs', () => {
    expect(Object.keys(DOCUMENTED).sort()).toEqual(workflowFiles());
    for (const file of workflowFiles()) expect([file, Object.keys(workflow(file).jobs).sort()]).toEqual([file, Object.keys(DOCUMENTED[file]?.jobs ?? {}).sort()]);
  });

  test.each(workflowFiles())('%s asks for exactly the documented permissions', (file) => {
    const wf = workflow(file);
    const doc = DOCUMENTED[file];
    expect(wf.permissions).toEqual(doc?.workflow);
    for (const [id, job] of Object.entries(wf.jobs)) expect([id, job.permissions]).toEqual([id, doc?.jobs[id]]);
  });

  test('nothing anywhere writes but the pull-request comment (and the release job its tags)', () => {
    for (const file of workflowFiles()) {
      const wf = workflow(file);
      for (const [id, job] of Object.entries(wf.jobs)) {
        const writes = Object.entries(effective(wf, job)).filter(([, level]) => level === 'write').map(([scope]) => scope);
        expect([file, id, writes.filter((scope) => scope !== 'pull-requests')]).toEqual([file, id, WRITES[file]?.[id] ?? []]);
      }
    }
  });

  test("the reusable workflows' headers tell the caller what to grant", () => {
    for (const file of [MEASURE, COMMENT]) {
      const header = read(file).split('\n').filter((line) => line.startsWith('#')).join('\n');
      for (const [scope, level] of Object.entries(DOCUMENTED[file]?.jobs[Object.keys(workflow(file).jobs)[0] as string] ?? {})) {
        expect([file, header.includes(`\`${scope}: ${level}\``)]).toEqual([file, true]);
      }
    }
  });

  test('a local call grants every permission the called jobs ask for (else GitHub refuses to start the run)', () => {
    for (const file of workflowFiles()) {
      const wf = workflow(file);
      for (const [id, job] of Object.entries(wf.jobs)) {
        if (!job.uses?.startsWith('./')) continue;
        const granted = effective(wf, job);
        const called = workflow(job.uses.slice(2));
        for (const calledJob of Object.values(called.jobs)) {
          for (const [scope, level] of Object.entries(effective(called, calledJob))) {
            expect([file, id, scope, (LEVEL[granted[scope] ?? 'none'] ?? 0) >= (LEVEL[level] ?? 0)]).toEqual([file, id, scope, true]);
          }
        }
      }
    }
  });

  test('the comment workflow never checks out or runs the pull request, and runs only for pull request runs', () => {
    const text = read(COMMENT);
    const wf = workflow(COMMENT);
    expect(Object.keys(wf.on)).toEqual(['workflow_call']);
    const steps = Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
    expect(steps.filter((s) => s.uses?.startsWith('actions/checkout'))).toEqual([]);
    expect(text).not.toMatch(/^\s*(-\s+)?uses:\s*actions\/checkout/m);
    // No run step expands an expression of the event (which a fork's branch name could fill) into the script.
    for (const s of steps) expect(s.run ?? '').not.toMatch(/\$\{\{/);
    expect(wf.jobs.comment && (wf.jobs.comment as Job & { if?: string }).if).toContain("github.event.workflow_run.event == 'pull_request'");
  });

  test("the README's permissions, in its tables and in its example workflows, are what the reusable workflows ask for", () => {
    const readme = read('README.md');
    const scopes = (text: string): Record<string, string> =>
      Object.fromEntries([...text.matchAll(/`([a-z-]+): (read|write)`/g)].map((m) => [m[1], m[2]]));
    for (const file of [MEASURE, COMMENT]) {
      const asked = Object.values(workflow(file).jobs)[0]?.permissions;
      const name = path.basename(file);
      // Every table row that names the reusable workflow lists exactly its job's permissions.
      const rows = readme.split('\n').filter((line) => line.startsWith('|') && line.includes(`\`${name}\``));
      expect([file, rows.length >= 2]).toEqual([file, true]);
      for (const row of rows) expect([row, scopes(row)]).toEqual([row, asked]);
    }
    // Every example workflow says its permissions; one that calls a reusable workflow grants at
    // least what that workflow's job asks for.
    const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => parse(m[1] ?? '') as Workflow | null)
      .filter((w): w is Workflow => typeof w === 'object' && w !== null && 'jobs' in w);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    let calls = 0;
    for (const example of examples) {
      for (const [id, job] of Object.entries(example.jobs ?? {})) {
        const called = /^OWNER\/image-budget\/(\.github\/workflows\/[\w.-]+\.yml)@/.exec(job.uses ?? '')?.[1];
        if (!called) continue;
        calls++;
        const granted = effective(example, job);
        for (const [scope, level] of Object.entries(effective(workflow(called), Object.values(workflow(called).jobs)[0]!))) {
          expect([id, scope, (LEVEL[granted[scope] ?? 'none'] ?? 0) >= (LEVEL[level] ?? 0)]).toEqual([id, scope, true]);
        }
      }
      // No example asks for contents: write.
      for (const job of Object.values(example.jobs ?? {})) expect(effective(example, job)['contents'] ?? 'none').not.toBe('write');
    }
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  test('no workflow runs on pull_request_target', () => {
    for (const file of workflowFiles()) expect([file, 'pull_request_target' in (workflow(file).on ?? {})]).toEqual([file, false]);
  });
});
