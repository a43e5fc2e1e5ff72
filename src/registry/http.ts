// The HTTP under the registry client: one request through node:http or node:https with a connect
// and an idle timeout, the trust docker gives a registry host (Node's CAs plus the `*.crt` files of
// /etc/docker/certs.d/<host[:port]>/, and a client certificate from a `*.cert`/`*.key` pair there),
// bodies read with a cap, and the pure pieces: WWW-Authenticate challenges, Retry-After, loopback.
// Nothing here sees a credential except as an opaque header value, and nothing logs.
// node:http, node:https and node:tls are imported on the first request: a run that talks to no
// registry never loads them (node:tls and OpenSSL's TLS code are about 1.5 MB of memory).
import { readdir, readFile } from 'node:fs/promises';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent, RequestOptions } from 'node:https';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { firstUse } from '../first-use.js';

interface NetModules {
  readonly http: typeof import('node:http');
  readonly https: typeof import('node:https');
  readonly tls: typeof import('node:tls');
}
const netModules = firstUse(async (): Promise<NetModules> => {
  const [http, https, tls] = await Promise.all([import('node:http'), import('node:https'), import('node:tls')]);
  return { http: http.default, https: https.default, tls: tls.default };
});

/** Where docker looks for a registry's CA and client certificates. */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

export interface Timeouts {
  /** Milliseconds to open the connection (TLS handshake included). */
  readonly connectMs: number;
  /** Milliseconds without a byte, in either direction, before the request is given up. */
  readonly idleMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 30_000, idleMs: 60_000 };

/** What TLS trusts for one host: undefined fields mean Node's defaults. */
export interface Trust {
  readonly ca?: readonly string[];
  readonly cert?: string;
  readonly key?: string;
}

export interface Request {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A request failed before any response: connection, TLS or timeout (never an HTTP status). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    message: string,
    readonly code: string | undefined
  ) {
    super(message);
  }
}

/** The directory of certs.d for `host` (`host` or `host:port`, as the URL or reference names it). */
function certsDirOf(certsDir: string, host: string): string {
  // A URL's host or a checked reference domain: no `/`; `..` is no host.
  return path.join(certsDir, host.replace(/[/\\]/g, '_'));
}

/**
 * The trust for `host` as docker gives it: every `*.crt` of its certs.d directory added to Node's
 * CAs, and `X.cert` with `X.key` as the client certificate. No directory: Node's defaults.
 */
export async function trustFor(host: string, certsDir: string): Promise<Trust> {
  const dir = certsDirOf(certsDir, host);
  const names = await readdir(dir).catch((e: unknown) => {
    if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return [] as string[];
    throw new Error(`Cannot read the registry certificates in ${dir}: ${errorCode(e) ?? 'error'}`);
  });
  const cas = names.filter((n) => n.endsWith('.crt')).sort();
  const cert = names.filter((n) => n.endsWith('.cert')).sort()[0];
  const read = (n: string): Promise<string> => readFile(path.join(dir, n), 'utf8');
  const trust: { ca?: string[]; cert?: string; key?: string } = {};
  if (cas.length > 0) trust.ca = [...(await netModules()).tls.getCACertificates('default'), ...(await Promise.all(cas.map(read)))];
  if (cert !== undefined) {
    const key = `${cert.slice(0, -'.cert'.length)}.key`;
    if (!names.includes(key)) throw new Error(`The client certificate ${path.join(dir, cert)} has no key ${key} beside it`);
    trust.cert = await read(cert);
    trust.key = await read(key);
  }
  return trust;
}

/** True for hosts docker treats as insecure by default: 127.0.0.0/8, localhost and ::1. */
export function isLoopback(host: string): boolean {
  const hostname = new URL(`http://${host}`).hostname;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Sends one request; resolves with the response (any status), rejects with NetworkError. */
export async function send(req: Request, trust: Trust, timeouts: Timeouts, agents: Agents): Promise<IncomingMessage> {
  const { http, https } = await netModules();
  const secure = req.url.protocol === 'https:';
  const agent = secure ? (agents.https ??= new https.Agent({ keepAlive: true })) : (agents.http ??= new http.Agent({ keepAlive: true }));
  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      method: req.method,
      headers: { ...req.headers, ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) },
      agent
    };
    if (secure && trust.ca) options.ca = [...trust.ca];
    if (secure && trust.cert !== undefined) options.cert = trust.cert;
    if (secure && trust.key !== undefined) options.key = trust.key;
    const r = (secure ? https : http).request(req.url, options, resolve);
    const fail = (message: string, code: string): void => {
      r.destroy(new NetworkError(message, code));
    };
    r.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => fail(`no connection within ${timeouts.connectMs} ms`, 'ETIMEDOUT'), timeouts.connectMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    r.setTimeout(timeouts.idleMs, () => fail(`no data for ${timeouts.idleMs} ms`, 'ETIMEDOUT'));
    r.on('error', (e) => reject(e instanceof NetworkError ? e : new NetworkError(e.message, errorCode(e))));
    r.end(req.body);
  });
}

/** The agents of one client, made on its first request of each kind: connections are kept open between its requests, and closed with it. */
export interface Agents {
  http?: HttpAgent;
  https?: HttpsAgent;
}

/** Closes the connections `agents` keep open. */
export function closeAgents(agents: Agents): void {
  agents.http?.destroy();
  agents.https?.destroy();
}

/** Reads a whole body of at most `max` bytes; more (said or sent) rejects with `tooLarge()`'s error. */
export async function readBody(res: IncomingMessage, max: number, tooLarge: () => Error): Promise<Buffer> {
  const said = Number(res.headers['content-length']);
  if (Number.isFinite(said) && said > max) {
    res.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > max) {
      res.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** One challenge of a WWW-Authenticate header: its scheme (lower case) and parameters (names lower case). */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/** The challenges of a WWW-Authenticate header (RFC 9110 11.6.1), e.g. `Bearer realm="…",service="…"`. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (chars: string): void => {
    while (i < header.length && chars.includes(header[i]!)) i++;
  };
  const token = (): string => {
    const m = TOKEN.exec(header.slice(i));
    i += m ? m[0].length : 0;
    return m ? m[0] : '';
  };
  // A value should be a token or quoted; registries have been seen to send URLs bare: read to the next comma.
  const bare = (): string => {
    const m = /^[^\s,"]*/.exec(header.slice(i))![0];
    i += m.length;
    return m;
  };
  const quoted = (): string => {
    let value = '';
    for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
    i++;
    return value;
  };
  while (i < header.length) {
    skip(' \t,');
    const scheme = token();
    if (scheme === '') {
      i++;
      continue;
    }
    const params = new Map<string, string>();
    out.push({ scheme: scheme.toLowerCase(), params });
    for (;;) {
      const save = i;
      skip(' \t');
      if (params.size > 0 && header[i] === ',') i++;
      skip(' \t');
      const name = token();
      skip(' \t');
      if (name === '' || header[i] !== '=') {
        i = save;
        break;
      }
      i++;
      skip(' \t');
      params.set(name.toLowerCase(), header[i] === '"' ? quoted() : bare());
    }
    // A token68 (`Basic abc=`) or anything else up to the next challenge is skipped.
    while (i < header.length && header[i] !== ',') i++;
  }
  return out;
}

/** Retry-After as seconds from `now` (delta-seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
