// The values that no text the action writes may show, in one place. Pure.
//
// Two kinds, one list: the values of the build arguments, which only the build's own text (its log,
// a failure, image history, file paths) is masked for, since a value such as `true` or `1.2` also
// reads as ordinary text elsewhere; and the job's tokens in every form a build can print them, which
// are long and random, so that they are also masked in whatever is published (comment, summary,
// report, outputs), and registered with the runner for the log.
//
// actions/checkout (`persist-credentials: true`, its default) leaves the token in `.git/config` as
//   http.https://github.com/.extraheader = AUTHORIZATION: basic base64("x-access-token:" + token)
// and `COPY . .` puts that file in the build context, where a `RUN cat .git/config` prints it.
import { secretMask } from '../buildx/failure.js';
import { maskFilePaths } from '../image/file-tree.js';
import type { ImageStats } from '../model.js';

/** The environment variables that may hold a token of the job, besides the github-token input. */
export const TOKEN_VARIABLES: readonly string[] = ['GITHUB_TOKEN', 'GH_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];

/** Derived forms shorter than this are left out: they could match ordinary text. */
const MIN_FORM_LENGTH = 12;

/** The user name actions/checkout pairs the token with in its basic credential. */
const CHECKOUT_USER = 'x-access-token';

const base64 = (bytes: Buffer): string => bytes.toString('base64');

/**
 * The base64 text that `value` contributes to any longer base64 text it is part of, at each of the
 * three byte alignments: the encoding of its bytes from the first one that starts a 3-byte group to
 * the last whole group (no padding, no character shared with its neighbours).
 */
export function base64Inside(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (const skip of [0, 1, 2]) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if (whole > 0) out.push(base64(bytes.subarray(skip, skip + whole)));
  }
  return out;
}

/**
 * Every form of `token` that a checkout or a build can print: the token; its base64; the basic
 * credential actions/checkout writes (base64 of `x-access-token:<token>`) and its header value
 * (`basic <credential>`); and the base64 of the token and of that credential as part of a longer
 * base64 text (`base64 .git/config`). Derived forms under 12 characters are left out.
 */
export function tokenForms(token: string): string[] {
  if (token === '') return [];
  const credential = base64(Buffer.from(`${CHECKOUT_USER}:${token}`, 'utf8'));
  const derived = [base64(Buffer.from(token, 'utf8')), credential, `basic ${credential}`, ...base64Inside(token), ...base64Inside(credential)];
  return [...new Set([token, ...derived.filter((f) => f.length >= MIN_FORM_LENGTH)])];
}

/** The job's tokens: the github-token input and the {@link TOKEN_VARIABLES} that are set, each once. */
export function actionTokens(env: NodeJS.ProcessEnv, githubToken: string): string[] {
  const all = [githubToken, ...TOKEN_VARIABLES.map((name) => env[name] ?? '')].map((t) => t.trim());
  return [...new Set(all.filter((t) => t !== ''))];
}

/** Every form of every token of the job: masked in all the action publishes, registered with the runner. */
export function tokenMasks(env: NodeJS.ProcessEnv, githubToken: string): string[] {
  return [...new Set(actionTokens(env, githubToken).flatMap(tokenForms))];
}

/**
 * THE list of values masked in the text a build produces (its live log, a failure, cache problems,
 * image history, file paths, measurement errors): the build arguments' values and the job's tokens
 * in all their forms. Every build of the pipeline gets it as `secrets` (pipeline/run.ts).
 */
export function buildMasks(buildArgs: ReadonlyArray<readonly [string, string]>, tokens: readonly string[]): string[] {
  return [...new Set([...buildArgs.map(([, value]) => value), ...tokens])];
}

/**
 * `value` with every string in it (in arrays and plain objects too) masked for `masks`: a report,
 * before it is written. What holds no masked text is returned as it is (the same array or object),
 * so a report of thousands of paths is not copied whole to mask none of them.
 */
export function maskStrings<T>(value: T, masks: readonly string[]): T {
  if (masks.length === 0) return value;
  const mask = secretMask(masks);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((x, i) => {
        const y = walk(x);
        if (y !== x) (out ??= [...v])[i] = y;
      });
      return out ?? v;
    }
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const entries = Object.entries(v);
      const masked = entries.map(([k, x]) => [mask(k), walk(x)] as const);
      return masked.every(([k, x], i) => k === entries[i]![0] && x === entries[i]![1]) ? v : Object.fromEntries(masked);
    }
    return v;
  };
  return walk(value) as T;
}

/** A measured image with its file paths masked for `secrets` (a path can carry a build-arg value); the same image when none is. */
export function maskImagePaths(image: ImageStats, secrets: readonly string[]): ImageStats {
  if (!image.files) return image;
  const files = maskFilePaths(image.files, secretMask(secrets));
  return files === image.files ? image : { ...image, files };
}

const SECRET_NAME = /TOKEN|SECRET|PASS|PWD|KEY|AUTH|CRED|PRIVATE|CERT|SESSION|COOKIE|SIGNATURE/i;
const TOKEN_LIKE = /^(gh[pousr]_|github_pat_|AKIA|xox[abp]-|glpat-|sk-)/;

/**
 * Whether a build argument's value is masked in the whole job's log: a secret-looking name or a
 * token-like value. Every build-arg value is masked in what the action writes regardless; masking
 * `DEBUG=true` job-wide would hide every later "true" (and drop job outputs that contain it).
 */
export function maskedJobWide(name: string, value: string): boolean {
  return value.length >= 3 && (SECRET_NAME.test(name) || TOKEN_LIKE.test(value));
}
