// Real registries for the tests: Debian's docker-registry (the reference distribution registry)
// started on loopback by scripts/registry.sh, one per test file, stopped and removed after it; plus
// what the tests need around one: pushing an image through the distribution API (monolithic blob
// uploads and a manifest PUT), a token server that issues the JWTs the registry's token
// authentication verifies, and a docker config directory with credentials.
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createSign, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './engine.js';

export type RegistryVariant = 'plain' | 'tls' | 'token';

export interface TestRegistry {
  readonly name: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly variant: RegistryVariant;
  /** tls: the user and password of its htpasswd file. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** tls: its certificate (installed in /etc/docker/certs.d/HOST/ca.crt by the script). */
  readonly caFile?: string;
  /** token: the key and certificate tokens are signed with. */
  readonly tokenKey?: string;
  readonly tokenCert?: string;
  stop(): Promise<void>;
}

const SCRIPT = path.join(ROOT, 'scripts', 'registry.sh');

function run(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`scripts/registry.sh ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout))
    );
  });
}

/** Starts a registry (`realm`: the token server's URL, for the token variant). */
export async function startRegistry(variant: RegistryVariant, realm?: string): Promise<TestRegistry> {
  const name = `test-${randomBytes(4).toString('hex')}`;
  const env = realm ? { ...process.env, IMAGE_BUDGET_REGISTRY_REALM: realm } : process.env;
  const [host, second, third] = (await run(['start', name, variant], env)).trim().split('\n');
  if (!host || !/^127\.0\.0\.1:\d+$/.test(host)) throw new Error(`scripts/registry.sh printed no host (${host})`);
  const stop = async (): Promise<void> => {
    await run(['stop', name]);
  };
  if (variant === 'tls') {
    const [username, password] = (await readFile(second!, 'utf8')).trim().split(/:(.*)/s);
    return { name, host, variant, credentials: { username: username!, password: password! }, caFile: path.join(path.dirname(second!), 'cert.pem'), stop };
  }
  if (variant === 'token') return { name, host, variant, tokenKey: second!, tokenCert: third!, stop };
  return { name, host, variant, stop };
}

// ── Pushing through the distribution API ─────────────────────────────────────────────────────

export interface PushTarget {
  readonly host: string;
  readonly scheme: 'http' | 'https';
  readonly ca?: string;
  /** The Authorization header value, if the registry wants one. */
  readonly authorization?: string;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function request(target: PushTarget, method: string, pathOrUrl: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(pathOrUrl, `${target.scheme}://${target.host}`);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method,
        headers: { ...headers, ...(target.authorization ? { authorization: target.authorization } : {}), ...(body ? { 'content-length': String(body.length) } : {}) },
        ...(target.ca ? { ca: target.ca } : {})
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Uploads a blob (POST, then PUT with the digest); returns its digest. */
export async function pushBlob(target: PushTarget, repo: string, blob: Buffer): Promise<string> {
  const digest = sha256(blob);
  const start = await request(target, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202 || typeof start.headers.location !== 'string') throw new Error(`upload start: ${start.status} ${start.body.toString()}`);
  const location = new URL(start.headers.location, `${target.scheme}://${target.host}`);
  location.searchParams.set('digest', digest);
  const put = await request(target, 'PUT', location.toString(), blob, { 'content-type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${put.body.toString()}`);
  return digest;
}

/** PUTs a manifest or index under `reference` (a tag); returns its digest. */
export async function pushManifest(target: PushTarget, repo: string, reference: string, manifest: unknown, mediaType: string): Promise<string> {
  const body = Buffer.from(JSON.stringify(manifest));
  const put = await request(target, 'PUT', `/v2/${repo}/manifests/${reference}`, body, { 'content-type': mediaType });
  if (put.status !== 201) throw new Error(`manifest: ${put.status} ${put.body.toString()}`);
  return sha256(body);
}

/** A GET as a plain client sees it (for independent readings). */
export function fetchRaw(target: PushTarget, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return request(target, 'GET', pathname, undefined, headers);
}

// ── A token server (the distribution token specification) ──────────────────────────────────────

export interface TokenServer {
  readonly realm: string;
  /** Every request it got: method, query, whether it carried basic credentials, the form of a POST. */
  readonly requests: Array<{ method: string; query: URLSearchParams; basicUser?: string; form?: URLSearchParams }>;
  /** Sets the key and certificate it signs with (once the registry has made them). */
  setKey(keyPem: string, certPem: string): void;
  /** Signs a token granting `actions` on `repository` (for pushing in the tests). */
  sign(repository: string, actions: readonly string[], ttlSeconds?: number): string;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  /** Accepted basic credentials (user → password); none: only anonymous tokens without access. */
  readonly users?: ReadonlyMap<string, string>;
  /** Accepted refresh tokens (identity tokens) → the user they stand for. */
  readonly refreshTokens?: ReadonlyMap<string, string>;
  /** Lifetime of the tokens it issues. */
  readonly ttlSeconds?: number;
  /** Answer with `access_token` only (as the OAuth2 POST does), never `token`. */
  readonly accessTokenOnly?: boolean;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * A token server as the distribution token specification describes it: GET with `service` and
 * `scope` (and basic credentials, or none for anonymous), or POST with `grant_type=refresh_token`.
 * Answers `{token, access_token, expires_in, issued_at}`; the token is a JWT (RS256, x5c header)
 * granting pull on the scope's repository to a known user, nothing to anonymous callers.
 */
export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServer> {
  let key: { pem: string; x5c: string } | undefined;
  const requests: TokenServer['requests'] = [];
  const sign = (repository: string, actions: readonly string[], ttl = opts.ttlSeconds ?? 300): string => {
    if (!key) throw new Error('token server: no key yet');
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [key.x5c] };
    const claims = { iss: 'image-budget-test-issuer', sub: 'tester', aud: 'image-budget-test', exp: now + ttl, nbf: now - 5, iat: now, jti: randomBytes(8).toString('hex'), access: actions.length ? [{ type: 'repository', name: repository, actions }] : [] };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(createSign('RSA-SHA256').update(input).sign(createPrivateKey(key.pem)))}`;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const form = req.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString()) : undefined;
      const params = form ?? url.searchParams;
      const basicUser = basicOf(req.headers.authorization);
      requests.push({ method: req.method ?? '', query: url.searchParams, ...(basicUser ? { basicUser: basicUser.user } : {}), ...(form ? { form } : {}) });
      const user = who(req.method, form, basicUser, opts);
      if (user === null || params.get('service') !== 'image-budget-test') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const scope = /^repository:([^:]+):(.+)$/.exec(params.get('scope') ?? '');
      const token = sign(scope?.[1] ?? '', user && scope ? scope[2]!.split(',').filter((a) => a === 'pull') : []);
      const answer = { ...(opts.accessTokenOnly ? {} : { token }), access_token: token, expires_in: opts.ttlSeconds ?? 300, issued_at: new Date().toISOString() };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    setKey(keyPem, certPem) {
      const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      key = { pem: keyPem, x5c: der.toString('base64') };
    },
    sign,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}

function basicOf(header: string | undefined): { user: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The user a token request stands for: a name, '' for anonymous, null when its credentials are wrong. */
function who(method: string | undefined, form: URLSearchParams | undefined, basic: { user: string; password: string } | undefined, opts: TokenServerOptions): string | null {
  if (method === 'POST') {
    if (form?.get('grant_type') !== 'refresh_token') return null;
    return opts.refreshTokens?.get(form.get('refresh_token') ?? '') ?? null;
  }
  if (!basic) return '';
  return opts.users?.get(basic.user) === basic.password ? basic.user : null;
}

// ── Docker configs ───────────────────────────────────────────────────────────────────────────

/** A temporary DOCKER_CONFIG directory holding `config` as its config.json. */
export async function dockerConfigDir(config: unknown): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ib-docker-config-'));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function basicAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64');
}

// ── A front: a loopback stand-in before the real registry ──────────────────────────────────────

/**
 * What the front does with /v2/ requests:
 * - `proxy`: forwards each one to the registry behind it, unchanged (and records it);
 * - `basic-redirect`: wants basic credentials (401 with `WWW-Authenticate: Basic`), forwards
 *   manifests, and redirects blobs (307) to a storage server on another port that serves them
 *   from the registry at a signed URL, as registries backed by object storage do;
 * - `forbidden` (403, DENIED), `rate-limited` (429, Retry-After: 7, TOOMANYREQUESTS),
 *   `unavailable` (503): the answers of a registry refusing or failing;
 * - `huge-manifest`: a 200 with a 5 MiB manifest; `silent`: takes the request and never answers.
 */
export type FrontMode = 'proxy' | 'basic-redirect' | 'forbidden' | 'rate-limited' | 'unavailable' | 'huge-manifest' | 'silent';

export interface Front {
  readonly host: string;
  readonly requests: Array<{ readonly method: string; readonly path: string; readonly authorization?: string }>;
  /** basic-redirect: the requests the storage server got. */
  readonly storageRequests: Array<{ readonly path: string; readonly authorization?: string }>;
  close(): Promise<void>;
}

function forward(upstream: string, req: http.IncomingMessage, res: http.ServerResponse, pathname: string): void {
  const headers = { ...req.headers };
  delete headers.host;
  delete headers.authorization;
  const out = http.request(`http://${upstream}${pathname}`, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', () => res.writeHead(502).end());
  req.pipe(out);
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const closeServer = (server: http.Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const REFUSALS: Partial<Record<FrontMode, { status: number; headers: Record<string, string>; code: string }>> = {
  forbidden: { status: 403, headers: {}, code: 'DENIED' },
  'rate-limited': { status: 429, headers: { 'retry-after': '7' }, code: 'TOOMANYREQUESTS' },
  unavailable: { status: 503, headers: {}, code: 'UNAVAILABLE' }
};

export async function startFront(upstream: string, mode: FrontMode, user?: { readonly username: string; readonly password: string }): Promise<Front> {
  const requests: Front['requests'] = [];
  const storageRequests: Front['storageRequests'] = [];
  const storage = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    storageRequests.push({ path: url.pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (url.searchParams.get('signature') !== 'signed') return void res.writeHead(403).end();
    forward(upstream, req, res, url.pathname.replace(/^\/storage/, '/v2'));
  });
  const storageHost = await listen(storage);
  const expected = user ? `Basic ${basicAuth(user.username, user.password)}` : undefined;
  const server = http.createServer((req, res) => {
    const pathname = req.url ?? '/';
    requests.push({ method: req.method ?? '', path: pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const refusal = REFUSALS[mode];
    if (mode === 'silent') return;
    if (refusal) return void res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers }).end(JSON.stringify({ errors: [{ code: refusal.code, message: 'stand-in' }] }));
    if (mode === 'huge-manifest') return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(Buffer.alloc(5 * 1024 * 1024, 0x20));
    if (mode === 'basic-redirect') {
      if (req.headers.authorization !== expected) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="front"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      }
      const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(pathname);
      if (blob) return void res.writeHead(307, { location: `http://${storageHost}/storage/${blob[1]}/blobs/${blob[2]}?signature=signed` }).end();
    }
    forward(upstream, req, res, pathname);
  });
  const host = await listen(server);
  return { host, requests, storageRequests, close: async () => void (await Promise.all([closeServer(server), closeServer(storage)])) };
}
