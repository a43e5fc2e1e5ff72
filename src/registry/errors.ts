// What can go wrong talking to a registry, as kinds a caller can tell apart (RegistryError.kind),
// each message naming the image reference and saying what to do; never a token, a password or a
// redirect URL (storage URLs are signed), only hosts, statuses and the registry's error codes.
import type { Credentials } from './credentials.js';

export type RegistryErrorKind =
  /** 401: no credentials, or credentials the registry (or its token server) refused. */
  | 'unauthorized'
  /** 403: the credentials may not pull this repository. */
  | 'forbidden'
  /** 404: no such repository, tag, manifest or blob. */
  | 'not-found'
  /** 429: too many requests; `retryAfterSeconds` when the registry said. */
  | 'rate-limited'
  /** 5xx, or no answer at all (connection, TLS, timeout). */
  | 'unavailable'
  /** An answer that is not what the API promises (other statuses, malformed or oversized documents, wrong digests). */
  | 'bad-response';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly kind: RegistryErrorKind,
    /** The image reference the request was for, normalised. */
    readonly reference: string,
    message: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
    readonly retryAfterSeconds?: number
  ) {
    super(`${reference}: ${message}`);
  }
}

/** What a request was for, as messages name it: `the manifest main`, `blob sha256:…`, `a token from auth.example`. */
export interface Subject {
  readonly reference: string;
  /** host[:port] of the registry (or token server) that answered. */
  readonly host: string;
  /** The registry as `docker login` takes it (`docker.io`, `ghcr.io`). */
  readonly domain: string;
  readonly what: string;
  readonly credentials?: Credentials;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout'
};

function statusText(status: number, codes: readonly string[]): string {
  const reason = REASONS[status];
  return `${status}${reason ? ` ${reason}` : ''}${codes.length ? `, ${codes.join(', ')}` : ''}`;
}

function whose(s: Subject): string {
  return s.credentials ? `the credentials of ${s.credentials.source}` : 'anonymous access';
}

/**
 * The error for a status other than 2xx. `codes` are the registry's error codes
 * (`MANIFEST_UNKNOWN`), only when they are plain upper-case words.
 */
export function statusError(status: number, s: Subject, codes: readonly string[], retryAfter?: number): RegistryError {
  const text = statusText(status, codes);
  const login = `docker login ${s.domain} (in a workflow, docker/login-action) before measuring`;
  if (status === 401) {
    const message = s.credentials
      ? `${s.host} refused ${whose(s)} for ${s.what} (${text}); check the user name and password or token, then ${login}`
      : `${s.host} refused ${whose(s)} for ${s.what} (${text}); the image is private or the registry wants a login: ${login}`;
    return new RegistryError('unauthorized', s.reference, message, status);
  }
  if (status === 403) {
    return new RegistryError('forbidden', s.reference, `${s.host} forbids ${s.what} to ${whose(s)} (${text}); the credentials need read (pull) access to the repository`, status);
  }
  if (status === 404) {
    return new RegistryError('not-found', s.reference, `${s.what} does not exist in ${s.host} (${text}); check the name and tag (a private repository may also answer 404 to ${whose(s)})`, status);
  }
  if (status === 429) {
    const when = retryAfter !== undefined ? `retry after ${retryAfter} s` : 'retry later';
    return new RegistryError('rate-limited', s.reference, `${s.host} rate-limits ${s.what} (${text}); ${when}${s.credentials ? '' : ', or log in for a higher limit'}`, status, retryAfter);
  }
  if (status >= 500) return new RegistryError('unavailable', s.reference, `${s.host} failed to answer ${s.what} (${text}); try again later`, status, retryAfter);
  return new RegistryError('bad-response', s.reference, `${s.host} answered ${s.what} with ${text}`, status);
}

/** The registry's error codes of an error body (`{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`), only plain upper-case words. */
export function errorCodes(body: string): string[] {
  try {
    const doc = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(doc.errors)) return [];
    const codes = doc.errors.map((e: unknown) => (typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined));
    return [...new Set(codes.filter((c): c is string => typeof c === 'string' && /^[A-Z][A-Z_]{0,40}$/.test(c)))].slice(0, 3);
  } catch {
    return [];
  }
}
