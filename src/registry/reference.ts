// Image references as docker reads them (distribution's reference grammar and its normalisation,
// ParseNormalizedNamed): `alpine` is `docker.io/library/alpine:latest`, a first component with a
// `.` or a `:`, or `localhost`, or an upper-case letter, is a registry host, and the rest is a
// lower-case repository path, then an optional `:tag` and an optional `@sha256:<64 hex>` (which wins
// over the tag when both are given, as in `docker pull`). Docker Hub is named `docker.io` but served
// from `registry-1.docker.io`. Pure: a string in, a reference or an error naming the value and the
// accepted forms out.

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** The registry as docker names it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** The host[:port] the registry API is served from (Docker Hub's is `registry-1.docker.io`). */
  readonly registry: string;
  /** The repository path inside the registry: `library/alpine`, `acme/app`. */
  readonly repository: string;
  /** The tag; `latest` when neither a tag nor a digest is given. Absent with a digest alone. */
  readonly tag?: string;
  /** `sha256:<64 hex>` when given: what is fetched, the tag then only naming it. */
  readonly digest?: string;
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API answers. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const DEFAULT_TAG = 'latest';
const NAME_MAX = 255;

// distribution/reference's regexp.go, piece by piece.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH = `${COMPONENT}(?:/${COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const LOCAL_ID_RE = /^(?:sha256:[a-f0-9]{64}|[a-f0-9]{12,64})$/;

/** The forms every reference error ends with. */
export const REFERENCE_FORMS =
  'an image reference is [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], the path lower case, e.g. alpine, ghcr.io/acme/app:main or 127.0.0.1:5000/app@sha256:<64 hex>';

/** A value that is not an image reference; the message names it and the accepted forms. */
export class InvalidReferenceError extends Error {
  override readonly name = 'InvalidReferenceError';
  constructor(
    readonly value: string,
    /** What is wrong with it, without the value. */
    readonly why: string
  ) {
    super(`${quote(value)} is not an image reference: ${why}; ${REFERENCE_FORMS}`);
  }
}

/** The value as a message shows it: JSON-quoted (control characters escaped), cut at 200 characters. */
function quote(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

/**
 * docker's splitDockerDomain: the first component is a registry host when it holds `.` or `:`, is
 * `localhost`, or has an upper-case letter; otherwise the whole name is on Docker Hub, where a
 * single component is under `library/`.
 */
function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let domain = DOCKER_HUB;
  let remainder = name;
  if (slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)) {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

/** Splits `path[:tag][@digest]`; the tag's colon is the last one before the `@` and after the last `/`. */
function splitTagDigest(rest: string): { path: string; tag?: string; digest?: string } {
  const at = rest.indexOf('@');
  const named = at === -1 ? rest : rest.slice(0, at);
  const digest = at === -1 ? undefined : rest.slice(at + 1);
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  return {
    path: hasTag ? named.slice(0, colon) : named,
    ...(hasTag ? { tag: named.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {})
  };
}

/** Parses and normalises `value` as docker does; throws InvalidReferenceError. */
export function parseReference(value: string): ImageReference {
  if (value === '') throw new InvalidReferenceError(value, 'it is empty');
  if (/^[a-f0-9]{64}$/.test(value)) throw new InvalidReferenceError(value, 'a 64-digit hexadecimal string is an image id, not a name');
  if (/[\s\u0000-\u001f\u007f]/.test(value)) throw new InvalidReferenceError(value, 'it holds white space or control characters');
  const { domain, remainder } = splitDomain(value);
  if (!DOMAIN_RE.test(domain)) throw new InvalidReferenceError(value, `${quote(domain)} is not a registry host[:port]`);
  const { path, tag, digest } = splitTagDigest(remainder);
  if (path.toLowerCase() !== path) throw new InvalidReferenceError(value, 'the repository path must be lower case');
  if (!PATH_RE.test(path)) {
    throw new InvalidReferenceError(value, 'the repository path is lower-case letters and digits, separated by one ".", "_", "__" or dashes, in components joined by "/"');
  }
  if (`${domain}/${path}`.length > NAME_MAX) throw new InvalidReferenceError(value, `the name is longer than ${NAME_MAX} characters`);
  if (tag !== undefined && !TAG_RE.test(tag)) {
    throw new InvalidReferenceError(value, 'a tag is 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"');
  }
  if (digest !== undefined && !DIGEST_RE.test(digest)) throw new InvalidReferenceError(value, 'a digest is sha256: and 64 lower-case hexadecimal digits');
  return {
    domain,
    registry: domain === DOCKER_HUB ? DOCKER_HUB_REGISTRY : domain,
    repository: path,
    ...(tag !== undefined || digest === undefined ? { tag: tag ?? DEFAULT_TAG } : {}),
    ...(digest !== undefined ? { digest } : {})
  };
}

/** The full normalised name: `docker.io/library/alpine:latest`, `host/app:tag@sha256:…`. */
export function referenceString(ref: ImageReference): string {
  return `${ref.domain}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** What the registry is asked for: the digest when given, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** True for what names an image of the local engine by id: `sha256:<64 hex>`, or 12 to 64 hex digits. */
export function isLocalImageId(value: string): boolean {
  return LOCAL_ID_RE.test(value);
}

/** True when `value` reads as a registry reference and not as a local image id. */
export function isRegistryReference(value: string): boolean {
  if (isLocalImageId(value)) return false;
  try {
    parseReference(value);
    return true;
  } catch {
    return false;
  }
}
