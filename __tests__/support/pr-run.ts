// The harness of the tests that run the bundled action on a pull request (the e2e tests, and the
// post-step integration test): pull request checkouts and temp folders removed after the file's
// tests, the GitHub stand-in, a `pull_request` run on a checkout the way the runner starts it, a
// `docker` that records what the action asks of it, and the run's report read back through the
// published JSON Schema and the action's own validator (so a malformed report fails the test).
//
//   const h = usePrHarness();                                  // registers beforeAll / afterAll
//   test('...', async () => {
//     const f = await h.pr({ Dockerfile: '...' }, { Dockerfile: '...' }, 11);
//     const run = await h.runOnPr(f, { targets: 'release' });
//     expect(rowOf(await reportOf(run), 'release').status).toBe('changed');
//     expect(h.github.commentsOn(11)).toHaveLength(1);
//   });
import { afterAll, beforeAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Report, type ReportSide, type ReportTarget } from '../../src/report/report.js';
import { validateReport } from '../../src/report/validate.js';
import { startCacheStandin, type CacheStandin, type CacheStandinOptions } from './cache-standin.js';
import { ensureEngine } from './engine.js';
import { makePullRequestCheckout, type FileTree, type PullRequestFixture, type PullRequestFixtureOptions } from './git-fixture.js';
import { startGitHubStandin, type GitHubStandin, type StandinOptions } from './github-standin.js';
import { assertMatchesSchema } from './report-schema.js';
import { pullRequestPayload, runAction, type ActionRun, type ActionRunOptions } from './run-action.js';

// ── Dockerfiles ──────────────────────────────────────────────────────────────────────────────

/** A builder stage with a 60000-line data file and an app, and a debug stage on top of it. */
export const BUILDER = [
  'FROM image-budget/busybox AS builder',
  'RUN mkdir -p /out && seq 1 60000 > /out/data.txt && echo app > /out/app',
  'FROM builder AS debug'
];
/** A release stage holding the builder's output alone. */
export const RELEASE_SCRATCH = ['FROM scratch AS release', 'COPY --from=builder /out/ /app/'];
/** The same release stage on top of the whole builder: far larger. */
export const RELEASE_FAT = ['FROM builder AS release', 'COPY --from=builder /out/ /app/'];
/** A Dockerfile made of stages' lines. */
export const dockerfile = (...parts: string[][]): string => `${parts.flat().join('\n')}\n`;

// ── Checkouts and temp folders ───────────────────────────────────────────────────────────────

/** The fixture options besides the two trees and the number (more branches, checkout, fetch depth). */
export type PrMore = Omit<PullRequestFixtureOptions, 'files' | 'prNumber'>;

export interface Scratch {
  /** A pull request checkout (git-fixture.ts's makePullRequestCheckout), removed after the file's tests. */
  pr(base: FileTree, head: FileTree, prNumber: number, more?: PrMore): Promise<PullRequestFixture>;
  /** A fresh folder under the system temp dir, removed after the file's tests. */
  temp(prefix: string): Promise<string>;
}

/** Pull request checkouts and temp folders for one test file; registers the afterAll that removes them. */
export function useScratch(): Scratch {
  const fixtures: PullRequestFixture[] = [];
  const temps: string[] = [];
  afterAll(async () => {
    for (const f of fixtures) await f.cleanup();
    await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    async pr(base, head, prNumber, more = {}) {
      const f = await makePullRequestCheckout({ ...more, files: { base, head }, prNumber });
      fixtures.push(f);
      return f;
    },
    async temp(prefix) {
      const d = await mkdtemp(path.join(os.tmpdir(), prefix));
      temps.push(d);
      return d;
    }
  };
}

// ── Runs on a pull request ───────────────────────────────────────────────────────────────────

export interface PrRunOptions extends Partial<Omit<ActionRunOptions, 'inputs'>> {
  /** The pull request comes from a fork (its head repository is not o/r). Default false. */
  readonly fork?: boolean;
  /** The base SHA the event payload names. Default: the fixture's base commit. */
  readonly baseSha?: string;
}

export interface PrHarness extends Scratch {
  /** The GitHub stand-in, started in beforeAll. */
  readonly github: GitHubStandin;
  /** The Actions cache stand-in, started in beforeAll when the options ask for one. */
  readonly cache: CacheStandin;
  /**
   * Runs the bundled action on `f` as on a `pull_request` event: the payload of f's pull request,
   * `network: none` under the given inputs, the stand-in's URLs, GITHUB_SHA the merge commit and
   * GITHUB_REF `refs/pull/N/merge`. `more` overrides any of it: its env is laid over that
   * environment, its other fields (workspace, eventName, token, state) replace the defaults.
   */
  runOnPr(f: PullRequestFixture, inputs: Readonly<Record<string, string>>, more?: PrRunOptions): Promise<ActionRun>;
  /** A `docker` first on PATH that records each call and runs the real one; see DockerWrapper. */
  dockerWrapper(): Promise<DockerWrapper>;
}

export interface PrHarnessOptions {
  /** How the GitHub stand-in starts (tokens, pull requests). */
  readonly github?: StandinOptions;
  /** Whether beforeAll makes sure a Docker engine answers first (ensureEngine). Default true. */
  readonly engine?: boolean;
  /** When given, beforeAll also starts an Actions cache stand-in with these options (`h.cache`). */
  readonly cache?: CacheStandinOptions;
}

/**
 * The harness of one test file: call it at the top level. Its beforeAll makes sure the engine
 * answers and starts the GitHub stand-in (and the cache stand-in, when asked); its afterAll closes
 * them and removes the checkouts and temp folders.
 */
export function usePrHarness(options: PrHarnessOptions = {}): PrHarness {
  let github: GitHubStandin | undefined;
  let cache: CacheStandin | undefined;
  beforeAll(async () => {
    if (options.engine ?? true) ensureEngine();
    github = await startGitHubStandin(options.github);
    if (options.cache) cache = await startCacheStandin(options.cache);
  });
  afterAll(async () => {
    await github?.close();
    await cache?.close();
  });
  const scratch = useScratch();
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what}: use it in a test or a hook, once beforeAll has run`);
    return value;
  };
  const standin = (): GitHubStandin => started(github, 'the GitHub stand-in starts in beforeAll');
  return {
    ...scratch,
    get github() {
      return standin();
    },
    get cache() {
      return started(cache, options.cache ? 'the cache stand-in starts in beforeAll' : 'no cache stand-in: give usePrHarness cache options');
    },
    runOnPr(f, inputs, more = {}) {
      const { fork, baseSha, env, ...rest } = more;
      const gh = standin();
      return runAction({
        workspace: f.checkout,
        eventName: 'pull_request',
        payload: pullRequestPayload({ number: f.prNumber, baseSha: baseSha ?? f.baseSha, headSha: f.headSha, fork: fork ?? false }),
        ...rest,
        inputs: { network: 'none', ...inputs },
        env: {
          GITHUB_API_URL: gh.url,
          GITHUB_GRAPHQL_URL: gh.graphqlUrl,
          GITHUB_SHA: f.mergeSha,
          GITHUB_REF: `refs/pull/${f.prNumber}/merge`,
          ...(env ?? {})
        }
      });
    },
    dockerWrapper: () => dockerWrapper(scratch)
  };
}

// ── A recording docker ───────────────────────────────────────────────────────────────────────

export interface DockerCall {
  readonly argv: string[];
  /** The environment the call got, `NAME=value` each. */
  readonly env: string[];
  /** When the call started and ended, in nanoseconds since the epoch (ended: absent while it runs). */
  readonly startedNs: bigint;
  readonly endedNs?: bigint;
}

export interface DockerWrapper {
  /** PATH with the wrapper first: pass it as the run's env PATH. */
  readonly path: string;
  /** The calls so far, in order. */
  calls(): Promise<DockerCall[]>;
}

let docker: string | undefined;
/** The path of the real docker CLI (the first on PATH). */
export function realDocker(): string {
  docker ??= execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
  return docker;
}

/** A `docker` first on PATH that records each call (argv and environment, NUL-separated, and when it ended) and runs the real one. */
export async function dockerWrapper(scratch: Pick<Scratch, 'temp'>): Promise<DockerWrapper> {
  const dir = await scratch.temp('ib-docker-wrapper-');
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'record');
  await mkdir(bin);
  await mkdir(record);
  const script = [
    '#!/bin/sh',
    // Named by the start time in nanoseconds (19 digits until 2286), so that sorting the names
    // gives the calls in the order they were made.
    `n=$(mktemp -d "${record}/$(date +%s%N)-XXXXXX")`,
    'printf "%s\\0" "$@" > "$n/argv"',
    // The environment as the process got it (a shell would drop names like INPUT_GITHUB-TOKEN).
    'cat "/proc/$$/environ" > "$n/env"',
    `"${realDocker()}" "$@"`,
    'rc=$?',
    'date +%s%N > "$n/ended"',
    'exit $rc',
    ''
  ].join('\n');
  await writeFile(path.join(bin, 'docker'), script);
  await chmod(path.join(bin, 'docker'), 0o755);
  return {
    path: `${bin}:${process.env.PATH ?? ''}`,
    calls: async () => {
      const out: DockerCall[] = [];
      for (const call of (await readdir(record)).sort()) {
        const read = async (f: string): Promise<string[]> => (await readFile(path.join(record, call, f), 'utf8')).split('\0').slice(0, -1);
        const ended = await readFile(path.join(record, call, 'ended'), 'utf8').catch(() => undefined);
        out.push({
          argv: await read('argv'),
          env: await read('env'),
          startedNs: BigInt(call.split('-')[0] ?? '0'),
          ...(ended ? { endedNs: BigInt(ended.trim()) } : {})
        });
      }
      return out;
    }
  };
}

// ── The report ───────────────────────────────────────────────────────────────────────────────

/**
 * A report file's text, parsed, held to docs/report.schema.json and validated as the action
 * validates reports; throws when it is not one.
 */
export function parseReport(text: string): Report {
  const value: unknown = JSON.parse(text);
  assertMatchesSchema(value, 'the report');
  const read = validateReport(value);
  if (!read.ok) throw new Error(`not a valid report: ${read.error}`);
  return read.report;
}

/** The report the run wrote (its `report` output), validated; throws, with the run's log, when there is none. */
export async function reportOf(run: ActionRun): Promise<Report> {
  if (!run.outputs.report) throw new Error(`no report; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return parseReport(await readFile(run.outputs.report, 'utf8'));
}

type MeasuredSide = Extract<ReportSide, { state: 'measured' }>;

/**
 * A report side as a test reads it: its state, and the fields of every state as optional (those of
 * another state absent), so that `row.head.compressedBytes` is read, and compared, whatever the state.
 */
export type AnySide = { readonly state: ReportSide['state'] } & Partial<Omit<MeasuredSide, 'state'>> & {
  readonly error?: string;
  readonly reason?: string;
};

/** A report row (ReportTarget) with its sides read as AnySide. */
export type Row = Omit<ReportTarget, 'head' | 'base'> & { readonly head: AnySide; readonly base: AnySide };

/** The report's rows, their sides read as AnySide. */
export const rowsOf = (r: Report): readonly Row[] => r.targets;

/** The row of `target` (of `image`, when given); throws, naming the rows there are, when there is none. */
export function rowOf(r: Report, target: string, image?: string): Row {
  const found = rowsOf(r).find((t) => t.target === target && (image === undefined || t.image === image));
  if (!found) throw new Error(`no row ${image === undefined ? '' : `${image} › `}${target} in ${JSON.stringify(r.targets.map((t) => (t.image === undefined ? t.target : [t.image, t.target])))}`);
  return found;
}
