// Benchmark of issue 4: a pull-request run that compares with a stored baseline, against one that
// builds its base, both on a warm engine cache, and against one that measures the head alone. Runs
// the bundled action (dist/index.js) under node 24 the way the runner does, on the bundled example
// (examples/hello with the README's change), with the loopback stand-in of the Actions cache
// service holding the baseline a push run stored. Target: the stored path adds ≤ 2 s for all
// targets, over measuring the head alone.
//
//   npm run bench:baseline                      # 7 runs of each, interleaved; prints the table
//   npm run bench:baseline -- --runs 9 --write-docs
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jobEnv, startCacheStandin } from '../__tests__/support/cache-standin.js';
import { ROOT, ensureEngine } from '../__tests__/support/engine.js';
import { makePullRequestCheckout, runGit, type FileTree } from '../__tests__/support/git-fixture.js';
import { startGitHubStandin } from '../__tests__/support/github-standin.js';
import { pullRequestPayload, runAction, type ActionRun } from '../__tests__/support/run-action.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, 'write-docs': { type: 'boolean', default: false } },
  strict: true
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const DOCS = path.join(ROOT, 'docs', 'benchmarks.md');
const START = '<!-- bench:baseline:start (written by `npm run bench:baseline -- --write-docs`) -->';
const END = '<!-- bench:baseline:end -->';
const TARGET_SECONDS = 2;

async function exampleTrees(): Promise<{ base: FileTree; head: FileTree }> {
  const dir = path.join(ROOT, 'examples', 'hello');
  const base: Record<string, string> = {};
  for (const name of ['Dockerfile', 'app.sh', 'README.md']) base[name] = await readFile(path.join(dir, name), 'utf8');
  // The change scripts/example.sh makes: the release stage also ships the sources.
  const head = { ...base, Dockerfile: base.Dockerfile!.replace('COPY --from=builder /out/ /app/', 'COPY --from=builder /out/ /app/\nCOPY --from=builder /src/ /app/src/') };
  if (head.Dockerfile === base.Dockerfile) throw new Error('examples/hello/Dockerfile no longer has the line the change edits');
  return { base, head };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (s: number): string => `${s.toFixed(2)} s`;

async function main(): Promise<void> {
  process.env.DOCKER_HOST = ensureEngine();
  const github = await startGitHubStandin();
  const cache = await startCacheStandin({ defaultBranch: 'main' });
  const { base, head } = await exampleTrees();
  const f = await makePullRequestCheckout({ files: { base, head }, prNumber: 7 });
  const cacheEnv = jobEnv(cache);
  const inputs = { network: 'none', cache: 'none', targets: 'release, debug', 'max-increase': '10%', comment: 'never' };
  try {
    // The push run of the base commit stores the baseline (and warms the engine's build cache).
    const pushWs = path.join(f.root, 'push');
    await runGit(f.root, ['clone', '--quiet', '--depth', '1', '--branch', 'main', '--', f.originUrl, pushWs]);
    cache.setScope('refs/heads/main');
    const push = await runAction({
      workspace: pushWs,
      eventName: 'push',
      payload: { before: '0'.repeat(40), after: f.baseSha, ref: 'refs/heads/main', repository: { full_name: 'o/r', default_branch: 'main' } },
      inputs,
      env: { ...cacheEnv, GITHUB_SHA: f.baseSha, GITHUB_REF: 'refs/heads/main' }
    });
    if (!/Stored this report as the baseline/.test(push.stdout)) throw new Error(`the push run stored nothing:\n${push.stdout.slice(-3000)}`);

    cache.setScope('refs/pull/7/merge', 'refs/heads/main');
    const pr = (baseline: string): Promise<ActionRun> =>
      runAction({
        workspace: f.checkout,
        eventName: 'pull_request',
        payload: pullRequestPayload({ number: 7, baseSha: f.baseSha, headSha: f.headSha }),
        inputs: { ...inputs, baseline },
        env: { ...cacheEnv, GITHUB_API_URL: github.url, GITHUB_SHA: f.mergeSha, GITHUB_REF: 'refs/pull/7/merge' }
      });
    const kinds = [
      { name: 'head alone (`baseline: none`)', baseline: 'none', check: (r: ActionRun) => !/Build base target/.test(r.stdout) },
      { name: 'stored baseline (`baseline: auto`, report found)', baseline: 'auto', check: (r: ActionRun) => /Baseline: the report stored/.test(r.stdout) && !/Build base target/.test(r.stdout) },
      { name: 'base built (`baseline: build`)', baseline: 'build', check: (r: ActionRun) => /Build base target/.test(r.stdout) }
    ];
    // One warm-up run of each (engine cache, page cache), then interleaved timed runs.
    for (const k of kinds) {
      const r = await pr(k.baseline);
      if (!k.check(r)) throw new Error(`${k.name}: the run did not take the expected path:\n${r.stdout.slice(-3000)}`);
    }
    const times = kinds.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      for (const [j, k] of kinds.entries()) {
        const t0 = process.hrtime.bigint();
        const r = await pr(k.baseline);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (!k.check(r)) throw new Error(`${k.name}: the run did not take the expected path`);
        times[j]!.push(seconds);
      }
      console.error(`bench:baseline: round ${i + 1} of ${RUNS}`);
    }
    const med = times.map(median);
    const added = med[1]! - med[0]!;
    const rows = kinds.map((k, j) => `| ${k.name} | ${fmt(Math.min(...times[j]!))} / **${fmt(med[j]!)}** / ${fmt(Math.max(...times[j]!))} |`);
    const load = os.loadavg()[0]!.toFixed(2);
    const table = [
      `Run on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), 1-minute load average ${load} at the end; ` +
        `${RUNS} timed runs of each after one warm-up run, interleaved. The whole action run (node 24, dist/index.js), on examples/hello with two targets (release, debug), warm engine cache.`,
      '',
      '| pull-request run | min / **median** / max |',
      '| --- | --- |',
      ...rows,
      '',
      `The stored baseline adds **${fmt(added)}** over measuring the head alone (target ≤ ${TARGET_SECONDS} s: ${added <= TARGET_SECONDS ? 'PASS' : 'MISS'}) ` +
        `and saves ${fmt(med[2]! - med[1]!)} against building the base.`
    ].join('\n');
    console.log(table);
    if (values['write-docs']) {
      const doc = await readFile(DOCS, 'utf8');
      const a = doc.indexOf(START);
      const b = doc.indexOf(END);
      if (a < 0 || b < a) throw new Error(`docs/benchmarks.md has no ${START} … ${END} section`);
      await writeFile(DOCS, `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`);
      console.error('bench:baseline: wrote docs/benchmarks.md');
    }
  } finally {
    await github.close();
    await cache.close();
    await f.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
