// Registry credentials found the way the docker CLI finds them, in the docker config that `docker
// login` and docker/login-action write: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
// For a registry host, `credHelpers[host]` names a helper, else `credsStore` does, else
// `auths[host]` holds them (`auth`, base64 `user:password`; or `username`/`password`; or an
// `identitytoken`). Docker Hub's key is `https://index.docker.io/v1/`; a key may carry a scheme and
// a path (`https://ghcr.io/v1/`), matched by its host. A helper is `docker-credential-NAME get`,
// given the key on stdin, answering `{"Username","Secret"}` (`<token>` as the user: the secret is
// an identity token); "credentials not found" means anonymous. A secret never reaches a message.
// Parsing is pure; reading the file and running a helper go through node:fs and the exec seam.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorCode, errorMessage } from '../errors.js';
import { ExecError, spawnStream, type StreamExec } from '../exec.js';
import { DOCKER_HUB } from './reference.js';

/** Credentials for one registry, and where they came from (for messages; never the secret). */
export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string; readonly source: string }
  /** An OAuth refresh token (docker's identity token), exchanged at the token server. */
  | { readonly kind: 'identity-token'; readonly token: string; readonly username?: string; readonly source: string };

/** One entry of `auths`. */
export interface AuthEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

/** The parts of a docker config that say where credentials are. */
export interface DockerConfig {
  readonly auths: ReadonlyMap<string, AuthEntry>;
  readonly credHelpers: ReadonlyMap<string, string>;
  readonly credsStore?: string;
}

/** The key docker keeps Docker Hub's credentials under. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** The user name a helper answers with when its secret is an identity token. */
const TOKEN_USERNAME = '<token>';
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A helper that has not answered in this time is stopped. */
export const HELPER_TIMEOUT_MS = 60_000;

/** The config file docker reads: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv, home: string = os.homedir()): string {
  return env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : path.join(home, '.docker', 'config.json');
}

/** The key a registry's credentials are stored under: Docker Hub's legacy URL, else `host[:port]`. */
export function authKey(domain: string): string {
  return domain === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : domain;
}

/** `https://host:port/v1/` → `host:port`, as docker's ConvertToHostname. */
export function keyHost(key: string): string {
  const bare = key.replace(/^https?:\/\//i, '');
  return bare.split('/')[0]!;
}

function fail(source: string, what: string): never {
  throw new Error(`Malformed docker config ${source}: ${what}`);
}

function stringField(value: unknown, source: string, at: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(source, `${at} must be a string`);
  return value;
}

function objectField(value: unknown, source: string, at: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(source, `${at} must be an object`);
  return value as Record<string, unknown>;
}

/** A docker config's text (`source` names the file in errors, which never quote its content). */
export function parseDockerConfig(text: string, source: string): DockerConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail(source, 'not valid JSON');
  }
  const root = objectField(doc, source, 'the document');
  const auths = new Map<string, AuthEntry>();
  for (const [key, value] of Object.entries(objectField(root.auths, source, '"auths"'))) {
    const e = objectField(value, source, `"auths" entry ${JSON.stringify(key)}`);
    const at = (f: string): string => `"auths" entry ${JSON.stringify(key)} field "${f}"`;
    const entry: Record<string, string> = {};
    for (const f of ['auth', 'username', 'password', 'identitytoken'] as const) {
      const v = stringField(e[f], source, at(f));
      if (v !== undefined) entry[f] = v;
    }
    auths.set(key, entry);
  }
  const credHelpers = new Map<string, string>();
  for (const [key, value] of Object.entries(objectField(root.credHelpers, source, '"credHelpers"'))) {
    const helper = stringField(value, source, `"credHelpers" entry ${JSON.stringify(key)}`);
    if (helper !== undefined) credHelpers.set(key, helper);
  }
  const credsStore = stringField(root.credsStore, source, '"credsStore"');
  return { auths, credHelpers, ...(credsStore !== undefined ? { credsStore } : {}) };
}

/** The entry of `map` for a registry: under its exact key, else under a key whose host is the registry's. */
function lookup<T>(map: ReadonlyMap<string, T>, domain: string): { key: string; value: T } | undefined {
  const key = authKey(domain);
  const exact = map.get(key);
  if (exact !== undefined) return { key, value: exact };
  const host = keyHost(key);
  for (const [k, value] of map) if (keyHost(k) === host || (domain === DOCKER_HUB && keyHost(k) === DOCKER_HUB)) return { key: k, value };
  return undefined;
}

/** The credential helper docker would run for a registry (`credHelpers`, else `credsStore`), or undefined. */
export function helperFor(config: DockerConfig, domain: string): string | undefined {
  return lookup(config.credHelpers, domain)?.value ?? config.credsStore;
}

/** The credentials an `auths` entry holds for a registry, or undefined (anonymous). */
export function credentialsFromConfig(config: DockerConfig, domain: string, source: string): Credentials | undefined {
  const found = lookup(config.auths, domain);
  if (!found) return undefined;
  const where = `${source} ("auths" entry ${JSON.stringify(found.key)})`;
  const entry = found.value;
  let { username, password } = entry;
  if (entry.auth !== undefined) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new Error(`Malformed docker config ${where}: "auth" must be base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken !== undefined) {
    return { kind: 'identity-token', token: entry.identitytoken, ...(username !== undefined ? { username } : {}), source: where };
  }
  if (username !== undefined && password !== undefined) return { kind: 'basic', username, password, source: where };
  return undefined;
}

/**
 * A helper's answer to `get`: `{"Username","Secret"}`; `<token>` as the user means an identity
 * token; an empty secret means none. Throws a message naming the helper, never its output.
 */
export function parseHelperOutput(stdout: string, helper: string, domain: string): Credentials | undefined {
  const source = `credential helper docker-credential-${helper} for ${domain}`;
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`The ${source} answered something other than JSON`);
  }
  const o = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const { Username: username, Secret: secret } = o;
  if (typeof username !== 'string' || typeof secret !== 'string') throw new Error(`The ${source} answered JSON without the strings "Username" and "Secret"`);
  if (secret === '') return undefined;
  if (username === TOKEN_USERNAME) return { kind: 'identity-token', token: secret, source };
  return { kind: 'basic', username, password: secret, source };
}

/** True for a helper's "credentials not found" answer (credentials.ErrCredentialsNotFound), which means anonymous. */
export function isNotFoundAnswer(output: string): boolean {
  return /credentials not found/i.test(output);
}

export interface CredentialOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The home directory, for `~/.docker/config.json`. */
  readonly home?: string;
  /** How programs are run (the exec seam). */
  readonly run?: StreamExec;
}

/** The credentials docker would use for the registry `domain`, or undefined for anonymous access. */
export async function findCredentials(domain: string, opts: CredentialOptions = {}): Promise<Credentials | undefined> {
  const env = opts.env ?? process.env;
  const file = dockerConfigPath(env, opts.home);
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return undefined;
    throw new Error(`Cannot read the docker config ${file}: ${errorCode(e) ?? errorMessage(e)}`);
  });
  if (text === undefined) return undefined;
  const config = parseDockerConfig(text, file);
  const helper = helperFor(config, domain);
  if (helper !== undefined) return runHelper(helper, domain, env, opts.run ?? spawnStream);
  return credentialsFromConfig(config, domain, file);
}

/** Runs `docker-credential-HELPER get` with the registry's key on stdin. */
export async function runHelper(helper: string, domain: string, env: NodeJS.ProcessEnv, run: StreamExec = spawnStream): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  if (!HELPER_NAME.test(helper)) throw new Error(`The docker config names the credential helper ${JSON.stringify(helper)}, which is not a program name`);
  const child = run(program, ['get'], { env, stdin: 'pipe' });
  const chunks: Buffer[] = [];
  let size = 0;
  child.stdout.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= 64 * 1024) chunks.push(c);
  });
  const timer = setTimeout(() => child.kill(), HELPER_TIMEOUT_MS);
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`${authKey(domain)}\n`);
  let result: { code: number; stderr: string };
  try {
    result = await child.done;
  } catch (e) {
    const missing = e instanceof ExecError && /command not found/.test(e.message);
    throw new Error(`The credential helper ${program} for ${domain} ${missing ? 'is not installed (not on PATH)' : `could not be run: ${errorMessage(e)}`}`);
  } finally {
    clearTimeout(timer);
  }
  const stdout = Buffer.concat(chunks).toString('utf8');
  if (result.code !== 0) {
    if (isNotFoundAnswer(stdout) || isNotFoundAnswer(result.stderr)) return undefined;
    // Its output is not shown: a helper's output may hold a secret.
    throw new Error(`The credential helper ${program} for ${domain} failed (exit code ${result.code})`);
  }
  return parseHelperOutput(stdout, helper, domain);
}
