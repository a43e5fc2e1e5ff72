// The inputs that shape a build beyond its context, with docker/build-push-action's names and
// syntax so that the `with:` of a build step can be copied: secrets, secret-files, secret-envs, ssh,
// build-contexts, labels, no-cache, pull, shm-size, ulimit, add-hosts, allow, provenance, sbom.
// Pure: text in, BuildSettings or InputError out. Lists are read as docker/actions-toolkit reads them
// (Util.getList): each line is CSV, `"…"` groups a field and `""` is a quote inside it; the inputs
// whose items may hold commas (secrets, secret-files, build-contexts, labels, ulimit) take one item
// per line, the others (secret-envs, ssh, add-hosts, allow) one per comma or line.
// A secret's value is never echoed: its errors name the line.
import { isIP } from 'node:net';
import type { BuildSecret, BuildSettings, BuildSsh, NamedContext } from '../model.js';
import { InputError } from './errors.js';
import { isValidTargetName, parseBoolean } from './grammar.js';
import { INPUT } from './names.js';

/** One item of a list input and the words an error names it by when its value is secret. */
interface Item {
  readonly text: string;
  readonly line: number;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
/** A secret or ssh id: what `RUN --mount=type=secret,id=…` names. */
export const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ID_EXPECTED = 'an id of letters, digits, "_", "." or "-", at most 128 characters';
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\/:@-]{0,254}$/;
export const LABEL_KEY = /^[A-Za-z0-9][^\s=",]*$/;
const IMAGE_REF = /^[A-Za-z0-9][^\s,"]*$/;
// docker's RAMInBytes (go-units): a number, an optional unit letter, an optional `i` and `b`.
export const SHM_SIZE = /^\d+(?:\.\d+)? ?[kKmMgGtTpP]?[iI]?[bB]?$/;
export const ULIMIT = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/;
const ULIMIT_TYPES = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
export const ENTITLEMENTS = ['network.host', 'security.insecure'] as const;
const ATTEST_FIELD = /^[a-z][a-z0-9-]*=[^\s,"]+$/;

/** The CSV fields of one line; `fail` builds the error (it must not echo a secret line). */
function csvFields(line: string, fail: (problem: string) => InputError): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw fail('has a quote that is not closed');
        value += line.slice(i, q);
        i = q + 1;
        if (line[i] !== '"') break;
        value += '"';
        i++;
      }
      if (i < line.length && line[i] !== ',') throw fail('has text after a closing quote');
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end;
    }
    if (i >= line.length) return fields;
    i++;
  }
}

/**
 * A list input read as docker/build-push-action reads it: one item per line (`perLine`), its CSV
 * fields joined again by commas, or one per field and comma. Items trimmed, empties dropped; each
 * keeps the number of its line for the messages that must not echo it.
 */
export function parseCsvList(input: string, text: string, perLine: boolean, expected: string, secret = false): Item[] {
  const items: Item[] = [];
  for (const [i, raw] of text.split(/\r?\n|\r/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const fail = (problem: string): InputError =>
      secret ? new InputError(input, undefined, expected, { subject: `line ${i + 1}`, problem }) : new InputError(input, line, expected, { problem });
    const fields = csvFields(line, fail);
    const texts = perLine ? [fields.join(',')] : fields.length === 1 ? fields[0]!.split(',') : fields;
    for (const t of texts) if (t.trim() !== '') items.push({ text: t.trim(), line: i + 1 });
  }
  return items;
}

/** `id=rest` split at the first `=`, the id checked; a secret item is named by its line, never echoed. */
function keyValue(input: string, item: Item, expected: string, secret: boolean): [string, string] {
  const shown = secret ? undefined : item.text;
  const subject = { subject: `line ${item.line}` };
  const eq = item.text.indexOf('=');
  if (eq < 0) throw new InputError(input, shown, expected, { ...subject, problem: 'has no "="' });
  const id = item.text.slice(0, eq).trim();
  const rest = item.text.slice(eq + 1);
  if (!ID.test(id)) {
    const problem = id === '' ? 'has no id before "="' : `has an invalid id ${JSON.stringify(id.slice(0, 80))}`;
    throw new InputError(input, shown, `${expected}; ${ID_EXPECTED}`, { ...subject, problem });
  }
  if (rest.trim() === '') throw new InputError(input, shown, expected, { ...subject, problem: `has nothing after "${id}="` });
  return [id, rest];
}

function onePath(input: string, text: string, expected: string): string {
  if (CONTROL.test(text)) throw new InputError(input, text, expected, { problem: 'contains a control character' });
  return text;
}

/** `secrets`, `secret-files` and `secret-envs`, each id once across the three. */
export function parseSecrets(secrets: string, files: string, envs: string): BuildSecret[] {
  const out: BuildSecret[] = [];
  const seen = new Map<string, string>();
  const add = (input: string, secret: BuildSecret): void => {
    const before = seen.get(secret.id);
    if (before !== undefined) {
      throw new InputError(input, secret.id, 'each secret id once across secrets, secret-files and secret-envs', {
        problem: `is already given by ${before}`
      });
    }
    seen.set(secret.id, input);
    out.push(secret);
  };
  const valueExpected = 'id=value lines, e.g. NPM_TOKEN=${{ secrets.NPM_TOKEN }}';
  for (const item of parseCsvList(INPUT.secrets, secrets, true, valueExpected, true)) {
    const [id, value] = keyValue(INPUT.secrets, item, valueExpected, true);
    if (value.includes('\0')) {
      throw new InputError(INPUT.secrets, undefined, valueExpected, { subject: `the value of ${id}`, problem: 'contains a NUL character' });
    }
    add(INPUT.secrets, { id, kind: 'value', value });
  }
  const fileExpected = 'id=path lines, e.g. aws=${{ runner.temp }}/aws-credentials';
  for (const item of parseCsvList(INPUT.secretFiles, files, true, fileExpected)) {
    const [id, file] = keyValue(INPUT.secretFiles, item, fileExpected, false);
    add(INPUT.secretFiles, { id, kind: 'file', path: onePath(INPUT.secretFiles, file.trim(), fileExpected) });
  }
  const envExpected = 'id=VARIABLE entries, comma or newline separated, e.g. npm=NPM_TOKEN';
  for (const item of parseCsvList(INPUT.secretEnvs, envs, false, envExpected)) {
    const [id, variable] = keyValue(INPUT.secretEnvs, item, envExpected, false);
    const name = variable.trim();
    if (!ENV_NAME.test(name)) {
      throw new InputError(INPUT.secretEnvs, item.text, envExpected, { problem: `names no environment variable (${JSON.stringify(name.slice(0, 80))})` });
    }
    add(INPUT.secretEnvs, { id, kind: 'env', variable: name });
  }
  return out;
}

/** `ssh`: `default`, an id (the agent of SSH_AUTH_SOCK under that id) or `id=path` (a socket or key). */
export function parseSsh(text: string): BuildSsh[] {
  const expected = 'default, an id, or id=path (an agent socket or a private key), comma or newline separated';
  const out: BuildSsh[] = [];
  for (const item of parseCsvList(INPUT.ssh, text, false, expected)) {
    const eq = item.text.indexOf('=');
    const id = (eq < 0 ? item.text : item.text.slice(0, eq)).trim();
    if (!ID.test(id)) throw new InputError(INPUT.ssh, item.text, `${expected}; ${ID_EXPECTED}`);
    if (out.some((s) => s.id === id)) throw new InputError(INPUT.ssh, id, 'each id once', { problem: 'is given more than once' });
    if (eq < 0) {
      out.push({ id });
      continue;
    }
    const p = item.text.slice(eq + 1).trim();
    if (p === '') throw new InputError(INPUT.ssh, item.text, expected, { problem: `has nothing after "${id}="` });
    out.push({ id, path: onePath(INPUT.ssh, p, expected) });
  }
  return out;
}

/** `build-contexts`: `name=path` (a directory), `name=docker-image://REF` or `name=target:STAGE`, one per line. */
export function parseBuildContexts(text: string): NamedContext[] {
  const expected = 'name=value lines, value a directory, docker-image://REF or target:STAGE, e.g. extra=./other';
  const out: NamedContext[] = [];
  for (const item of parseCsvList(INPUT.buildContexts, text, true, expected)) {
    const eq = item.text.indexOf('=');
    if (eq < 0) throw new InputError(INPUT.buildContexts, item.text, expected, { problem: 'has no "="' });
    const name = item.text.slice(0, eq).trim();
    const value = item.text.slice(eq + 1).trim();
    if (!CONTEXT_NAME.test(name)) {
      throw new InputError(INPUT.buildContexts, item.text, expected, {
        problem: name === '' ? 'has no name before "="' : 'has a name that is not a stage or image name'
      });
    }
    if (out.some((c) => c.name === name)) throw new InputError(INPUT.buildContexts, name, 'each name once', { problem: 'is given more than once' });
    if (value === '') throw new InputError(INPUT.buildContexts, item.text, expected, { problem: `has nothing after "${name}="` });
    out.push(namedContext(name, value, item.text, expected));
  }
  return out;
}

function namedContext(name: string, value: string, text: string, expected: string): NamedContext {
  if (value.startsWith('docker-image://')) {
    const ref = value.slice('docker-image://'.length);
    if (!IMAGE_REF.test(ref)) {
      throw new InputError(INPUT.buildContexts, text, expected, { problem: 'needs an image reference without spaces, commas or quotes after docker-image://' });
    }
    return { name, kind: 'image', ref };
  }
  if (value.startsWith('target:')) {
    const stage = value.slice('target:'.length);
    if (!isValidTargetName(stage)) throw new InputError(INPUT.buildContexts, text, expected, { problem: 'needs a stage name after target:' });
    return { name, kind: 'target', stage };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('git@')) {
    throw new InputError(INPUT.buildContexts, text, expected, {
      problem: 'is a remote context, which is not measured alike on both sides; only directories, docker-image:// and target: are'
    });
  }
  return { name, kind: 'directory', path: onePath(INPUT.buildContexts, value, expected) };
}

/** `labels`: `key=value` lines. */
export function parseLabels(text: string): Array<readonly [string, string]> {
  const expected = 'key=value lines, e.g. org.opencontainers.image.source=https://github.com/o/r';
  const out: Array<readonly [string, string]> = [];
  for (const item of parseCsvList(INPUT.labels, text, true, expected)) {
    const eq = item.text.indexOf('=');
    const key = eq < 0 ? '' : item.text.slice(0, eq).trim();
    if (!LABEL_KEY.test(key)) throw new InputError(INPUT.labels, item.text, expected, { problem: eq < 0 ? 'has no "="' : 'has an invalid key' });
    const value = item.text.slice(eq + 1);
    if (CONTROL.test(value)) throw new InputError(INPUT.labels, item.text, expected, { problem: 'contains a control character' });
    out.push([key, value]);
  }
  return out;
}

function parseShmSize(text: string): string | undefined {
  if (text === '') return undefined;
  if (!SHM_SIZE.test(text)) throw new InputError(INPUT.shmSize, text, 'a size as docker writes it, e.g. 2g, 512m, 1.5gb');
  return text;
}

/** `ulimit`: `type=soft[:hard]` lines, each type once. */
export function parseUlimits(text: string): string[] {
  const expected = `type=soft[:hard] lines, e.g. nofile=1024:2048; types ${ULIMIT_TYPES.join(', ')}`;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const item of parseCsvList(INPUT.ulimit, text, true, expected)) {
    const m = ULIMIT.exec(item.text);
    if (!m || !ULIMIT_TYPES.includes(m[1]!)) throw new InputError(INPUT.ulimit, item.text, expected);
    if (seen.has(m[1]!)) throw new InputError(INPUT.ulimit, item.text, 'each type once', { problem: `sets ${m[1]} again` });
    seen.add(m[1]!);
    out.push(item.text);
  }
  return out;
}

/** `add-hosts`: `host:ip` (or `host=ip`), comma or newline separated; given to buildx as `host:ip`. */
export function parseAddHosts(text: string): string[] {
  const expected = 'host:ip entries, comma or newline separated, e.g. db.local:10.0.0.5 or gateway:host-gateway';
  return parseCsvList(INPUT.addHosts, text, false, expected).map((item) => {
    const at = item.text.search(/[:=]/);
    const host = at < 0 ? '' : item.text.slice(0, at);
    const ip = item.text.slice(at + 1);
    if (!HOST_NAME.test(host) || (ip !== 'host-gateway' && isIP(ip) === 0)) throw new InputError(INPUT.addHosts, item.text, expected);
    return `${host}:${ip}`;
  });
}

/** `allow`: entitlements, comma or newline separated, each once. */
export function parseAllow(text: string): string[] {
  const out: string[] = [];
  for (const item of parseCsvList(INPUT.allow, text, false, `a list of ${ENTITLEMENTS.join(', ')}`)) {
    const known = ENTITLEMENTS.find((e) => e === item.text);
    if (known === undefined) throw new InputError(INPUT.allow, item.text, `a list of ${ENTITLEMENTS.join(', ')}`);
    if (!out.includes(known)) out.push(known);
  }
  return out;
}

/** `provenance` and `sbom`: `true`, `false`, or buildx attributes `key=value[,key=value]` (provenance `mode=min|max`). */
export function parseAttestation(input: typeof INPUT.provenance | typeof INPUT.sbom, text: string): string | undefined {
  if (text === '') return undefined;
  const expected = input === INPUT.provenance ? 'true, false or attributes such as mode=max' : 'true, false or attributes such as generator=IMAGE';
  if (/^(true|false)$/i.test(text)) return String(parseBoolean(input, text));
  const fields = text.split(',').map((f) => f.trim());
  for (const f of fields) {
    if (!ATTEST_FIELD.test(f)) throw new InputError(input, text, expected, { problem: `has an invalid attribute ${JSON.stringify(f.slice(0, 80))}` });
    if (input === INPUT.provenance && f.startsWith('mode=') && f !== 'mode=min' && f !== 'mode=max') {
      throw new InputError(input, text, expected, { problem: 'has a mode other than min or max' });
    }
  }
  return fields.join(',');
}

/** Every build setting input, parsed; `read` returns the value or its default (names.ts DEFAULTS). */
export function parseBuildSettings(read: (name: string) => string): BuildSettings {
  return {
    secrets: parseSecrets(read(INPUT.secrets), read(INPUT.secretFiles), read(INPUT.secretEnvs)),
    ssh: parseSsh(read(INPUT.ssh)),
    contexts: parseBuildContexts(read(INPUT.buildContexts)),
    labels: parseLabels(read(INPUT.labels)),
    noCache: parseBoolean(INPUT.noCache, read(INPUT.noCache)),
    pull: parseBoolean(INPUT.pull, read(INPUT.pull)),
    shmSize: parseShmSize(read(INPUT.shmSize)),
    ulimits: parseUlimits(read(INPUT.ulimit)),
    addHosts: parseAddHosts(read(INPUT.addHosts)),
    allow: parseAllow(read(INPUT.allow)),
    provenance: parseAttestation(INPUT.provenance, read(INPUT.provenance)),
    sbom: parseAttestation(INPUT.sbom, read(INPUT.sbom))
  };
}

/** The inputs that hand the build something secret (a fork's code must never get them), in input order, when set. */
export function secretInputsSet(build: BuildSettings): string[] {
  const kinds = new Set(build.secrets.map((s) => s.kind));
  return [
    ...(kinds.has('value') ? [INPUT.secrets] : []),
    ...(kinds.has('file') ? [INPUT.secretFiles] : []),
    ...(kinds.has('env') ? [INPUT.secretEnvs] : []),
    ...(build.ssh.length > 0 ? [INPUT.ssh] : [])
  ];
}
