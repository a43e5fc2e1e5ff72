// The values masked in what the action writes (pipeline/masks.ts): the job's tokens in every form a
// checkout or a build prints them, and the build arguments' values.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { maskSecrets } from '../../src/buildx/failure.js';
import { actionTokens, base64Inside, buildMasks, maskImagePaths, maskStrings, tokenForms, tokenMasks } from '../../src/pipeline/masks.js';
import { FileSystemModel } from '../../src/image/file-tree.js';
import type { ImageStats } from '../../src/model.js';

const TOKEN = `ghs_${'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6'}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** .git/config as actions/checkout leaves it with persist-credentials: true. */
const gitConfig = (token: string): string =>
  [
    '[core]',
    '\trepositoryformatversion = 0',
    '[remote "origin"]',
    '\turl = https://github.com/o/r',
    '[http "https://github.com/"]',
    `\textraheader = AUTHORIZATION: basic ${b64(`x-access-token:${token}`)}`,
    ''
  ].join('\n');

describe('tokenForms', () => {
  test('masks the header line actions/checkout writes, whole', () => {
    const masked = maskSecrets(gitConfig(TOKEN), tokenForms(TOKEN));
    expect(masked).toContain('\textraheader = AUTHORIZATION: ***\n');
    expect(masked).not.toContain(b64(`x-access-token:${TOKEN}`).slice(0, 12));
  });

  test('masks the raw token and its base64, alone or in other text', () => {
    const forms = tokenForms(TOKEN);
    for (const text of [TOKEN, `x-access-token:${TOKEN}`, b64(TOKEN), `token=${b64(TOKEN)};`]) {
      expect(maskSecrets(text, forms)).not.toMatch(/ghs_|Z2hzX/);
    }
  });

  test('masks the credential inside the base64 of a longer text, at every alignment', () => {
    const forms = tokenForms(TOKEN);
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
      const encoded = b64(prefix + gitConfig(TOKEN));
      const masked = maskSecrets(encoded, forms);
      expect([prefix, masked.includes('***')]).toEqual([prefix, true]);
      // What is left of the credential's encoding is at most a few characters at each end.
      const credential = b64(`x-access-token:${TOKEN}`);
      expect([prefix, base64Inside(credential).some((f) => masked.includes(f.slice(4, -4)))]).toEqual([prefix, false]);
    }
  });

  test('property: the base64 of any text holding the token holds one of its aligned forms', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 12, maxLength: 60 }), (before, after, token) => {
        const encoded = Buffer.from(before + token + after).toString('base64');
        expect(base64Inside(token).some((f) => encoded.includes(f))).toBe(true);
      })
    );
  });

  test('agrees with coreutils base64 on the header (as a shell in a build prints it)', () => {
    const line = execFileSync('base64', ['-w', '0'], { input: gitConfig(TOKEN), encoding: 'utf8' });
    expect(maskSecrets(line, tokenForms(TOKEN))).toContain('***');
  });

  test('short derived forms are left out; an empty token has none', () => {
    expect(tokenForms('')).toEqual([]);
    expect(tokenForms('abcd').filter((f) => f !== 'abcd').every((f) => f.length >= 12)).toBe(true);
  });
});

describe('actionTokens and tokenMasks', () => {
  test('the github-token input and the token variables, each once, blanks ignored', () => {
    const env = { GITHUB_TOKEN: TOKEN, GH_TOKEN: ' ', ACTIONS_RUNTIME_TOKEN: 'runtime-jwt-value', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request', HOME: '/h' };
    expect(actionTokens(env, TOKEN)).toEqual([TOKEN, 'runtime-jwt-value', 'oidc-request']);
    expect(actionTokens({}, '')).toEqual([]);
    const masks = tokenMasks(env, TOKEN);
    expect(masks).toEqual(expect.arrayContaining([TOKEN, 'runtime-jwt-value', b64(`x-access-token:${TOKEN}`), `basic ${b64(`x-access-token:${TOKEN}`)}`]));
    expect(new Set(masks).size).toBe(masks.length);
  });

  test('buildMasks is the build-argument values and the token forms, in one list', () => {
    expect(buildMasks([['A', 'one'], ['B', TOKEN]], tokenForms(TOKEN))).toEqual(['one', ...tokenForms(TOKEN)]);
  });
});

describe('maskStrings', () => {
  test('masks every string of a report-like value, keys included, and keeps the rest', () => {
    const value = { a: `x${TOKEN}`, n: 3, list: [TOKEN, { [TOKEN]: true }], none: null, flag: false };
    expect(maskStrings(value, [TOKEN])).toEqual({ a: 'x***', n: 3, list: ['***', { '***': true }], none: null, flag: false });
    expect(maskStrings(value, [])).toBe(value);
  });

  test('copies only what holds a masked text: the rest is the same object, and the input is left as it was', () => {
    const paths = Array.from({ length: 1000 }, (_, i) => ({ path: `usr/lib/file-${i}`, bytes: i }));
    const value = { head: { files: paths, layers: [{ digest: 'sha256:ab', createdBy: `RUN echo ${TOKEN}` }] }, base: { files: paths } };
    const before = JSON.stringify(value);
    const masked = maskStrings(value, [TOKEN, 'absent-value']);
    expect(masked.head.layers[0]!.createdBy).toBe('RUN echo ***');
    expect(masked).not.toBe(value);
    expect(masked.head).not.toBe(value.head);
    expect(masked.head.files).toBe(paths);
    expect(masked.base).toBe(value.base);
    expect(JSON.stringify(value)).toBe(before);
    expect(maskStrings(value.base, [TOKEN])).toBe(value.base);
  });
});

describe('maskImagePaths', () => {
  const files = new FileSystemModel()
    .applyLayer([
      { path: 'etc/app.conf', type: 'file', size: 10 },
      { path: `opt/${TOKEN}/key`, type: 'file', size: 20 }
    ])
    .result();
  const image = { target: 'app', compressedBytes: 30, files } as unknown as ImageStats;

  test('a path holding a secret is masked, and the rest of the image kept', () => {
    const masked = maskImagePaths(image, [TOKEN]);
    expect([...masked.files!.final.keys()]).toEqual(['etc/app.conf', 'opt/***/key']);
    expect(masked).toMatchObject({ target: 'app', compressedBytes: 30 });
  });

  test('nothing to mask: the same image, not a copy', () => {
    expect(maskImagePaths(image, ['absent-value'])).toBe(image);
    const noFiles = { target: 'app' } as unknown as ImageStats;
    expect(maskImagePaths(noFiles, [TOKEN])).toBe(noFiles);
  });
});
