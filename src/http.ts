// The one HTTP request of the action's own clients (the registry's, registry/client.ts, and the
// Actions cache's, baseline/cache-service.ts): one request through node:http or node:https with a
// connect and an idle timeout, an optional trust (extra CAs, a client certificate), the proxy
// variables honoured where the caller asks, and bodies read with a cap. Nothing here sees a
// credential except as an opaque header value, and nothing logs.
// node:http, node:https and node:tls are imported on the first request: a run that talks to no
// registry and no cache never loads them (node:https and OpenSSL's TLS code are about 7 MB of memory).
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent, RequestOptions } from 'node:https';
import { errorCode } from './errors.js';
import { firstUse } from './first-use.js';

export interface NetModules {
  readonly http: typeof import('node:http');
  readonly https: typeof import('node:https');
  readonly tls: typeof import('node:tls');
}

/** node:http, node:https and node:tls, imported on first use. */
export const netModules = firstUse(async (): Promise<NetModules> => {
  const [http, https, tls] = await Promise.all([import('node:http'), import('node:https'), import('node:tls')]);
  return { http: http.default, https: https.default, tls: tls.default };
});

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
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
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

/** True for loopback hosts (`host` or `host:port`): 127.0.0.0/8, localhost and ::1. */
export function isLoopback(host: string): boolean {
  const hostname = new URL(`http://${host}`).hostname;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The proxy a request to `url` goes through, as @actions/http-client (the runner's toolkit) reads the
 * variables: `https_proxy` or `HTTPS_PROXY` for https URLs, `http_proxy` or `HTTP_PROXY` for http
 * (lower case first), `http://` added to a value without one (the library adds it only to a value
 * that does not parse as a URL, and takes `proxy.corp:3128` for a scheme); none for loopback hosts, nor for
 * a host that `no_proxy` / `NO_PROXY` names (`*`, the host, the host:port, or a domain it is in,
 * with or without a leading dot). Pure.
 */
export function proxyFor(url: URL, env: Readonly<Record<string, string | undefined>>): string | undefined {
  // A URL's host is normalised: `[0:0:0:0:0:0:0:1]` reads `[::1]`, `LOCALHOST` reads `localhost`.
  if (isLoopback(url.host)) return undefined;
  const hostname = url.hostname.toUpperCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const hosts = [hostname, `${hostname}:${port}`];
  const noProxy = (env['no_proxy'] || env['NO_PROXY'] || '').split(',').map((x) => x.trim().toUpperCase()).filter((x) => x);
  const exempt = (item: string): boolean =>
    item === '*' || hosts.some((h) => h === item || h.endsWith(`.${item}`) || (item.startsWith('.') && h.endsWith(item)));
  if (noProxy.some(exempt)) return undefined;
  const value = url.protocol === 'https:' ? env['https_proxy'] || env['HTTPS_PROXY'] : env['http_proxy'] || env['HTTP_PROXY'];
  if (!value) return undefined;
  return /^https?:\/\//.test(value) ? value : `http://${value}`;
}

/**
 * The agents of one client, made on its first request of each kind: connections are kept open
 * between its requests, and closed with it. With `proxyEnv`, a request goes through the proxy
 * `proxyFor` names for it, if any.
 */
export interface Agents {
  readonly proxyEnv?: Readonly<Record<string, string | undefined>>;
  http?: HttpAgent;
  https?: HttpsAgent;
  proxiedHttp?: HttpAgent;
  proxiedHttps?: HttpsAgent;
}

/** Closes the connections `agents` keep open. */
export function closeAgents(agents: Agents): void {
  for (const agent of [agents.http, agents.https, agents.proxiedHttp, agents.proxiedHttps]) agent?.destroy();
}

function agentFor(url: URL, agents: Agents, net: NetModules): HttpAgent | HttpsAgent {
  const secure = url.protocol === 'https:';
  const proxy = agents.proxyEnv === undefined ? undefined : proxyFor(url, agents.proxyEnv);
  if (proxy === undefined) {
    return secure ? (agents.https ??= new net.https.Agent({ keepAlive: true })) : (agents.http ??= new net.http.Agent({ keepAlive: true }));
  }
  // Node's agents do the proxying (a CONNECT tunnel for https) from a proxy environment of their own,
  // here the one proxy already chosen, with no exemptions left to apply.
  const proxyEnv = secure ? { HTTPS_PROXY: proxy } : { HTTP_PROXY: proxy };
  return secure
    ? (agents.proxiedHttps ??= new net.https.Agent({ keepAlive: true, proxyEnv }))
    : (agents.proxiedHttp ??= new net.http.Agent({ keepAlive: true, proxyEnv }));
}

/** Sends one request; resolves with the response (any status), rejects with NetworkError. */
export async function send(req: Request, trust: Trust, timeouts: Timeouts, agents: Agents): Promise<IncomingMessage> {
  const net = await netModules();
  const secure = req.url.protocol === 'https:';
  const agent = agentFor(req.url, agents, net);
  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      method: req.method,
      headers: { ...req.headers, ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) },
      agent
    };
    if (secure && trust.ca) options.ca = [...trust.ca];
    if (secure && trust.cert !== undefined) options.cert = trust.cert;
    if (secure && trust.key !== undefined) options.key = trust.key;
    const r = (secure ? net.https : net.http).request(req.url, options, resolve);
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
