// The GitHub Actions cache service, spoken as @actions/cache 6.3.0 speaks it, for the few calls a
// baseline needs: look keys up, download an entry, create one. Two protocols, chosen as the library
// chooses (config.ts there):
// - v2 (github.com, ACTIONS_CACHE_SERVICE_V2 set): twirp JSON calls to ACTIONS_RESULTS_URL
//   (CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL) with the runtime token,
//   and the archive itself PUT to, or read from, the signed blob URL the service answers (Azure Put
//   Blob: `x-ms-blob-type: BlockBlob`), which carries its own signature and gets no token;
// - v1 (GitHub Enterprise Server, or v2 not announced): REST under ACTIONS_CACHE_URL
//   `_apis/artifactcache/` (GET cache?keys=&version=, POST caches, PATCH caches/<id> with a
//   Content-Range, POST caches/<id>), and a plain GET of the entry's archiveLocation.
// The job's ACTIONS_CACHE_MODE limits reads and writes as the library reads it. A call the service
// fails (500, 502, 503, 504, an answer that is not JSON, a connection dropped mid-way) is tried 5
// times, 3 s apart and then 1.5 times longer each time, as the library does; any other status, and a
// service that cannot be reached (refused, unknown host, timed out), is final at once. Proxies
// are honoured (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) except for loopback hosts, as the library's HTTP
// client does. Signed URLs and the token never reach a message.
// The library itself is not used: with the Azure storage SDK it brings, it was half of the action's
// bundle and 16 to 22 MB of the process's memory, for a file of a few kB.
import type { IncomingMessage } from 'node:http';
import { DEFAULT_TIMEOUTS, NetworkError, closeAgents, readBody, send, type Agents, type Request, type Timeouts } from '../http.js';
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
 * runtime token, or no URL for the protocol). Pure.
 */
export function cacheConnection(env: Readonly<Record<string, string | undefined>>): CacheConnection | undefined {
  const token = env['ACTIONS_RUNTIME_TOKEN'];
  const protocol: CacheProtocol = !isGhes(env['GITHUB_SERVER_URL']) && env['ACTIONS_CACHE_SERVICE_V2'] ? 'v2' : 'v1';
  const url = protocol === 'v2' ? env['ACTIONS_RESULTS_URL'] : env['ACTIONS_CACHE_URL'] || env['ACTIONS_RESULTS_URL'];
  if (!token || !url) return undefined;
  const base = new URL(url.endsWith('/') ? url : `${url}/`);
  const mode = (env['ACTIONS_CACHE_MODE'] ?? '').trim().toLowerCase();
  // Unset or unknown modes permit both, as in the library.
  const known = ['none', 'read', 'write', 'write-only'].includes(mode);
  return {
    protocol,
    base: protocol === 'v2' ? base : new URL('_apis/artifactcache/', base),
    token,
    readable: !known || mode === 'read' || mode === 'write',
    writable: !known || mode === 'write' || mode === 'write-only'
  };
}

/** The library's test: a server other than github.com, *.ghe.com and *.localhost is GHES. */
function isGhes(serverUrl: string | undefined): boolean {
  const host = new URL(serverUrl || 'https://github.com').hostname.toLowerCase();
  return host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost');
}

/** An entry the service found: the key it matched and where its archive is. */
export interface FoundEntry {
  readonly key: string;
  readonly archiveUrl: string;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly multiplier: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 3000, multiplier: 1.5 };

const MAX_ANSWER_BYTES = 1024 * 1024;
const TWIRP = 'twirp/github.actions.results.api.v1.CacheService/';
const V1_ACCEPT = 'application/json;api-version=6.0-preview.1';
/** The storage service version Azure's storage SDK for JavaScript (12.x) sends with Put Blob. */
const AZURE_VERSION = '2026-02-06';
const RETRIED = new Set([500, 502, 503, 504]);
/** Network failures the library reports at once rather than retry: the service is not reachable. */
const UNREACHABLE = new Set(['ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH']);

/** A call the service answered with a status it will answer again (not retried). */
export class CacheServiceError extends BaselineStoreError {
  constructor(
    message: string,
    readonly status: number | undefined
  ) {
    super(message);
  }
}

/** An answer worth asking again for: a retried status, an answer that is not JSON, no answer. */
class Transient extends Error {}

/** One job's conversation with the cache service. */
export class CacheService {
  private readonly agents: Agents;

  constructor(
    readonly connection: CacheConnection,
    private readonly options: { readonly timeouts?: Timeouts; readonly retry?: RetryPolicy; readonly proxyEnv?: Readonly<Record<string, string | undefined>> } = {}
  ) {
    this.agents = { proxyEnv: options.proxyEnv ?? process.env };
  }

  /** The entry the service finds for `keys` (the first as primary key, the rest as restore keys; at most 10). */
  async lookup(keys: readonly string[], version: string): Promise<FoundEntry | undefined> {
    const [key, ...restoreKeys] = keys;
    if (key === undefined) return undefined;
    if (this.connection.protocol === 'v2') {
      const body = { key, ...(restoreKeys.length > 0 ? { restore_keys: restoreKeys } : {}), version };
      const answer = await this.twirp('GetCacheEntryDownloadURL', body);
      if (answer['ok'] !== true) return undefined;
      return found(answer['matched_key'] ?? answer['matchedKey'], answer['signed_download_url'] ?? answer['signedDownloadUrl']);
    }
    const query = `cache?keys=${encodeURIComponent(keys.join(','))}&version=${version}`;
    const res = await this.call('the lookup', () => this.v1('GET', query));
    if (res.status === 204) return undefined;
    const answer = expectOk(res, 'the lookup');
    return found(answer['cacheKey'], answer['archiveLocation']);
  }

  /** The archive of `entry`, at most `max` bytes. */
  async download(entry: FoundEntry, max: number): Promise<Buffer> {
    const url = new URL(entry.archiveUrl);
    const what = 'the download';
    return this.retrying(what, async () => {
      const res = await this.send({ url, method: 'GET', headers: {} });
      if (RETRIED.has(res.statusCode ?? 0)) throw transient(res, what);
      if (res.statusCode !== 200) throw await failed(res, what);
      return readBody(res, max, () => new CacheServiceError(`the entry ${entry.key} is larger than ${max} bytes; it is refused`, undefined));
    });
  }

  /**
   * Creates the entry `key` holding `archive`. Resolves false when the service refuses to create it
   * (v2: it exists; v1: reserved or existing), true once it is stored.
   */
  async create(key: string, version: string, archive: Buffer): Promise<boolean> {
    return this.connection.protocol === 'v2' ? this.createV2(key, version, archive) : this.createV1(key, version, archive);
  }

  close(): void {
    closeAgents(this.agents);
  }

  private async createV2(key: string, version: string, archive: Buffer): Promise<boolean> {
    let created: Record<string, unknown>;
    try {
      created = await this.twirp('CreateCacheEntry', { key, version });
    } catch (error) {
      if (error instanceof CacheServiceError && error.status === 409) return false;
      throw error;
    }
    const uploadUrl = created['signed_upload_url'] ?? created['signedUploadUrl'];
    if (created['ok'] !== true || typeof uploadUrl !== 'string') {
      throw new CacheServiceError(`the Actions cache refused to create ${key}: ${describe(created['message'])}`, undefined);
    }
    const what = 'the upload';
    await this.retrying(what, async () => {
      const headers = { 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': AZURE_VERSION, 'content-type': 'application/octet-stream' };
      const res = await this.send({ url: new URL(uploadUrl), method: 'PUT', headers, body: archive });
      if (RETRIED.has(res.statusCode ?? 0)) throw transient(res, what);
      if (res.statusCode !== 201) throw await failed(res, what);
      res.resume();
    });
    const finalized = await this.twirp('FinalizeCacheEntryUpload', { key, version, size_bytes: String(archive.length) });
    if (finalized['ok'] !== true) {
      throw new CacheServiceError(`the Actions cache did not finalize ${key}: ${describe(finalized['message'])}`, undefined);
    }
    return true;
  }

  private async createV1(key: string, version: string, archive: Buffer): Promise<boolean> {
    const reserve = await this.call('the reservation', () => this.v1('POST', 'caches', { key, version, cacheSize: archive.length }));
    // 400 is a refusal of the entry itself (too large); any other refusal, the library's reading, is
    // an entry that exists or that another job is writing.
    if (reserve.status === 400) expectOk(reserve, 'the reservation');
    if (reserve.status < 200 || reserve.status > 299) return false;
    const cacheId = expectOk(reserve, 'the reservation')['cacheId'];
    if (typeof cacheId !== 'number') throw new CacheServiceError('the Actions cache answered a reservation without a cacheId', undefined);
    const range = { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${archive.length - 1}/*` };
    expectOk(await this.call('the upload', () => this.v1('PATCH', `caches/${cacheId}`, archive, range)), 'the upload');
    expectOk(await this.call('the commit', () => this.v1('POST', `caches/${cacheId}`, { size: archive.length })), 'the commit');
    return true;
  }

  /** One twirp call: its JSON answer on a 2xx; CacheServiceError with the service's `msg` otherwise. */
  private async twirp(method: string, body: object): Promise<Record<string, unknown>> {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${this.connection.token}`, 'user-agent': USER_AGENT };
    const request: Request = { url: new URL(`${TWIRP}${method}`, this.connection.base), method: 'POST', headers, body: JSON.stringify(body) };
    return expectOk(await this.call(method, () => this.send(request)), method);
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

  /** A call whose answer is JSON (or empty): retried on the statuses above and on answers that are not JSON. */
  private call(what: string, request: () => Promise<IncomingMessage>): Promise<Answer> {
    return this.retrying(what, async () => {
      const res = await request();
      const status = res.statusCode ?? 0;
      const text = (await readBody(res, MAX_ANSWER_BYTES, () => new Transient(`an answer over ${MAX_ANSWER_BYTES} bytes`))).toString('utf8');
      if (RETRIED.has(status)) throw new Transient(`${status}${twirpMessage(text)}`);
      if (text.trim() === '') return { status, json: {} };
      try {
        const json: unknown = JSON.parse(text);
        return { status, json: typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {} };
      } catch {
        throw new Transient(`an answer that is not JSON (status ${status})`);
      }
    });
  }

  private send(request: Request): Promise<IncomingMessage> {
    return send(request, {}, this.options.timeouts ?? DEFAULT_TIMEOUTS, this.agents);
  }

  private async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const policy = this.options.retry ?? DEFAULT_RETRY;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof Transient || error instanceof NetworkError)) throw error;
        if (error instanceof NetworkError && UNREACHABLE.has(error.code ?? '')) {
          const hint = "a self-hosted runner needs to reach GitHub's endpoints";
          throw new CacheServiceError(`the Actions cache could not be reached for ${what} (${error.code ?? ''}): ${hint}`, undefined);
        }
        if (n >= policy.attempts) {
          throw new CacheServiceError(`the Actions cache did not answer ${what} after ${n} attempts: ${error.message}`, undefined);
        }
        const delay = policy.firstDelayMs * policy.multiplier ** (n - 1);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

const USER_AGENT = 'image-budget';

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

function expectOk(answer: Answer, what: string): Record<string, unknown> {
  if (answer.status >= 200 && answer.status <= 299) return answer.json;
  const message = answer.json['msg'] ?? answer.json['message'];
  const detail = typeof message === 'string' && message !== '' ? `: ${oneLine(message)}` : '';
  throw new CacheServiceError(`the Actions cache answered ${answer.status} to ${what}${detail}`, answer.status);
}

function found(key: unknown, archiveUrl: unknown): FoundEntry | undefined {
  return typeof key === 'string' && typeof archiveUrl === 'string' && archiveUrl !== '' ? { key, archiveUrl } : undefined;
}

function transient(res: IncomingMessage, what: string): Transient {
  res.resume();
  return new Transient(`${res.statusCode ?? 0} to ${what}`);
}

/** A final failure of a blob request: its status and Azure's error code, never the URL. */
async function failed(res: IncomingMessage, what: string): Promise<CacheServiceError> {
  res.resume();
  const code = res.headers['x-ms-error-code'];
  const detail = typeof code === 'string' ? ` (${oneLine(code)})` : '';
  return new CacheServiceError(`the Actions cache storage answered ${res.statusCode ?? 0} to ${what}${detail}`, res.statusCode);
}

function twirpMessage(text: string): string {
  try {
    const msg = (JSON.parse(text) as { msg?: unknown }).msg;
    return typeof msg === 'string' ? `: ${oneLine(msg)}` : '';
  } catch {
    return '';
  }
}

const describe = (message: unknown): string => (typeof message === 'string' && message !== '' ? oneLine(message) : 'no reason given');
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 300);
