// What the registry client adds to the one HTTP request (../http.ts): the trust docker gives a
// registry host (Node's CAs plus the `*.crt` files of /etc/docker/certs.d/<host[:port]>/, and a client
// certificate from a `*.cert`/`*.key` pair there), and the pure pieces: WWW-Authenticate challenges
// and Retry-After. Nothing here sees a credential, and nothing logs.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from '../errors.js';
import { netModules, type Trust } from '../http.js';

/** Where docker looks for a registry's CA and client certificates. */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

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
