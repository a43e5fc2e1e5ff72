// A loopback stand-in of the GitHub Actions cache service, speaking the protocols @actions/cache 6.3.0
// speaks: cache service v2 (github.com: ACTIONS_CACHE_SERVICE_V2 set, ACTIONS_RESULTS_URL), and, with
// `protocol: 'v1'`, the `_apis/artifactcache` REST protocol GitHub Enterprise Server still serves
// (ACTIONS_CACHE_URL, a GHES server URL). Each mode serves only its own protocol, so a client that
// speaks the other one fails loudly.
//
//   const cache = await startCacheStandin({ scope: 'refs/pull/7/merge' });
//   const restoreEnv = applyEnv(cache.env);   // the library reads process.env
//   try { ... } finally { restoreEnv(); await cache.close(); }
//
// Twirp JSON API, POST only, `Content-Type: application/json`, `Authorization: Bearer <token>`:
//   /twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry          {key, version}
//   /twirp/github.actions.results.api.v1.CacheService/FinalizeCacheEntryUpload  {key, size_bytes, version}
//   /twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL  {key, restore_keys, version}
// Request bodies are decoded with the message types generated from the service's .proto and shipped
// in @actions/cache (lib/generated/results/api/v1/cache.js): an unknown field or a wrong type is a
// twirp `malformed` error (400), an empty key or version `invalid_argument` (400), a missing or wrong
// token `unauthenticated` (401), another method or content type `bad_route` (404). Errors have the
// twirp shape {code, msg}. Answers are encoded by the same generated types with proto field names and
// defaults emitted (as the Go twirp server does): snake_case, int64 as a string.
//
// The service's rules, as GitHub documents them and as the hosted service answers:
// - an entry is found only for the same `version` (a hash of the paths and compression method);
// - lookup: in each readable scope in turn (the run's ref, then the pull request's base ref, then the
//   default branch), the exact key, then keys starting with `key`, then each restore key as a prefix;
//   among several prefix matches the newest wins;
// - a run writes into its own ref's scope only and reads its ref, its base ref and the default
//   branch: an entry saved by `refs/pull/7/merge` is invisible to every other ref, one saved by the
//   default branch is visible to all;
// - entries are immutable: creating (key, version, scope) again answers 409 `already_exists`,
//   "cache entry with the same key, version, and scope already exists" (the hosted service's text).
//
// Blobs live on the same server under Azure-style SAS URLs (`/<account>/<container>/<blob>?sv&sp&se&sig`,
// the IP-style form the Azure SDK accepts): Put Blob (`PUT`, `x-ms-blob-type: BlockBlob`, 201) is the
// one call @azure/storage-blob's uploadFile makes for a file up to its 128 MiB single-shot size (the
// library's setting), so Put Block / Put Block List are refused; Get Blob (`GET`, `HEAD`, `Range` or
// `x-ms-range` → 206). A signature that does not match or an expired URL is 403 AuthenticationFailed,
// a URL signed without the permission (an upload URL used to read) 403 AuthorizationPermissionMismatch.
// On a non-Azure host name the library downloads with a plain GET (see `blobHost`).
//
// v1 (the library's cacheHttpClient.ts and contracts.d.ts; `Accept: application/json;api-version=
// 6.0-preview.1`, `Authorization: Bearer <token>`), under `/_apis/artifactcache/`:
//   GET   cache?keys=<k1,k2,…>&version=<v>  200 {cacheKey, scope, cacheVersion, creationTime,
//                                           archiveLocation} or 204 (the same lookup rules as v2)
//   POST  caches {key, version, cacheSize}  201 {cacheId}; 409 when (key, version, scope) exists
//   PATCH caches/<id>  (Content-Range `bytes a-b/*`, application/octet-stream)  204
//   POST  caches/<id> {size}                204 once the chunks cover exactly `size` bytes
// archiveLocation is a signed URL on this server, read with a plain GET and no token.
//
// Faults (setFault): a status for every call (5xx: the library retries 5 times), malformed JSON,
// a delay; `requests()` records every request, `entries()` every entry.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
// The message types generated from the service's .proto, as @actions/cache ships them. The package's
// `exports` only expose its entry point, so they are reached by path.
import {
  CreateCacheEntryRequest,
  CreateCacheEntryResponse,
  FinalizeCacheEntryUploadRequest,
  FinalizeCacheEntryUploadResponse,
  GetCacheEntryDownloadURLRequest,
  GetCacheEntryDownloadURLResponse
} from '../../node_modules/@actions/cache/lib/generated/results/api/v1/cache.js';

export const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
export type CacheRpc = 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | 'GetCacheEntryDownloadURL';
/** The v1 calls, as recorded targets. */
export type V1Call = 'v1-lookup' | 'v1-reserve' | 'v1-upload' | 'v1-commit';
export const V1_PREFIX = '/_apis/artifactcache/';
const RPCS: readonly CacheRpc[] = ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'];

/** The hosted service's answer to creating an entry that exists. */
export const ALREADY_EXISTS_MESSAGE = 'cache entry with the same key, version, and scope already exists';

const ACCOUNT = 'standinaccount';
const CONTAINER = 'actions-cache';
const AZURE_HOST = `${ACCOUNT}.blob.core.windows.net`;
const MAX_TWIRP_BODY = 1024 * 1024;
const MAX_BLOB_BODY = 64 * 1024 * 1024;
const SAS_VERSION = '2024-11-04';
const SAS_LIFETIME_MS = 10 * 60_000;

export interface CacheStandinOptions {
  /** The runtime token the service accepts. Default: a random one (in `env`). */
  readonly token?: string;
  /** The repository's default branch. Default `refs/heads/main`. */
  readonly defaultBranch?: string;
  /** The ref of the run (`GITHUB_REF`), its write scope. Default: the default branch. */
  readonly scope?: string;
  /** A pull request's base ref, also readable. */
  readonly baseRef?: string;
  /**
   * Where the signed blob URLs point. `loopback` (default): this server's address, which the library
   * downloads with a plain GET. `azure`: `http://<account>.blob.core.windows.net/...`, as on github.com,
   * which makes the library download with the Azure SDK (HEAD, then ranged GETs) like a real runner;
   * `env` then routes those requests here through HTTP_PROXY (the Azure SDK honours it; @actions/
   * http-client never proxies loopback). Requests for any other host are refused.
   */
  readonly blobHost?: 'loopback' | 'azure';
  /** `v2` (default, github.com) or `v1` (GitHub Enterprise Server's `_apis/artifactcache`). */
  readonly protocol?: 'v1' | 'v2';
}

/** A fault every matching request meets until setFault(undefined). */
export interface CacheFault {
  /** Answer with this status and a twirp `internal`/`unavailable` error (or an Azure error for blobs). */
  readonly status?: number;
  /** Answer 200 with a body that is not JSON (twirp requests only). */
  readonly malformed?: boolean;
  /** Wait this long before answering (applies with or without the above). */
  readonly delayMs?: number;
  /** Limit to these twirp methods or v1 calls; `blob` limits to blob requests. Default: every request. */
  readonly only?: readonly (CacheRpc | V1Call | 'blob')[];
}

export interface CacheEntryView {
  readonly id: number;
  readonly key: string;
  readonly version: string;
  readonly scope: string;
  /** False while created but not finalized. */
  readonly finalized: boolean;
  /** The uploaded archive, once uploaded. */
  readonly data: Buffer | undefined;
}

export interface RecordedCacheRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  /** The twirp method, the v1 call, or `blob`, or undefined for anything else. */
  readonly target: CacheRpc | V1Call | 'blob' | undefined;
  /** The JSON body of a twirp request, as received (undefined if it was not JSON). */
  body: unknown;
  /** The scope the request was served under. */
  readonly scope: string;
  /** The `x-ms-range` or `Range` header of a blob request (the Azure SDK downloads in ranges). */
  readonly range: string | undefined;
  status: number;
}

export interface CacheStandin {
  /** Base URL, with a trailing slash (as the runner sets ACTIONS_RESULTS_URL). */
  readonly url: string;
  readonly token: string;
  /**
   * What a github.com runner sets for the cache, to apply on process.env with applyEnv. `undefined`
   * values unset a variable: an inherited ACTIONS_CACHE_URL or ACTIONS_CACHE_MODE (the tests may
   * themselves run in a workflow) must not leak in. RUNNER_TEMP is the stand-in's own temp dir: the
   * library puts its archives there (without it, under /home/actions/temp).
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  entries(): readonly CacheEntryView[];
  requests(): readonly RecordedCacheRequest[];
  /** Makes later requests come from a run of `ref` (and, for a pull request, its `baseRef`). */
  setScope(ref: string, baseRef?: string): void;
  setFault(fault: CacheFault | undefined): void;
  close(): Promise<void>;
}

/**
 * The cache runtime a job's action process gets (for runAction's `env`): the stand-in's variables
 * that are set, without RUNNER_TEMP, which stays the run's own.
 */
export function jobEnv(standin: Pick<CacheStandin, 'env'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(standin.env)) if (v !== undefined && k !== 'RUNNER_TEMP') out[k] = v;
  return out;
}

/** Sets (or, for undefined, unsets) each variable on process.env; returns what puts them back. */
export function applyEnv(env: Readonly<Record<string, string | undefined>>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(env)) {
    saved.set(name, process.env[name]);
    setVar(name, value);
  }
  return () => {
    for (const [name, value] of saved) setVar(name, value);
  };
}

/** Every proxy variable @azure/core-rest-pipeline reads, set to the stand-in, with no exceptions. */
function proxyEnv(proxy: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of ['HTTPS_PROXY', 'ALL_PROXY', 'HTTP_PROXY', 'NO_PROXY']) {
    // Upper case wins over lower case; lower case is unset so the machine's own cannot interfere.
    env[name] = name === 'NO_PROXY' ? undefined : proxy;
    env[name.toLowerCase()] = undefined;
  }
  return env;
}

function setVar(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

interface Entry {
  readonly id: number;
  readonly key: string;
  readonly version: string;
  readonly scope: string;
  readonly blob: string;
  data: Buffer | undefined;
  finalized: boolean;
  /** Order of finalization: "newest" among prefix matches. */
  finalizedAt: number;
  /** v1: the chunks PATCHed so far, at their offsets. */
  readonly parts: Array<[number, Buffer]>;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

class V1Error extends Error {
  constructor(
    readonly status: number,
    readonly typeKey: string,
    message: string
  ) {
    super(message);
  }
}

/** The twirp checks of a key and version, answered as v1 answers a bad argument. */
function v1Checked(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof TwirpError) throw new V1Error(400, 'ArgumentException', error.message);
    throw error;
  }
}

class AzureError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

export async function startCacheStandin(options: CacheStandinOptions = {}): Promise<CacheStandin> {
  const state = new StandinState(options);
  const runnerTemp = await mkdtemp(path.join(os.tmpdir(), 'cache-standin-runner-temp-'));
  const server = createServer((req, res) => {
    state.handle(req, res).catch((error: unknown) => {
      // A bug in the stand-in: answer, so the client does not hang, and make it visible.
      if (!res.headersSent) res.writeHead(599, { 'Content-Type': 'text/plain' });
      res.end(`stand-in failure: ${error instanceof Error ? error.stack : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}/`;
  return {
    url: state.baseUrl,
    token: state.token,
    env: {
      ...(options.blobHost === 'azure' ? proxyEnv(`http://127.0.0.1:${port}`) : {}),
      ACTIONS_RUNTIME_TOKEN: state.token,
      ACTIONS_CACHE_MODE: undefined,
      ...(options.protocol === 'v1'
        ? // A GHES runner: the cache under ACTIONS_CACHE_URL, and a server that is not github.com.
          { ACTIONS_CACHE_URL: state.baseUrl, ACTIONS_RESULTS_URL: undefined, ACTIONS_CACHE_SERVICE_V2: undefined, GITHUB_SERVER_URL: 'https://ghes.example.com' }
        : // A GHES server URL would make the library use the v1 protocol.
          { ACTIONS_RESULTS_URL: state.baseUrl, ACTIONS_CACHE_SERVICE_V2: 'True', ACTIONS_CACHE_URL: undefined, GITHUB_SERVER_URL: 'https://github.com' }),
      RUNNER_TEMP: runnerTemp
    },
    entries: () => state.entryViews(),
    requests: () => [...state.recorded],
    setScope: (ref, baseRef) => state.setScope(ref, baseRef),
    setFault: (fault) => {
      state.fault = fault;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(runnerTemp, { recursive: true, force: true });
    }
  };
}

class StandinState {
  readonly token: string;
  readonly recorded: RecordedCacheRequest[] = [];
  baseUrl = '';
  fault: CacheFault | undefined;
  private readonly defaultBranch: string;
  private readonly blobHost: 'loopback' | 'azure';
  private readonly protocol: 'v1' | 'v2';
  private scope: string;
  private baseRef: string | undefined;
  private readonly entries: Entry[] = [];
  private readonly sasSecret = randomBytes(32);
  private clock = 0;

  constructor(options: CacheStandinOptions) {
    this.token = options.token ?? `standin-${randomBytes(16).toString('hex')}`;
    this.defaultBranch = options.defaultBranch ?? 'refs/heads/main';
    this.scope = options.scope ?? this.defaultBranch;
    this.baseRef = options.baseRef;
    this.blobHost = options.blobHost ?? 'loopback';
    this.protocol = options.protocol ?? 'v2';
  }

  setScope(ref: string, baseRef?: string): void {
    this.scope = ref;
    this.baseRef = baseRef;
  }

  entryViews(): CacheEntryView[] {
    return this.entries.map((e) => ({
      id: e.id,
      key: e.key,
      version: e.version,
      scope: e.scope,
      finalized: e.finalized,
      data: e.data
    }));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A proxied request (blobHost `azure`) arrives in absolute form and keeps its host.
    const url = new URL(req.url ?? '/', this.baseUrl);
    const target = targetOf(url, req.method ?? '');
    const record = this.record(req, url, target);
    const answer: Answer = (status, headers, body) => {
      record.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (await this.injectFault(req, target, answer)) return;
    if (target === 'blob') return this.handleBlob(req, url, answer);
    if (url.host !== new URL(this.baseUrl).host) {
      // Proxied to some other host: nothing may leave the machine through the stand-in.
      await drain(req);
      return answer(502, { 'Content-Type': 'text/plain' }, `the stand-in does not proxy to ${url.host}`);
    }
    if (this.protocol === 'v1') return this.handleV1(req, url, record, answer);
    const raw = await readBody(req, MAX_TWIRP_BODY);
    record.body = parseJsonOrUndefined(raw);
    try {
      answer(200, { 'Content-Type': 'application/json' }, JSON.stringify(this.handleTwirp(req, url, raw)));
    } catch (error) {
      if (!(error instanceof TwirpError)) throw error;
      const body = JSON.stringify({ code: error.code, msg: error.message });
      answer(error.status, { 'Content-Type': 'application/json' }, body);
    }
  }

  private record(req: IncomingMessage, url: URL, target: RecordedCacheRequest['target']): RecordedCacheRequest {
    const record: RecordedCacheRequest = {
      method: req.method ?? '',
      path: url.pathname,
      target,
      body: undefined,
      scope: this.scope,
      range: headerValue(req.headers['x-ms-range'] ?? req.headers.range),
      status: 0
    };
    this.recorded.push(record);
    return record;
  }

  /** Applies the current fault to this request; true when it answered it. */
  private async injectFault(req: IncomingMessage, target: RecordedCacheRequest['target'], answer: Answer): Promise<boolean> {
    const fault = this.fault;
    if (!fault || !faultApplies(fault, target)) return false;
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.status === undefined && !fault.malformed) return false;
    await drain(req);
    answerFault(fault, target, answer);
    return true;
  }

  // ---- twirp ----

  private handleTwirp(req: IncomingMessage, url: URL, raw: Buffer | undefined): unknown {
    const rpc = url.pathname.startsWith(TWIRP_PREFIX) ? url.pathname.slice(TWIRP_PREFIX.length) : undefined;
    if (!rpc || !isRpc(rpc)) throw new TwirpError(404, 'bad_route', `no handler for path "${url.pathname}"`);
    if (req.method !== 'POST') {
      throw new TwirpError(404, 'bad_route', `unsupported method "${req.method}" (only POST is allowed)`);
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
    if (contentType !== 'application/json') {
      // The real service also speaks application/protobuf; @actions/cache never sends it.
      throw new TwirpError(404, 'bad_route', `unexpected Content-Type: "${req.headers['content-type'] ?? ''}"`);
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      throw new TwirpError(401, 'unauthenticated', 'missing or invalid runtime token');
    }
    if (raw === undefined) throw new TwirpError(400, 'malformed', 'request body too large');
    const text = raw.toString('utf8');
    switch (rpc) {
      case 'CreateCacheEntry':
        return this.create(decode(() => CreateCacheEntryRequest.fromJsonString(text, STRICT)));
      case 'FinalizeCacheEntryUpload':
        return this.finalize(decode(() => FinalizeCacheEntryUploadRequest.fromJsonString(text, STRICT)));
      case 'GetCacheEntryDownloadURL':
        return this.download(decode(() => GetCacheEntryDownloadURLRequest.fromJsonString(text, STRICT)));
    }
  }

  private create(request: { key: string; version: string }): unknown {
    checkKeyAndVersion(request.key, request.version);
    const scope = this.scope;
    if (this.entries.some((e) => e.key === request.key && e.version === request.version && e.scope === scope)) {
      throw new TwirpError(409, 'already_exists', ALREADY_EXISTS_MESSAGE);
    }
    const id = this.entries.length + 1;
    const blob = `${id}-${randomBytes(8).toString('hex')}`;
    const { key, version } = request;
    this.entries.push({ key, version, id, scope, blob, data: undefined, finalized: false, finalizedAt: 0, parts: [] });
    return CreateCacheEntryResponse.toJson(
      { ok: true, signedUploadUrl: this.signedUrl(blob, 'cw'), message: '' },
      ANSWER
    );
  }

  private finalize(request: { key: string; version: string; sizeBytes: string }): unknown {
    checkKeyAndVersion(request.key, request.version);
    const entry = this.entries.find(
      (e) => e.key === request.key && e.version === request.version && e.scope === this.scope && !e.finalized
    );
    if (!entry) throw new TwirpError(404, 'not_found', 'cache entry not found');
    if (!entry.data) throw new TwirpError(412, 'failed_precondition', 'cache entry has not been uploaded');
    if (String(entry.data.length) !== request.sizeBytes) {
      const detail = `size_bytes ${request.sizeBytes} does not match the upload (${entry.data.length})`;
      throw new TwirpError(400, 'invalid_argument', detail);
    }
    entry.finalized = true;
    entry.finalizedAt = ++this.clock;
    return FinalizeCacheEntryUploadResponse.toJson({ ok: true, entryId: String(entry.id), message: '' }, ANSWER);
  }

  private download(request: { key: string; restoreKeys: string[]; version: string }): unknown {
    checkKeyAndVersion(request.key, request.version);
    const entry = this.lookup(request.key, request.restoreKeys, request.version);
    const found = entry
      ? { ok: true, signedDownloadUrl: this.signedUrl(entry.blob, 'r'), matchedKey: entry.key }
      : { ok: false, signedDownloadUrl: '', matchedKey: '' };
    return GetCacheEntryDownloadURLResponse.toJson(found, ANSWER);
  }

  /** The documented search: per readable scope, exact key, key prefix, then each restore key prefix. */
  private lookup(key: string, restoreKeys: readonly string[], version: string): Entry | undefined {
    const scopes = [...new Set([this.scope, this.baseRef, this.defaultBranch].filter((s): s is string => !!s))];
    for (const scope of scopes) {
      const candidates = this.entries
        .filter((e) => e.finalized && e.version === version && e.scope === scope)
        .sort((a, b) => b.finalizedAt - a.finalizedAt);
      const exact = candidates.find((e) => e.key === key);
      if (exact) return exact;
      for (const prefix of [key, ...restoreKeys]) {
        const match = candidates.find((e) => e.key.startsWith(prefix));
        if (match) return match;
      }
    }
    return undefined;
  }

  // ---- v1: GitHub Enterprise Server's _apis/artifactcache ----

  private async handleV1(req: IncomingMessage, url: URL, record: RecordedCacheRequest, answer: Answer): Promise<void> {
    const raw = await readBody(req, MAX_BLOB_BODY);
    if (record.target !== 'v1-upload') record.body = parseJsonOrUndefined(raw);
    const reply = (status: number, body?: unknown): void =>
      answer(status, body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }, body === undefined ? '' : JSON.stringify(body));
    try {
      const target = record.target;
      if (target === undefined || !target.startsWith('v1-')) throw new V1Error(404, 'NotFound', `no handler for ${req.method} ${url.pathname}`);
      if (req.headers.authorization !== `Bearer ${this.token}`) throw new V1Error(401, 'UnauthorizedRequestException', 'missing or invalid runtime token');
      if (!(req.headers.accept ?? '').includes('api-version=6.0-preview.1')) {
        throw new V1Error(400, 'VssVersionOutOfRangeException', 'the Accept header names no api-version this service serves');
      }
      if (raw === undefined) throw new V1Error(413, 'RequestBodyTooLarge', 'request body too large');
      const [status, body] = this.v1Call(target as V1Call, req, url, raw);
      reply(status, body);
    } catch (error) {
      if (!(error instanceof V1Error)) throw error;
      reply(error.status, { $id: '1', innerException: null, message: error.message, typeName: `GitHub.Services.Cache.WebApi.${error.typeKey}`, typeKey: error.typeKey, errorCode: 0, eventId: 3000 });
    }
  }

  private v1Call(target: V1Call, req: IncomingMessage, url: URL, raw: Buffer): [number, unknown?] {
    const json = (): Record<string, unknown> => {
      const body = parseJsonOrUndefined(raw);
      if (typeof body !== 'object' || body === null) throw new V1Error(400, 'ArgumentException', 'the request body is not a JSON object');
      return body as Record<string, unknown>;
    };
    switch (target) {
      case 'v1-lookup':
        return this.v1Lookup(url);
      case 'v1-reserve':
        return this.v1Reserve(json());
      case 'v1-upload':
        return this.v1Upload(this.v1Entry(url), req.headers['content-range'], raw);
      case 'v1-commit':
        return this.v1Commit(this.v1Entry(url), json()['size']);
    }
  }

  private v1Lookup(url: URL): [number, unknown?] {
    const keys = (url.searchParams.get('keys') ?? '').split(',');
    const version = url.searchParams.get('version') ?? '';
    const [key = '', ...restoreKeys] = keys;
    v1Checked(() => checkKeyAndVersion(key, version));
    const entry = this.lookup(key, restoreKeys, version);
    if (!entry) return [204];
    const archiveLocation = this.signedUrl(entry.blob, 'r');
    return [200, { cacheKey: entry.key, scope: entry.scope, cacheVersion: entry.version, creationTime: new Date().toISOString(), archiveLocation }];
  }

  private v1Reserve(body: Record<string, unknown>): [number, unknown?] {
    const { key, version, cacheSize } = body;
    if (typeof key !== 'string' || typeof version !== 'string' || (cacheSize !== undefined && typeof cacheSize !== 'number')) {
      throw new V1Error(400, 'ArgumentException', 'key and version are strings, cacheSize a number');
    }
    v1Checked(() => checkKeyAndVersion(key, version));
    const scope = this.scope;
    if (this.entries.some((e) => e.key === key && e.version === version && e.scope === scope)) {
      throw new V1Error(409, 'ArtifactCacheEntryAlreadyExistsException', `Cache already exists. Scope: ${scope}, Key: ${key}, Version: ${version}`);
    }
    const id = this.entries.length + 1;
    const blob = `${id}-${randomBytes(8).toString('hex')}`;
    this.entries.push({ key, version, id, scope, blob, data: undefined, finalized: false, finalizedAt: 0, parts: [] });
    return [201, { cacheId: id }];
  }

  private v1Entry(url: URL): Entry {
    const id = Number(/^caches\/(\d+)$/.exec(url.pathname.slice(V1_PREFIX.length))?.[1]);
    const entry = this.entries.find((e) => e.id === id && e.scope === this.scope);
    if (!entry) throw new V1Error(404, 'ArtifactCacheNotFoundException', `no cache with id ${id} in this scope`);
    if (entry.finalized) throw new V1Error(409, 'ArtifactCacheAlreadyCommittedException', `cache ${id} is committed`);
    return entry;
  }

  private v1Upload(entry: Entry, contentRange: string | undefined, chunk: Buffer): [number, unknown?] {
    const range = /^bytes (\d+)-(\d+)\/\*$/.exec(contentRange ?? '');
    if (!range || Number(range[2]) - Number(range[1]) + 1 !== chunk.length) {
      throw new V1Error(400, 'ArgumentException', `Content-Range ${contentRange ?? '(none)'} does not describe the ${chunk.length} bytes sent`);
    }
    entry.parts.push([Number(range[1]), chunk]);
    return [204];
  }

  private v1Commit(entry: Entry, size: unknown): [number, unknown?] {
    const parts = [...entry.parts].sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [offset, chunk] of parts) {
      if (offset !== at) throw new V1Error(400, 'ArgumentException', `the uploaded chunks leave a gap or overlap at byte ${at}`);
      at += chunk.length;
    }
    if (typeof size !== 'number' || size !== at) throw new V1Error(400, 'ArgumentException', `size ${String(size)} does not match the ${at} bytes uploaded`);
    entry.data = Buffer.concat(parts.map(([, chunk]) => chunk));
    entry.finalized = true;
    entry.finalizedAt = ++this.clock;
    return [204];
  }

  // ---- blobs ----

  private signedUrl(blob: string, permissions: string): string {
    const expiry = new Date(Date.now() + SAS_LIFETIME_MS).toISOString().replace(/\.\d+Z$/, 'Z');
    const query = new URLSearchParams({
      sv: SAS_VERSION,
      sr: 'b',
      sp: permissions,
      se: expiry,
      sig: this.signature(blob, permissions, expiry)
    });
    const base = this.blobHost === 'azure' ? `http://${AZURE_HOST}/` : `${this.baseUrl}${ACCOUNT}/`;
    return `${base}${CONTAINER}/${blob}?${query.toString()}`;
  }

  private signature(blob: string, permissions: string, expiry: string): string {
    return createHmac('sha256', this.sasSecret).update(`${blob}\n${permissions}\n${expiry}`).digest('base64');
  }

  private async handleBlob(req: IncomingMessage, url: URL, answer: Answer): Promise<void> {
    try {
      const blob = blobNameOf(url) ?? '';
      const entry = this.entries.find((e) => e.blob === blob);
      if (req.method === 'PUT') {
        this.authorizeSas(url, blob, 'w');
        if (!entry) throw new AzureError(404, 'ContainerNotFound', 'The specified container does not exist.');
        const data = await this.putBlob(req, url, entry);
        const md5 = createHash('md5').update(data).digest('base64');
        answer(201, { ...azureHeaders(), 'Content-MD5': md5, ETag: etagOf(entry) }, '');
        return;
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        this.authorizeSas(url, blob, 'r');
        const data = entry?.finalized ? entry.data : undefined;
        if (!entry || !data) throw new AzureError(404, 'BlobNotFound', 'The specified blob does not exist.');
        const ifMatch = req.headers['if-match'];
        if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== etagOf(entry)) {
          throw new AzureError(412, 'ConditionNotMet', 'The condition specified using HTTP conditional header(s) is not met.');
        }
        answerBlob(req, data, etagOf(entry), answer);
        return;
      }
      throw new AzureError(405, 'UnsupportedHttpVerb', `The resource doesn't support the specified HTTP verb ${req.method}.`);
    } catch (error) {
      if (!(error instanceof AzureError)) throw error;
      await drain(req);
      answerAzureError(error, answer);
    }
  }

  private authorizeSas(url: URL, blob: string, needed: 'r' | 'w'): void {
    const q = url.searchParams;
    const permissions = q.get('sp') ?? '';
    const expiry = q.get('se') ?? '';
    const given = Buffer.from(q.get('sig') ?? '', 'base64');
    const expected = Buffer.from(this.signature(blob, permissions, expiry), 'base64');
    const signed = given.length === expected.length && given.equals(expected) && q.get('sv') === SAS_VERSION;
    if (!signed || !(Date.parse(expiry) > Date.now())) {
      throw new AzureError(403, 'AuthenticationFailed', 'Server failed to authenticate the request.');
    }
    if (!permissions.includes(needed)) {
      const message = 'This request is not authorized to perform this operation using this permission.';
      throw new AzureError(403, 'AuthorizationPermissionMismatch', message);
    }
  }

  private async putBlob(req: IncomingMessage, url: URL, entry: Entry): Promise<Buffer> {
    if (url.searchParams.has('comp')) {
      // Put Block / Put Block List: @azure/storage-blob only stages blocks above the single-shot size.
      const comp = url.searchParams.get('comp') ?? '';
      throw new AzureError(400, 'UnsupportedQueryParameter', `comp=${comp} is not served by the stand-in`);
    }
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
      throw new AzureError(400, 'MissingRequiredHeader', 'A mandatory header is not specified: x-ms-blob-type.');
    }
    if (entry.finalized) throw new AzureError(409, 'BlobImmutableDueToPolicy', 'The blob of a finalized entry cannot change.');
    const body = await readBody(req, MAX_BLOB_BODY);
    if (!body) throw new AzureError(413, 'RequestBodyTooLarge', 'The request body is too large.');
    if (req.headers['content-length'] !== String(body.length)) {
      throw new AzureError(400, 'InvalidHeaderValue', 'Content-Length does not match the body.');
    }
    entry.data = body;
    return body;
  }
}

type Answer = (status: number, headers: Record<string, string>, body: string | Buffer) => void;

const STRICT = { ignoreUnknownFields: false } as const;
const ANSWER = { useProtoFieldName: true, emitDefaultValues: true } as const;

function isRpc(name: string): name is CacheRpc {
  return (RPCS as readonly string[]).includes(name);
}

function targetOf(url: URL, method: string): RecordedCacheRequest['target'] {
  if (url.hostname === AZURE_HOST) return blobNameOf(url) === undefined ? undefined : 'blob';
  if (url.pathname.startsWith(V1_PREFIX)) {
    const resource = url.pathname.slice(V1_PREFIX.length);
    if (resource === 'cache' && method === 'GET') return 'v1-lookup';
    if (resource === 'caches' && method === 'POST') return 'v1-reserve';
    if (/^caches\/\d+$/.test(resource)) return method === 'PATCH' ? 'v1-upload' : method === 'POST' ? 'v1-commit' : undefined;
    return undefined;
  }
  if (url.pathname.startsWith(TWIRP_PREFIX)) {
    const rpc = url.pathname.slice(TWIRP_PREFIX.length);
    return isRpc(rpc) ? rpc : undefined;
  }
  return blobNameOf(url) === undefined ? undefined : 'blob';
}

/** `/<container>/<blob>` on the Azure host name, `/<account>/<container>/<blob>` on an IP address. */
function blobNameOf(url: URL): string | undefined {
  const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
  const inAccount = url.hostname === AZURE_HOST ? segments : segments[0] === ACCOUNT ? segments.slice(1) : [];
  const [container, blob, ...rest] = inAccount;
  return container === CONTAINER && blob && rest.length === 0 ? blob : undefined;
}

function faultApplies(fault: CacheFault, target: RecordedCacheRequest['target']): boolean {
  return !fault.only || (target !== undefined && fault.only.includes(target));
}

function answerFault(fault: CacheFault, target: RecordedCacheRequest['target'], answer: Answer): void {
  if (fault.malformed && target !== 'blob') {
    answer(200, { 'Content-Type': 'application/json' }, '{"ok": tru');
    return;
  }
  const status = fault.status ?? 500;
  if (target === 'blob') {
    answerAzureError(new AzureError(status, 'InternalError', 'The server encountered an internal error.'), answer);
    return;
  }
  const code = status === 503 ? 'unavailable' : 'internal';
  answer(status, { 'Content-Type': 'application/json' }, JSON.stringify({ code, msg: 'injected failure' }));
}

/** Decodes with the generated message type; any failure is what twirp calls a malformed request. */
function decode<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TwirpError(400, 'malformed', `the json request could not be decoded: ${detail}`);
  }
}

function checkKeyAndVersion(key: string, version: string): void {
  if (key === '') throw new TwirpError(400, 'invalid_argument', 'key is required');
  if (key.length > 512) throw new TwirpError(400, 'invalid_argument', 'key is longer than 512 characters');
  if (version === '') throw new TwirpError(400, 'invalid_argument', 'version is required');
}

const etagOf = (entry: Entry): string => `"0x${entry.id.toString(16).toUpperCase()}"`;

function azureHeaders(): Record<string, string> {
  return {
    'x-ms-request-id': randomBytes(16).toString('hex'),
    'x-ms-version': SAS_VERSION,
    'Last-Modified': new Date().toUTCString(),
    Date: new Date().toUTCString()
  };
}

function answerAzureError(error: AzureError, answer: Answer): void {
  const xml =
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<Error><Code>${error.code}</Code><Message>${error.message}</Message></Error>`;
  answer(error.status, { ...azureHeaders(), 'Content-Type': 'application/xml', 'x-ms-error-code': error.code }, xml);
}

/** Get Blob: the whole blob, or one `bytes=a-b` range (x-ms-range wins over Range, as in Azure). */
function answerBlob(req: IncomingMessage, data: Buffer, etag: string, answer: Answer): void {
  const headers = {
    ...azureHeaders(),
    ETag: etag,
    'Content-Type': 'application/octet-stream',
    'x-ms-blob-type': 'BlockBlob',
    'Accept-Ranges': 'bytes'
  };
  const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
  const range = typeof rangeHeader === 'string' ? /^bytes=(\d+)-(\d*)$/.exec(rangeHeader) : null;
  if (!range) {
    answer(200, { ...headers, 'Content-Length': String(data.length) }, data);
    return;
  }
  const start = Number(range[1]);
  const end = Math.min(range[2] ? Number(range[2]) : data.length - 1, data.length - 1);
  if (start >= data.length || end < start) {
    const message = 'The range specified is invalid for the current size of the resource.';
    answerAzureError(new AzureError(416, 'InvalidRange', message), answer);
    return;
  }
  const slice = data.subarray(start, end + 1);
  const contentRange = `bytes ${start}-${end}/${data.length}`;
  answer(206, { ...headers, 'Content-Length': String(slice.length), 'Content-Range': contentRange }, slice);
}

/** The request body, or undefined when it passes `limit` bytes (the rest is discarded). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) tooLarge = true;
    else chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks, size);
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const _chunk of req) {
    // discarded: the answer does not depend on it
  }
}

const headerValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;

function parseJsonOrUndefined(raw: Buffer | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
