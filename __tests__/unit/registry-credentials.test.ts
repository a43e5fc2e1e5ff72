// The pure pieces of talking to a registry: docker configs and credential-helper answers read as the
// docker CLI reads them, WWW-Authenticate challenges, Retry-After, loopback hosts, token answers,
// and the error messages, which name the reference and never a secret.
import {
  DOCKER_HUB_AUTH_KEY,
  authKey,
  credentialsFromConfig,
  dockerConfigPath,
  helperFor,
  isNotFoundAnswer,
  keyHost,
  parseDockerConfig,
  parseHelperOutput
} from '../../src/registry/credentials.js';
import { errorCodes, statusError, type Subject } from '../../src/registry/errors.js';
import { isLoopback } from '../../src/http.js';
import { parseChallenges, retryAfterSeconds } from '../../src/registry/http.js';
import { manifestMediaType, tokenOf } from '../../src/registry/client.js';
import { MediaType } from '../../src/image/oci.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('docker config', () => {
  test('where docker reads it', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/cfg' }, '/home/u')).toBe('/cfg/config.json');
    expect(dockerConfigPath({}, '/home/u')).toBe('/home/u/.docker/config.json');
  });

  test('auth (base64 user:password, the password may hold colons), username/password, identity token', () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          'ghcr.io': { auth: b64('octo:pa:ss') },
          'https://registry.example.com/v1/': { username: 'u', password: 'p' },
          'quay.io': { auth: b64('robot:x'), identitytoken: 'refresh-1' },
          [DOCKER_HUB_AUTH_KEY]: { auth: b64('hubuser:hubpass') },
          'empty.io': {}
        }
      }),
      '/cfg/config.json'
    );
    expect(credentialsFromConfig(config, 'ghcr.io', '/cfg/config.json')).toEqual({ kind: 'basic', username: 'octo', password: 'pa:ss', source: '/cfg/config.json ("auths" entry "ghcr.io")' });
    expect(credentialsFromConfig(config, 'registry.example.com', 'f')).toMatchObject({ kind: 'basic', username: 'u', password: 'p' });
    expect(credentialsFromConfig(config, 'quay.io', 'f')).toMatchObject({ kind: 'identity-token', token: 'refresh-1', username: 'robot' });
    expect(credentialsFromConfig(config, 'docker.io', 'f')).toMatchObject({ kind: 'basic', username: 'hubuser', source: `f ("auths" entry "${DOCKER_HUB_AUTH_KEY}")` });
    expect(credentialsFromConfig(config, 'empty.io', 'f')).toBeUndefined();
    expect(credentialsFromConfig(config, 'other.io', 'f')).toBeUndefined();
  });

  test('keys: Docker Hub under its legacy URL; others by host, with or without scheme and path', () => {
    expect(authKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(authKey('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(keyHost('https://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
    expect(keyHost('ghcr.io')).toBe('ghcr.io');
  });

  test('credHelpers for the host win over credsStore', () => {
    const config = parseDockerConfig(JSON.stringify({ credsStore: 'desktop', credHelpers: { 'ghcr.io': 'gh', [DOCKER_HUB_AUTH_KEY]: 'hub' } }), 'f');
    expect(helperFor(config, 'ghcr.io')).toBe('gh');
    expect(helperFor(config, 'docker.io')).toBe('hub');
    expect(helperFor(config, 'quay.io')).toBe('desktop');
    expect(helperFor(parseDockerConfig('{}', 'f'), 'quay.io')).toBeUndefined();
  });

  test('a malformed config names the file and the field, never its content', () => {
    expect(() => parseDockerConfig('{"auths": {"h": {"auth": "secret-value"', '/cfg/config.json')).toThrow('Malformed docker config /cfg/config.json: not valid JSON');
    expect(() => parseDockerConfig(JSON.stringify({ auths: { h: { password: 42 } } }), 'f')).toThrow('Malformed docker config f: "auths" entry "h" field "password" must be a string');
    expect(() => parseDockerConfig(JSON.stringify({ auths: [] }), 'f')).toThrow('"auths" must be an object');
    const config = parseDockerConfig(JSON.stringify({ auths: { h: { auth: b64('no-colon-secret') } } }), 'f');
    expect(() => credentialsFromConfig(config, 'h', 'f')).toThrow('Malformed docker config f ("auths" entry "h"): "auth" must be base64 of user:password');
    expect(() => credentialsFromConfig(config, 'h', 'f')).not.toThrow('no-colon-secret');
  });
});

describe('credential helper answers', () => {
  test('user and secret; <token> means an identity token; an empty secret means none', () => {
    expect(parseHelperOutput('{"ServerURL":"h","Username":"u","Secret":"s"}', 'pass', 'h')).toEqual({ kind: 'basic', username: 'u', password: 's', source: 'credential helper docker-credential-pass for h' });
    expect(parseHelperOutput('{"Username":"<token>","Secret":"refresh"}', 'pass', 'h')).toMatchObject({ kind: 'identity-token', token: 'refresh' });
    expect(parseHelperOutput('{"Username":"","Secret":""}', 'pass', 'h')).toBeUndefined();
  });

  test('anything else is an error naming the helper, never echoing its output', () => {
    expect(() => parseHelperOutput('user:secret-text', 'pass', 'h')).toThrow('The credential helper docker-credential-pass for h answered something other than JSON');
    expect(() => parseHelperOutput('{"Secret":"secret-text"}', 'pass', 'h')).toThrow('answered JSON without the strings "Username" and "Secret"');
    expect(() => parseHelperOutput('{"Secret":"secret-text"}', 'pass', 'h')).not.toThrow('secret-text');
  });

  test('"credentials not found" is anonymous', () => {
    expect(isNotFoundAnswer('credentials not found in native keychain\n')).toBe(true);
    expect(isNotFoundAnswer('error getting credentials')).toBe(false);
  });
});

describe('WWW-Authenticate', () => {
  test('Bearer with quoted parameters, commas inside quotes, escapes', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push",error="insufficient_scope"');
    expect(c!.scheme).toBe('bearer');
    expect(Object.fromEntries(c!.params)).toEqual({ realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull,push', error: 'insufficient_scope' });
    expect(parseChallenges('Bearer realm="a\\"b"')[0]!.params.get('realm')).toBe('a"b');
  });

  test('several challenges, tokens and token68', () => {
    const cs = parseChallenges('Basic realm="Registry Realm", Bearer realm=https://t/token, service=svc, Newauth abc==');
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'newauth']);
    expect(cs.slice(0, 2).map((c) => Object.fromEntries(c.params))).toEqual([{ realm: 'Registry Realm' }, { realm: 'https://t/token', service: 'svc' }]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: new Map() }]);
  });
});

describe('small answers', () => {
  test('Retry-After in seconds or as a date', () => {
    expect(retryAfterSeconds('7')).toBe(7);
    expect(retryAfterSeconds('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30);
    expect(retryAfterSeconds(undefined)).toBeUndefined();
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });

  test('loopback hosts: 127.0.0.0/8, localhost, ::1', () => {
    for (const host of ['127.0.0.1:5000', '127.1.2.3', 'localhost:5000', 'localhost', '[::1]:5000']) expect(isLoopback(host)).toBe(true);
    for (const host of ['128.0.0.1', 'ghcr.io', '10.0.0.1:5000', '127.example.com', '[::2]']) expect(isLoopback(host)).toBe(false);
  });

  test('token or access_token', () => {
    const missing = (): Error => new Error('missing');
    expect(tokenOf(Buffer.from('{"token":"t1","access_token":"t2"}'), missing)).toBe('t1');
    expect(tokenOf(Buffer.from('{"access_token":"t2"}'), missing)).toBe('t2');
    expect(() => tokenOf(Buffer.from('{"token":""}'), missing)).toThrow('missing');
    expect(() => tokenOf(Buffer.from('{"token":"a\\nb"}'), missing)).toThrow('missing');
    expect(() => tokenOf(Buffer.from('<html>'), missing)).toThrow('missing');
  });

  test('a manifest\'s media type: Content-Type, else its mediaType, else by shape', () => {
    const unknown = (): Error => new Error('unknown');
    expect(manifestMediaType(`${MediaType.dockerManifest}; charset=utf-8`, Buffer.from('{}'), unknown)).toBe(MediaType.dockerManifest);
    expect(manifestMediaType('application/json', Buffer.from(JSON.stringify({ mediaType: MediaType.ociIndex })), unknown)).toBe(MediaType.ociIndex);
    expect(manifestMediaType(undefined, Buffer.from('{"schemaVersion":2,"manifests":[]}'), unknown)).toBe(MediaType.ociIndex);
    expect(manifestMediaType(undefined, Buffer.from('{"schemaVersion":2,"layers":[]}'), unknown)).toBe(MediaType.ociManifest);
    expect(() => manifestMediaType('application/vnd.docker.distribution.manifest.v1+prettyjws', Buffer.from('{"schemaVersion":1,"mediaType":"x"}'), unknown)).toThrow('unknown');
  });
});

describe('error messages', () => {
  const subject: Subject = { reference: 'ghcr.io/acme/app:main', host: 'ghcr.io', domain: 'ghcr.io', what: 'the tag main' };
  const withCreds: Subject = { ...subject, credentials: { kind: 'basic', username: 'octo', password: 'hunter2', source: '/cfg/config.json ("auths" entry "ghcr.io")' } };

  test('each status its kind, the reference first, what to do last', () => {
    expect(statusError(401, subject, ['UNAUTHORIZED'])).toMatchObject({ kind: 'unauthorized', status: 401, reference: 'ghcr.io/acme/app:main' });
    expect(statusError(401, subject, []).message).toBe(
      'ghcr.io/acme/app:main: ghcr.io refused anonymous access for the tag main (401 Unauthorized); the image is private or the registry wants a login: docker login ghcr.io (in a workflow, docker/login-action) before measuring'
    );
    expect(statusError(403, withCreds, ['DENIED']).kind).toBe('forbidden');
    expect(statusError(404, subject, ['MANIFEST_UNKNOWN']).kind).toBe('not-found');
    expect(statusError(429, subject, [], 30)).toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 30 });
    expect(statusError(429, subject, []).message).toContain('retry later, or log in for a higher limit');
    expect(statusError(502, subject, []).message).toBe('ghcr.io/acme/app:main: ghcr.io failed to answer the tag main (502 Bad Gateway); try again later');
    expect(statusError(418, subject, []).kind).toBe('bad-response');
  });

  test('credentials are named by where they came from, never by their secret', () => {
    for (const status of [401, 403, 404, 429]) {
      const message = statusError(status, withCreds, []).message;
      expect(message).not.toContain('hunter2');
      if (status !== 429) expect(message).toContain('/cfg/config.json ("auths" entry "ghcr.io")');
    }
  });

  test('only plain upper-case error codes are kept from a body', () => {
    expect(errorCodes('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"},{"code":"MANIFEST_UNKNOWN"}]}')).toEqual(['MANIFEST_UNKNOWN']);
    expect(errorCodes('{"errors":[{"code":"<script>"},{"code":"token=abc"}]}')).toEqual([]);
    expect(errorCodes('not json')).toEqual([]);
  });
});
