// A client of the OCI distribution API for one image reference, pull only: manifests by tag or
// digest, blobs read whole (small JSON, capped and digest-checked) or streamed. HTTPS with docker's
// trust (http.ts); a loopback registry (127.0.0.0/8, localhost, ::1, insecure in docker by default)
// is tried over HTTPS first and over plain HTTP when that fails to connect, never another host.
// Authentication as docker does it: anonymous first; a 401's WWW-Authenticate then says `Basic`
// (the credentials, sent again) or `Bearer realm,service` (a token fetched from the realm for
// `repository:<repo>:pull`: with basic credentials by GET, with an identity token by the OAuth2
// refresh-token POST, or anonymously; `token` or `access_token` of the answer). A token that
// expires mid-measurement is fetched again once. Redirects (blobs go to storage) are followed, and
// the Authorization header is only ever sent to the origin that asked for it.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { MAX_JSON_BLOB } from '../image/image-rules.js';
import { MediaType, isIndexMediaType, isManifestMediaType, isSha256Digest, type Descriptor } from '../image/oci.js';
import { findCredentials, type Credentials } from './credentials.js';
import { RegistryError, errorCodes, statusError, type Subject } from './errors.js';
import { DEFAULT_TIMEOUTS, NetworkError, closeAgents, isLoopback, readBody, send, type Agents, type Timeouts, type Trust } from '../http.js';
import { DOCKER_CERTS_DIR, parseChallenges, retryAfterSeconds, trustFor, type Challenge } from './http.js';
import { referenceString, type ImageReference } from './reference.js';

export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');
const MAX_REDIRECTS = 5;
/** Largest token-server answer and error body read. */
const MAX_SMALL_BODY = 1024 * 1024;
const USER_AGENT = 'image-budget';

export interface RegistryClientOptions {
  /** Looked up when a registry first asks for them; default: docker's config and helpers (credentials.ts). */
  readonly credentials?: () => Promise<Credentials | undefined>;
  /** docker's certs.d directory; default /etc/docker/certs.d. */
  readonly certsDir?: string;
  readonly timeouts?: Timeouts;
  /** The environment for finding credentials (DOCKER_CONFIG, HOME, PATH for helpers); default this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A manifest or index as the registry served it. */
export interface FetchedManifest {
  readonly mediaType: string;
  /** sha256 of the bytes served: the manifest's digest. */
  readonly digest: string;
  readonly body: Buffer;
}

export class RegistryClient {
  /** The normalised reference, as every message names it. */
  readonly name: string;
  private scheme: 'https:' | 'http:' | undefined;
  private authorization: string | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly trusts = new Map<string, Promise<Trust>>();
  private readonly agents: Agents = {};
  private readonly timeouts: Timeouts;

  constructor(
    readonly ref: ImageReference,
    private readonly opts: RegistryClientOptions = {}
  ) {
    this.name = referenceString(ref);
    this.timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
  }

  /** Closes the connections kept open. */
  close(): void {
    closeAgents(this.agents);
  }

  /** The manifest or index `reference` (a tag or a digest) names, checked against a digest asked for. */
  async manifest(reference: string): Promise<FetchedManifest> {
    const what = isSha256Digest(reference) ? `the manifest ${reference}` : `the tag ${reference}`;
    const path = `/v2/${this.ref.repository}/manifests/${reference}`;
    const res = await this.get(path, { accept: MANIFEST_ACCEPT }, what);
    const body = await readBody(res, MAX_JSON_BLOB, () => this.bad(`${what} is larger than the ${MAX_JSON_BLOB} bytes accepted`));
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (isSha256Digest(reference) && digest !== reference) throw this.bad(`${what} does not match its digest (content is ${digest})`);
    const said = res.headers['docker-content-digest'];
    if (typeof said === 'string' && said.startsWith('sha256:') && said !== digest) {
      throw this.bad(`${what} does not match the digest ${said} the registry gives for it (content is ${digest})`);
    }
    return { mediaType: manifestMediaType(res.headers['content-type'], body, () => this.bad(`${what} is not an OCI or Docker v2 manifest or index`)), digest, body };
  }

  /** A small blob (an image config) read whole, at most MAX_JSON_BLOB bytes, its size and digest checked. */
  async blobBytes(desc: Descriptor, what: string): Promise<Buffer> {
    if (desc.size > MAX_JSON_BLOB) throw this.bad(`${what} ${desc.digest} is ${desc.size} bytes, more than the ${MAX_JSON_BLOB} accepted`);
    const res = await this.blobResponse(desc, what);
    const body = await readBody(res, desc.size, () => this.bad(`${what} ${desc.digest} is larger than its descriptor's ${desc.size} bytes`));
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (body.length !== desc.size || digest !== desc.digest) throw this.bad(`${what} ${desc.digest} does not match its descriptor (content is ${body.length} bytes, ${digest})`);
    return body;
  }

  /** A blob as a stream, for the caller to check against its digest. A size other than the descriptor's fails here. */
  blob(desc: Descriptor, what = 'layer'): Promise<Readable> {
    return this.blobResponse(desc, what);
  }

  private async blobResponse(desc: Descriptor, what: string): Promise<IncomingMessage> {
    if (!isSha256Digest(desc.digest)) throw this.bad(`${what} digest ${JSON.stringify(desc.digest.slice(0, 80))} is not sha256:<64 hex>`);
    const res = await this.get(`/v2/${this.ref.repository}/blobs/${desc.digest}`, {}, `${what} ${desc.digest}`);
    const said = Number(res.headers['content-length']);
    if (res.headers['content-length'] !== undefined && said !== desc.size) {
      res.destroy();
      throw this.bad(`${what} ${desc.digest} is ${said} bytes in the registry but its descriptor says ${desc.size}`);
    }
    return res;
  }

  private bad(message: string): RegistryError {
    return new RegistryError('bad-response', this.name, message);
  }

  private subject(what: string, host = this.ref.registry, credentials?: Credentials): Subject {
    return { reference: this.name, host, domain: this.ref.domain, what, ...(credentials ? { credentials } : {}) };
  }

  /** GET with authentication: on a 401, authenticate as the challenge says and try once more. */
  private async get(path: string, headers: Record<string, string>, what: string): Promise<IncomingMessage> {
    let fresh = false;
    for (;;) {
      const res = await this.follow(path, headers, what);
      if (res.statusCode === 401 && !fresh) {
        const header = res.headers['www-authenticate'];
        // An authorization that this call did not just obtain may have expired: obtain it again.
        if (await this.authenticate(parseChallenges(Array.isArray(header) ? header.join(', ') : (header ?? '')), what)) {
          res.resume();
          fresh = true;
          continue;
        }
        throw await this.statusError(res, this.subject(what, this.ref.registry, await this.creds()));
      }
      if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return res;
      throw await this.statusError(res, this.subject(what, this.ref.registry, this.authorization ? await this.creds() : undefined));
    }
  }

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.opts.credentials ? this.opts.credentials() : findCredentials(this.ref.domain, { env: this.opts.env ?? process.env });
    return this.credentials;
  }

  /** Sets the authorization a challenge asks for; false when there is none to give (the 401 stands). */
  private async authenticate(challenges: readonly Challenge[], what: string): Promise<boolean> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      this.authorization = `Bearer ${await this.token(bearer, what)}`;
      return true;
    }
    const creds = await this.creds();
    if (challenges.some((c) => c.scheme === 'basic') && creds?.kind === 'basic') {
      this.authorization = basic(creds.username, creds.password);
      return true;
    }
    return false;
  }

  /** A bearer token from the challenge's realm, for pulling this repository (the distribution token spec). */
  private async token(challenge: Challenge, what: string): Promise<string> {
    const realm = this.realmUrl(challenge.params.get('realm'), what);
    const service = challenge.params.get('service');
    const scope = `repository:${this.ref.repository}:pull`;
    const creds = await this.creds();
    const params = new URLSearchParams();
    if (service) params.set('service', service);
    params.set('scope', scope);
    let request: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string };
    if (creds?.kind === 'identity-token') {
      params.set('grant_type', 'refresh_token');
      params.set('refresh_token', creds.token);
      params.set('client_id', USER_AGENT);
      request = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: params.toString() };
    } else {
      if (creds) params.set('account', creds.username);
      for (const [k, v] of params) realm.searchParams.set(k, v);
      request = { method: 'GET', headers: creds ? { authorization: basic(creds.username, creds.password) } : {} };
    }
    const subject = this.subject(`a token for ${what}`, realm.host, creds);
    const res = await this.send({ url: realm, ...request, headers: { ...request.headers, 'user-agent': USER_AGENT, accept: 'application/json' } }, subject);
    if (res.statusCode !== 200) throw await this.statusError(res, subject);
    const body = await readBody(res, MAX_SMALL_BODY, () => this.bad(`the token server ${realm.host} answered more than ${MAX_SMALL_BODY} bytes`));
    return tokenOf(body, () => this.bad(`the token server ${realm.host} answered without a "token" or "access_token"`));
  }

  /** The realm of a Bearer challenge: an https URL (http only on loopback, as credentials may go there). */
  private realmUrl(realm: string | undefined, what: string): URL {
    let url: URL | undefined;
    try {
      url = realm ? new URL(realm) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.host)))) {
      throw this.bad(`${this.ref.registry} asked for a token for ${what} without an https realm to get it from`);
    }
    return url;
  }

  /** One request to the registry with redirects followed; Authorization goes only to the registry's own origin. */
  private async follow(path: string, headers: Record<string, string>, what: string): Promise<IncomingMessage> {
    let res = await this.toRegistry(path, headers, what);
    const origin = new URL(`${this.scheme}//${this.ref.registry}`).origin;
    let url = new URL(path, origin);
    for (let hops = 0; isRedirect(res.statusCode) && typeof res.headers.location === 'string'; hops++) {
      res.resume();
      const next = new URL(res.headers.location, url);
      if (hops >= MAX_REDIRECTS) throw this.bad(`${what}: more than ${MAX_REDIRECTS} redirects`);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && isLoopback(next.host))) {
        throw this.bad(`${what}: redirected to a ${next.protocol} URL on ${next.host}, refused (only https, or http on loopback)`);
      }
      url = next;
      res = await this.send({ url, method: 'GET', headers: this.headers(headers, url.origin === origin) }, this.subject(what, url.host));
    }
    return res;
  }

  /** The headers of a request, with the Authorization when it goes to the origin that asked for it. */
  private headers(headers: Record<string, string>, toRegistry: boolean): Record<string, string> {
    const out: Record<string, string> = { ...headers, 'user-agent': USER_AGENT };
    if (toRegistry && this.authorization !== undefined) out.authorization = this.authorization;
    return out;
  }

  /**
   * The first hop, to the registry: HTTPS; a loopback registry that HTTPS cannot reach is tried over
   * HTTP. A 400 to that HTTP request is an HTTPS server's answer to plain HTTP: the HTTPS failure stands.
   */
  private async toRegistry(path: string, headers: Record<string, string>, what: string): Promise<IncomingMessage> {
    const schemes = this.scheme ? [this.scheme] : isLoopback(this.ref.registry) ? (['https:', 'http:'] as const) : (['https:'] as const);
    const failures: string[] = [];
    for (const scheme of schemes) {
      const url = new URL(path, `${scheme}//${this.ref.registry}`);
      try {
        const res = await send({ url, method: 'GET', headers: this.headers(headers, true) }, await this.trust(url.host), this.timeouts, this.agents);
        if (failures.length > 0 && res.statusCode === 400) {
          res.resume();
          failures.push('http: 400 Bad Request (an HTTPS server)');
          break;
        }
        this.scheme = scheme;
        return res;
      } catch (e) {
        if (!(e instanceof NetworkError)) throw e;
        failures.push(`${scheme.slice(0, -1)}: ${e.message}${isCertificateError(e.code) ? `; if the registry's certificate is signed by a private CA, put that CA in ${this.certsDir()}/${this.ref.registry}/ca.crt` : ''}`);
      }
    }
    throw new RegistryError('unavailable', this.name, `cannot reach ${this.ref.registry} for ${what} (${failures.join('; ')})`);
  }

  private certsDir(): string {
    return this.opts.certsDir ?? DOCKER_CERTS_DIR;
  }

  /** A request to a host other than the registry's first hop (a token server, blob storage). */
  private async send(req: Parameters<typeof send>[0], s: Subject): Promise<IncomingMessage> {
    try {
      return await send(req, await this.trust(req.url.host), this.timeouts, this.agents);
    } catch (e) {
      if (e instanceof NetworkError) throw new RegistryError('unavailable', this.name, `cannot reach ${s.host} for ${s.what} (${e.message})`);
      throw e;
    }
  }

  private trust(host: string): Promise<Trust> {
    let trust = this.trusts.get(host);
    if (!trust) {
      trust = trustFor(host, this.certsDir());
      this.trusts.set(host, trust);
    }
    return trust;
  }

  private async statusError(res: IncomingMessage, s: Subject): Promise<RegistryError> {
    const status = res.statusCode ?? 0;
    const body = await readBody(res, MAX_SMALL_BODY, () => new Error('too large')).catch(() => Buffer.alloc(0));
    const header = res.headers['retry-after'];
    return statusError(status, s, errorCodes(body.toString('utf8')), retryAfterSeconds(Array.isArray(header) ? header[0] : header));
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Node's codes for a certificate that does not verify (self-signed, unknown issuer, wrong name, expired). */
function isCertificateError(code: string | undefined): boolean {
  return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** `token`, else `access_token`, of a token server's JSON answer. */
export function tokenOf(body: Buffer, missing: () => Error): string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw missing();
  }
  const o = (doc ?? {}) as { token?: unknown; access_token?: unknown };
  const token = typeof o.token === 'string' && o.token !== '' ? o.token : o.access_token;
  if (typeof token !== 'string' || token === '' || /[\s\u0000-\u001f]/.test(token)) throw missing();
  return token;
}

/** The media type of a served manifest: its Content-Type, else the document's own `mediaType`. */
export function manifestMediaType(contentType: string | undefined, body: Buffer, unknown: () => Error): string {
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (header && (isIndexMediaType(header) || isManifestMediaType(header))) return header;
  try {
    const doc = JSON.parse(body.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof doc.mediaType === 'string' && (isIndexMediaType(doc.mediaType) || isManifestMediaType(doc.mediaType))) return doc.mediaType;
    // An OCI document may leave mediaType out: an index has `manifests`.
    if (doc.mediaType === undefined) return Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  } catch {
    // Not JSON: said below.
  }
  throw unknown();
}

