// The only code that runs git. One instance per repository directory; every call goes through the
// exec seam as an argv array. Refs and paths come from pull requests and inputs, so each one is
// checked for a leading `-` before git runs and passed after `--` (or `--end-of-options`) where git
// allows it (RELIABILITY row 23, security 9).
import path from 'node:path';
import { exec as realExec, type Exec } from '../exec.js';

/** A git command exited non-zero. The message carries git's last stderr line, never the environment. */
export class GitError extends Error {
  constructor(
    /** The git subcommand, e.g. `fetch`. */
    readonly command: string,
    readonly exitCode: number,
    /** Last non-empty stderr line, credentials in URLs masked; empty when git printed nothing. */
    readonly reason: string
  ) {
    super(`git ${command} failed (exit ${exitCode})${reason ? `: ${reason}` : ''}`);
    this.name = 'GitError';
  }
}

/** A ref, SHA, remote or path that could be read as an option, or is not a valid ref name. */
export class InvalidRefError extends Error {
  constructor(
    readonly value: string,
    why: string
  ) {
    super(`Invalid git ref ${JSON.stringify(value)}: ${why}`);
    this.name = 'InvalidRefError';
  }
}

export interface GitOptions {
  /** Defaults to the real exec; tests inject a spy or an exec with an isolated git config. */
  readonly exec?: Exec;
  /** Base environment of git; defaults to this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Config entries for every command of this instance, passed in the environment
   * (GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n, GIT_CONFIG_VALUE_n), never in argv: they may be credentials.
   */
  readonly config?: ReadonlyArray<readonly [string, string]>;
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full SHA-1 or SHA-256 object id in lower-case hex. */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** Throws before any git call when a value could be parsed by git as an option. */
export function assertNotOption(value: string, what: string): void {
  if (value === '') throw new InvalidRefError(value, `${what} is empty`);
  if (value.startsWith('-')) throw new InvalidRefError(value, `${what} must not start with "-"`);
  if (/[\0\n\r]/.test(value)) throw new InvalidRefError(value, `${what} contains a control character`);
}

// Variables that would redirect git to another repository or index (e.g. when run from a git
// hook): with GIT_INDEX_FILE set, a checkout elsewhere could write the user's index.
const REPO_ENV = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX'
];

/** Last non-empty stderr line, with `scheme://user:secret@` credentials masked. */
export function lastLine(stderr: string): string {
  const lines = stderr.split(/\r?\n|\r/).map((l) => l.trim());
  const last = lines.filter((l) => l !== '').pop() ?? '';
  return last.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

// Keep git from repacking or running maintenance in the user's repository as a side effect.
const QUIET_CONFIG = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false'];

export class Git {
  private readonly run: Exec;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    /** The repository (any directory of its working tree). */
    readonly repoDir: string,
    options: GitOptions = {}
  ) {
    this.run = options.exec ?? realExec;
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    for (const name of REPO_ENV) delete env[name];
    // The action's inputs (the github-token among them) are none of git's business.
    for (const name of Object.keys(env)) if (name.startsWith('INPUT_')) delete env[name];
    // Never wait for a credential prompt on a CI runner.
    env.GIT_TERMINAL_PROMPT = '0';
    env.GCM_INTERACTIVE = 'never';
    const count = Number(env.GIT_CONFIG_COUNT) || 0;
    for (const [i, [key, value]] of (options.config ?? []).entries()) {
      env[`GIT_CONFIG_KEY_${count + i}`] = key;
      env[`GIT_CONFIG_VALUE_${count + i}`] = value;
    }
    if (options.config?.length) env.GIT_CONFIG_COUNT = String(count + options.config.length);
    this.env = env;
  }

  /** The commit `ref` names, or undefined when it does not resolve to a commit here. */
  async revParseCommit(ref: string): Promise<string | undefined> {
    assertNotOption(ref, 'ref');
    const r = await this.git('rev-parse', ['--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], [0, 1]);
    if (r.code !== 0) return undefined;
    const sha = r.stdout.trim();
    return isFullSha(sha) ? sha : undefined;
  }

  /**
   * The top level of the working tree this instance's directory is in (`rev-parse --show-toplevel`).
   * Throws GitError when the directory is in no working tree.
   */
  async topLevel(): Promise<string> {
    const r = await this.git('rev-parse', ['--show-toplevel']);
    const top = r.stdout.trim();
    if (top === '') throw new GitError('rev-parse', 0, 'not in a working tree');
    return top;
  }

  /** The full name of the branch HEAD is on (`refs/heads/main`), or undefined for a detached HEAD. */
  async headRef(): Promise<string | undefined> {
    const r = await this.git('symbolic-ref', ['--quiet', 'HEAD'], [0, 1, 128]);
    const ref = r.stdout.trim();
    return r.code === 0 && ref !== '' ? ref : undefined;
  }

  /** The URL of `remote` (e.g. `origin`), or undefined when the repository has no such remote. */
  async remoteUrl(remote: string): Promise<string | undefined> {
    assertNotOption(remote, 'remote');
    const r = await this.git('remote', ['get-url', remote], [0, 2, 128]);
    const url = r.stdout.trim();
    return r.code === 0 && url !== '' ? url : undefined;
  }

  /**
   * True when the working tree differs from HEAD under any of `paths` (tracked changes or untracked
   * files). `--no-optional-locks`: looking must not refresh (rewrite) the user's index.
   */
  async hasChanges(paths: readonly string[]): Promise<boolean> {
    const r = await this.git('status', ['--porcelain', '--', ...paths], [0], ['--no-optional-locks']);
    return r.stdout.trim() !== '';
  }

  /** True when the commit object `sha` (a full SHA) is present. */
  async hasCommit(sha: string): Promise<boolean> {
    assertSha(sha);
    return (await this.revParseCommit(sha)) === sha;
  }

  /** True for a shallow clone (actions/checkout's default `fetch-depth: 1`). */
  async isShallow(): Promise<boolean> {
    const r = await this.git('rev-parse', ['--is-shallow-repository']);
    return r.stdout.trim() === 'true';
  }

  /**
   * `sha` and up to `count - 1` of its first-parent ancestors, newest first, as far as the local
   * history goes (a shallow clone stops at its boundary).
   */
  async ancestors(sha: string, count: number): Promise<string[]> {
    assertSha(sha);
    if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`ancestor count must be a positive integer, got ${count}`);
    const r = await this.git('rev-list', ['--first-parent', `--max-count=${count}`, sha, '--']);
    return r.stdout.split('\n').map((l) => l.trim()).filter(isFullSha);
  }

  /** `git check-ref-format --allow-onelevel`: true when `ref` is a well-formed ref name. */
  async checkRefFormat(ref: string): Promise<boolean> {
    // check-ref-format takes no `--`, so the option check is what keeps `ref` an operand.
    assertNotOption(ref, 'ref');
    const r = await this.git('check-ref-format', ['--allow-onelevel', ref], [0, 1]);
    return r.code === 0;
  }

  /** Where git keeps this repository: its own git dir and the common dir (they differ in a linked worktree). */
  async gitDirs(): Promise<{ gitDir: string; commonDir: string }> {
    const r = await this.git('rev-parse', ['--absolute-git-dir', '--git-common-dir']);
    const [gitDir = '', commonDir = ''] = r.stdout.split('\n').map((l) => l.trim());
    if (gitDir === '' || commonDir === '') throw new GitError('rev-parse', 0, 'no git dir');
    return { gitDir, commonDir: path.resolve(this.repoDir, commonDir) };
  }

  /** `sha1` or `sha256`. */
  async objectFormat(): Promise<string> {
    const r = await this.git('rev-parse', ['--show-object-format']);
    return r.stdout.trim() || 'sha1';
  }

  /** True when the repository is a partial clone (it lacks objects its promisor remote has). */
  async isPartialClone(): Promise<boolean> {
    const r = await this.git('config', ['--local', '--get', 'extensions.partialclone'], [0, 1]);
    return r.code === 0 && r.stdout.trim() !== '';
  }

  /**
   * The entries of the local config that come from files it includes (`include.path`,
   * `includeIf.gitdir:…`), whose keys match `keys`. actions/checkout (v6 on) keeps the token's
   * `http.<server>/.extraheader` in such a file, included for the workspace's own git dir only.
   */
  async includedConfig(keys: RegExp): Promise<Array<[string, string]>> {
    const list = async (includes: boolean): Promise<string[]> => {
      const r = await this.git('config', ['--local', ...(includes ? ['--includes'] : ['--no-includes']), '--list', '-z'], [0, 1]);
      return r.stdout.split('\0').filter((e) => e !== '');
    };
    const own = await list(false);
    const out: Array<[string, string]> = [];
    for (const entry of await list(true)) {
      const at = own.indexOf(entry);
      if (at >= 0) {
        own.splice(at, 1);
        continue;
      }
      const nl = entry.indexOf('\n');
      const [key, value] = nl < 0 ? [entry, ''] : [entry.slice(0, nl), entry.slice(nl + 1)];
      if (keys.test(key)) out.push([key, value]);
    }
    return out;
  }

  /**
   * `git init` of `repoDir` (an existing, empty directory), with the given object format; with
   * `separateGitDir`, the repository lives there and `repoDir/.git` is a one-line `gitdir:` file.
   */
  async init(objectFormat: string, separateGitDir?: string): Promise<void> {
    if (!/^sha(?:1|256)$/.test(objectFormat)) throw new InvalidRefError(objectFormat, 'not an object format');
    if (separateGitDir !== undefined) assertNotOption(separateGitDir, 'path');
    assertNotOption(this.repoDir, 'path');
    const separate = separateGitDir === undefined ? [] : [`--separate-git-dir=${separateGitDir}`];
    await this.git('init', ['--quiet', `--object-format=${objectFormat}`, ...separate, '--', this.repoDir]);
  }

  /** Removes every value of `key` from the local config; nothing when it has none. */
  async unsetConfig(key: string): Promise<void> {
    if (!/^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/i.test(key)) throw new InvalidRefError(key, 'not a config key');
    await this.git('config', ['--local', '--unset-all', key], [0, 5]);
  }

  /**
   * Fetches one commit from `source` (a remote's name, or the absolute path of a local repository)
   * as actions/checkout does (`--no-tags --prune --no-recurse-submodules`, `--depth` unless null):
   * `from` a full SHA (no ref written unless `to` is given) or a `refs/...` name, into the ref `to`.
   * Resolves to the commit fetched. Writes objects, FETCH_HEAD and `to` in this repository only.
   * `commitsOnly` asks for the commits without their trees (`--filter=tree:0`), enough to list a
   * history; a server that does not filter sends everything, as without it.
   */
  async fetchInto(source: string, from: string, to: string | undefined, depth: number | null, options: { readonly commitsOnly?: boolean } = {}): Promise<string> {
    assertNotOption(source, 'remote');
    assertNotOption(from, 'ref');
    if (!isFullSha(from) && !(from.startsWith('refs/') && (await this.checkRefFormat(from)))) {
      throw new InvalidRefError(from, 'expected a full commit SHA or a refs/... name');
    }
    if (to !== undefined && !(to.startsWith('refs/') && (await this.checkRefFormat(to)))) {
      throw new InvalidRefError(to ?? '', 'expected a refs/... name');
    }
    if (to === undefined && !isFullSha(from)) throw new InvalidRefError(from, 'a ref name needs a destination ref');
    if (depth !== null && !(Number.isInteger(depth) && depth > 0)) {
      throw new RangeError(`fetch depth must be a positive integer, got ${depth}`);
    }
    await this.git(
      'fetch',
      [
        '--no-tags',
        '--prune',
        '--no-recurse-submodules',
        ...(depth === null ? [] : [`--depth=${depth}`]),
        ...(options.commitsOnly ? ['--filter=tree:0'] : []),
        source,
        '--',
        to === undefined ? from : `+${from}:${to}`
      ],
      [0],
      ['-c', 'protocol.version=2', ...QUIET_CONFIG]
    );
    const sha = await this.revParseCommit(to ?? from);
    if (sha === undefined) throw new GitError('fetch', 0, `${from} is not a commit`);
    return sha;
  }

  /**
   * `git checkout --force --detach sha` in this repository's working tree. Repository hooks are not
   * run (a post-checkout hook is no business of a baseline build), nor an fsmonitor started.
   */
  async checkoutDetached(sha: string): Promise<void> {
    assertSha(sha);
    const config = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...QUIET_CONFIG];
    await this.git('checkout', ['--quiet', '--force', '--detach', sha], [0], config);
  }

  private async git(
    command: string,
    args: readonly string[],
    okCodes: readonly number[] = [0],
    config: readonly string[] = []
  ): Promise<{ code: number; stdout: string }> {
    const r = await this.run('git', [...config, command, ...args], { cwd: this.repoDir, env: this.env });
    if (!okCodes.includes(r.code)) throw new GitError(command, r.code, lastLine(r.stderr));
    return r;
  }
}

function assertSha(sha: string): void {
  assertNotOption(sha, 'commit');
  if (!isFullSha(sha)) throw new InvalidRefError(sha, 'expected a full commit SHA');
}
