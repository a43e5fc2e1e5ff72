// The GitHub Actions cache service, spoken as @actions/cache 6.3.0 speaks it, for the few calls a
// baseline needs: look keys up, download an entry, create one. Two protocols, chosen as the library
// chooses (config.ts there):
// - v2 (github.com, ACTIONS_CACHE_SERVICE_V2 set): twirp JSON calls to ACTIONS_RESULTS_URL
//   (CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL) with the runtime token,
//   and the archive itself PUT to, or read from, the signed blob URL the service answers (Azure Put
//   Blob: `x-ms-blob-type: BlockBlob`), which carries its own signature and gets no token;
// - v1 (GitHub Enterprise Server, or v2 not announced): REST under ACTIONS_CACHE_URL
//   `_apis/artifactcache/` (GET cache?keys=&version=, POST caches, PATCH caches/<id> with a
//   Content-Range, POST caches/<id>), and a plain GET of the entry's archiveLocation (redirects
//   followed).
// The job's ACTIONS_CACHE_MODE limits reads and writes as the library reads it. Failures are retried
// as the library retries them (RETRY_V2, RETRY_V1): a call to a service that cannot be reached at all
// (refused, unknown host, timed out) is final at once, while a blob transfer, which the Azure SDK
// retries, is tried again. Proxies are chosen as the library's HTTP client chooses them
// (http.ts proxyFor). Signed URLs and the token never reach a message.
// The library itself is not used: with the Azure storage SDK it brings, it was half of the action's
// bundle and 16 to 22 MB of the process's memory, for a file of a few kB.
import type { IncomingMessage } from 'node:http';
import { DEFAULT_TIMEOUTS, NetworkError, closeAgents, readBody, send, type Agents, type Request } from '../http.js';
import { TOOL } from '../tool.js';
import { BaselineStoreError } from './store.js';

export type CacheProtocol = 'v1' | 'v2';

/** Where and how this job reaches the cache. */
export interface CacheConnection {
  readonly protocol: CacheProtocol;
  /** ACTIONS_RESULTS_URL (v2), or ACTIONS_CACHE_URL + `_apis/artifactcache/` (v1). */
  readonly base: URL;
  readonly token: string;
  readonly readable: boolean;
  readonly writable: boolean;
}

/**
 * The cache this job has, from the runner's variables; undefined outside a job that has one (no
 * runtime token, or no URL for the protocol: the library's isFeatureAvailable). A URL that is not
 * one is a BaselineStoreError. Pure.
 */
export function cacheConnection(env: Readonly<Record<string, string | undefined>>): CacheConnection | undefined {
  const token = env['ACTIONS_RUNTIME_TOKEN'];
  const protocol: CacheProtocol = !isGhes(env['GITHUB_SERVER_URL']) && env['ACTIONS_CACHE_SERVICE_V2'] ? 'v2' : 'v1';
  const variable = protocol === 'v2' ? 'ACTIONS_RESULTS_URL' : 'ACTIONS_CACHE_URL';
  const url = env[variable];
  if (!token || !url) return undefined;
  if (!URL.canParse(url)) throw new BaselineStoreError(`${variable} is not a URL; the Actions cache cannot be reached`);
  const base = new URL(url.endsWith('/') ? url : `${url}/`);
  const access = actionsCacheAccess(env);
  return { protocol, base: protocol === 'v2' ? base : new URL('_apis/artifactcache/', base), token, readable: access.read, writable: access.write };
}

/** What the job's token may do with the Actions cache. */
export interface ActionsCacheAccess {
  readonly read: boolean;
  readonly write: boolean;
  /** The runner's `ACTIONS_CACHE_MODE`, when it limits access. */
  readonly mode?: string;
}

/**
 * The runner's `ACTIONS_CACHE_MODE` (as @actions/cache reads it), for the baselines here and for
 * buildx's gha cache (pipeline/side.ts): `read` when the job's token may
 * only read the cache (an untrusted trigger on the default branch's scope), `none`, `write`,
 * `write-only`. Unset or unknown: read and write, as before the variable existed.
 */
export function actionsCacheAccess(env: Readonly<Record<string, string | undefined>>): ActionsCacheAccess {
  const mode = (env['ACTIONS_CACHE_MODE'] ?? '').trim().toLowerCase();
  switch (mode) {
    case 'none':
      return { read: false, write: false, mode };
    case 'read':
      return { read: true, write: false, mode };
    case 'write-only':
      return { read: false, write: true, mode };
    default:
      return { read: true, write: true };
  }
}

/** The library's test: a server other than github.com, *.ghe.com and *.localhost is GHES. */
function isGhes(serverUrl: string | undefined): boolean {
  const host = (URL.parse(serverUrl || 'https://github.com')?.hostname ?? '').toLowerCase();
  return host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost');
}

/** An entry the service found: the key it matched and where its archive is. */
export interface FoundEntry {
  readonly key: string;
  readonly archiveUrl: string;
}

interface RetryPolicy {
  readonly attempts: number;
  /** The wait after the first attempt; each later one is `multiplier` times longer, spread up to one more factor. */
  readonly firstDelayMs: number;
  readonly multiplier: number;
  /** Statuses tried again (an answer that is not JSON, and a dropped transfer, always are). */
  readonly statuses: ReadonlySet<number>;
  /** Whether a service that cannot be reached at all is tried again. */
  readonly unreachable: boolean;
}

/** The library's twirp client: 5 attempts, 3 s then 1.5 times longer (with spread), on 500, 502, 503, 504. */
const RETRY_V2: RetryPolicy = { attempts: 5, firstDelayMs: 3000, multiplier: 1.5, statuses: new Set([500, 502, 503, 504]), unreachable: false };
/** The library's v1 client: 2 attempts, 5 s apart, on 502, 503, 504 and any network failure. */
const RETRY_V1: RetryPolicy = { attempts: 2, firstDelayMs: 5000, multiplier: 1, statuses: new Set([502, 503, 504]), unreachable: true };
/** Blob transfers, as the Azure SDK makes them: any failure of the transfer tried again. */
const RETRY_BLOB: RetryPolicy = { ...RETRY_V2, unreachable: true };

const MAX_ANSWER_BYTES = 1024 * 1024;
const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/';
const V1_ACCEPT = 'application/json;api-version=6.0-preview.1';
/** The storage service version Azure's storage SDK for JavaScript (12.x) sends with Put Blob. */
const AZURE_VERSION = '2026-02-06';
/** Network failures the library reports at once rather than retry: the service is not reachable. */
const UNREACHABLE = new Set(['ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH']);

/** An answer worth asking again for: a retried status, an answer that is not JSON, a dropped transfer. */
class Transient extends Error {}

/** What the service answered when it would not create an entry: it exists, or it says why not. */
export interface Created {
  readonly created: boolean;
  /** Why not, in the service's words (never a URL). */
  readonly refusal?: string;
}

const MAX_REDIRECTS = 5;

/** One job's conversation with the cache service. */
export class CacheService {
  private readonly agents: Agents;
  private readonly retry: RetryPolicy;

  /** `proxyEnv`: the variables proxies are chosen from (http.ts proxyFor). */
  constructor(
    readonly connection: CacheConnection,
    proxyEnv: Readonly<Record<string, string | undefined>> = process.env
  ) {
    this.agents = { proxyEnv };
    this.retry = connection.protocol === 'v2' ? RETRY_V2 : RETRY_V1;
  }

  /** The entry the service finds for `keys` (the first as primary key, the rest as restore keys; at most 10). */
  async lookup(keys: readonly string[], version: string): Promise<FoundEntry | undefined> {
    const [key, ...restoreKeys] = keys;
    if (key === undefined) return undefined;
    if (this.connection.protocol === 'v2') {
      const body = { key, ...(restoreKeys.length > 0 ? { restore_keys: restoreKeys } : {}), version };
      const answer = expectOk(await this.twirp('GetCacheEntryDownloadURL', body), 'GetCacheEntryDownloadURL');
      if (answer['ok'] !== true) return undefined;
      return found(answer['matched_key'] ?? answer['matchedKey'], answer['signed_download_url'] ?? answer['signedDownloadUrl']);
    }
    const query = `cache?keys=${encodeURIComponent(keys.join(','))}&version=${version}`;
    const res = await this.call('the lookup', this.retry, () => this.v1('GET', query));
    if (res.status === 204) return undefined;
    const answer = expectOk(res, 'the lookup');
    return found(answer['cacheKey'], answer['archiveLocation']);
  }

  /** The archive of `entry`, at most `max` bytes (redirects followed, with no credential to carry). */
  async download(entry: FoundEntry, max: number): Promise<Buffer> {
    const what = 'the download';
    return this.retrying(what, RETRY_BLOB, async () => {
      let url = new URL(entry.archiveUrl);
      for (let hops = 0; ; hops++) {
        const res = await this.send({ url, method: 'GET', headers: { 'user-agent': USER_AGENT } });
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 301 && status <= 308 && status !== 304 && location !== undefined && hops < MAX_REDIRECTS) {
          res.resume();
          url = new URL(location, url);
          continue;
        }
        if (RETRY_BLOB.statuses.has(status)) throw transient(res, what);
        if (status !== 200) throw failed(res, what);
        return readBody(res, max, () => new BaselineStoreError(`the entry ${entry.key} is larger than ${max} bytes; it is refused`));
      }
    });
  }

  /** Creates the entry `key` holding `archive`, unless the service refuses (it exists, or says why not). */
  async create(key: string, version: string, archive: Buffer): Promise<Created> {
    return this.connection.protocol === 'v2' ? this.createV2(key, version, archive) : this.createV1(key, version, archive);
  }

  close(): void {
    closeAgents(this.agents);
  }

  private async createV2(key: string, version: string, archive: Buffer): Promise<Created> {
    const reserved = await this.twirp('CreateCacheEntry', { key, version });
    if (reserved.status === 409) return { created: false, refusal: messageOf(reserved) ?? 'the entry exists' };
    const created = expectOk(reserved, 'CreateCacheEntry');
    const uploadUrl = created['signed_upload_url'] ?? created['signedUploadUrl'];
    if (created['ok'] !== true || typeof uploadUrl !== 'string') return { created: false, refusal: describe(created['message']) };
    const what = 'the upload';
    await this.retrying(what, RETRY_BLOB, async () => {
      const headers = { 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': AZURE_VERSION, 'content-type': 'application/octet-stream', 'user-agent': USER_AGENT };
      const res = await this.send({ url: new URL(uploadUrl), method: 'PUT', headers, body: archive });
      if (RETRY_BLOB.statuses.has(res.statusCode ?? 0)) throw transient(res, what);
      if (res.statusCode !== 201) throw failed(res, what);
      res.resume();
    });
    const finalized = expectOk(await this.twirp('FinalizeCacheEntryUpload', { key, version, size_bytes: String(archive.length) }), 'FinalizeCacheEntryUpload');
    if (finalized['ok'] !== true) {
      throw new BaselineStoreError(`the Actions cache did not finalize ${key}: ${describe(finalized['message'])}`);
    }
    return { created: true };
  }

  private async createV1(key: string, version: string, archive: Buffer): Promise<Created> {
    const reserve = await this.call('the reservation', this.retry, () => this.v1('POST', 'caches', { key, version, cacheSize: archive.length }));
    // 400 refuses the entry itself (too large); any other refusal is, in the library's reading, an
    // entry that exists or that another job is writing (or a `cache write denied:` policy).
    if (reserve.status === 400) expectOk(reserve, 'the reservation');
    if (!isOk(reserve.status)) return { created: false, refusal: messageOf(reserve) ?? `status ${reserve.status}` };
    const cacheId = expectOk(reserve, 'the reservation')['cacheId'];
    if (typeof cacheId !== 'number') throw new BaselineStoreError('the Actions cache answered a reservation without a cacheId');
    const range = { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${archive.length - 1}/*` };
    expectOk(await this.call('the upload', this.retry, () => this.v1('PATCH', `caches/${cacheId}`, archive, range), false), 'the upload');
    expectOk(await this.call('the commit', this.retry, () => this.v1('POST', `caches/${cacheId}`, { size: archive.length }), false), 'the commit');
    return { created: true };
  }

  /** One twirp call: its status and JSON answer. */
  private twirp(method: string, body: object): Promise<Answer> {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${this.connection.token}`, 'user-agent': USER_AGENT };
    const request: Request = { url: new URL(`${TWIRP}${method}`, this.connection.base), method: 'POST', headers, body: JSON.stringify(body) };
    return this.call(method, this.retry, () => this.send(request));
  }

  private v1(method: 'GET' | 'POST' | 'PATCH', resource: string, body?: object | Buffer, extra: Record<string, string> = {}): Promise<IncomingMessage> {
    const json = body !== undefined && !Buffer.isBuffer(body);
    const headers = {
      accept: V1_ACCEPT,
      authorization: `Bearer ${this.connection.token}`,
      'user-agent': USER_AGENT,
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...extra
    };
    const payload = body === undefined ? {} : { body: json ? JSON.stringify(body) : (body as Buffer) };
    return this.send({ url: new URL(resource, this.connection.base), method, headers, ...payload });
  }

  /**
   * A call whose answer is JSON (an empty answer reads as `{}`): tried again on the policy's statuses
   * and, where `needJson`, on a success that is not JSON; a failure's body need not be JSON.
   */
  private call(what: string, policy: RetryPolicy, request: () => Promise<IncomingMessage>, needJson = true): Promise<Answer> {
    return this.retrying(what, policy, async () => {
      const res = await request();
      const status = res.statusCode ?? 0;
      const text = (await readBody(res, MAX_ANSWER_BYTES, () => new BaselineStoreError(`the Actions cache answered ${what} with over ${MAX_ANSWER_BYTES} bytes`))).toString('utf8');
      const json = parseObject(text);
      const said = json && messageOf({ status, json });
      if (policy.statuses.has(status)) throw new Transient(`${status}${said ? `: ${said}` : ''}`);
      if (json === undefined && needJson && isOk(status) && text.trim() !== '') throw new Transient(`an answer that is not JSON (status ${status})`);
      return { status, json: json ?? {} };
    });
  }

  private send(request: Request): Promise<IncomingMessage> {
    return send(request, {}, DEFAULT_TIMEOUTS, this.agents);
  }

  private async retrying<T>(what: string, policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        const dropped = error instanceof Error && !(error instanceof BaselineStoreError) && (error as { code?: unknown }).code === 'ECONNRESET';
        if (!(error instanceof Transient || error instanceof NetworkError || dropped)) throw error;
        if (error instanceof NetworkError && UNREACHABLE.has(error.code ?? '') && !policy.unreachable) {
          const hint = "a self-hosted runner needs to reach GitHub's endpoints";
          throw new BaselineStoreError(`the Actions cache could not be reached for ${what} (${error.code ?? ''}): ${hint}`);
        }
        if (n >= policy.attempts) {
          throw new BaselineStoreError(`the Actions cache did not answer ${what} after ${n} attempts: ${error.message}`);
        }
        const least = policy.firstDelayMs * policy.multiplier ** (n - 1);
        await new Promise((resolve) => setTimeout(resolve, least + Math.random() * least * (policy.multiplier - 1)));
      }
    }
  }
}

const USER_AGENT = `${TOOL.name}/${TOOL.version}`;

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

const isOk = (status: number): boolean => status >= 200 && status <= 299;

function parseObject(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The service's own words in a failure: twirp's `msg`, v1's `message`. */
function messageOf(answer: Answer): string | undefined {
  const message = answer.json['msg'] ?? answer.json['message'];
  return typeof message === 'string' && message !== '' ? oneLine(message) : undefined;
}

function expectOk(answer: Answer, what: string): Record<string, unknown> {
  if (isOk(answer.status)) return answer.json;
  const message = messageOf(answer);
  throw new BaselineStoreError(`the Actions cache answered ${answer.status} to ${what}${message ? `: ${message}` : ''}`);
}

function found(key: unknown, archiveUrl: unknown): FoundEntry | undefined {
  return typeof key === 'string' && typeof archiveUrl === 'string' && archiveUrl !== '' ? { key, archiveUrl } : undefined;
}

function transient(res: IncomingMessage, what: string): Transient {
  res.resume();
  return new Transient(`${res.statusCode ?? 0} to ${what}`);
}

/** A final failure of a blob request: its status and Azure's error code, never the URL. */
function failed(res: IncomingMessage, what: string): BaselineStoreError {
  res.resume();
  const code = res.headers['x-ms-error-code'];
  const detail = typeof code === 'string' ? ` (${oneLine(code)})` : '';
  return new BaselineStoreError(`the Actions cache storage answered ${res.statusCode ?? 0} to ${what}${detail}`);
}

const describe = (message: unknown): string => (typeof message === 'string' && message !== '' ? oneLine(message) : 'no reason given');
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 300);
