// Which proxy a request goes through (src/http.ts proxyFor), read as @actions/http-client reads the
// variables: the test cases are those of its getProxyUrl and checkBypass, and each answer is checked
// against the library's own functions.
import { proxyFor } from '../../src/http.js';
import { checkBypass, getProxyUrl } from '../../node_modules/@actions/http-client/lib/proxy.js';

type Env = Record<string, string | undefined>;

/** The library's answer for `url` under `env` (it reads process.env). */
function libraryProxy(url: URL, env: Env): string | undefined {
  const saved = { ...process.env };
  for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return checkBypass(url) ? undefined : getProxyUrl(url)?.href;
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

const cases: Array<[string, Env, string | undefined]> = [
  ['https://results.example.com/x', { HTTPS_PROXY: 'http://proxy:3128' }, 'http://proxy:3128'],
  ['https://results.example.com/x', { HTTPS_PROXY: '10.0.0.1:3128' }, 'http://10.0.0.1:3128'],
  ['https://results.example.com/x', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }, 'http://lower:1'],
  ['http://results.example.com/x', { HTTPS_PROXY: 'http://proxy:3128' }, undefined],
  ['http://results.example.com/x', { HTTP_PROXY: 'http://p:8080' }, 'http://p:8080'],
  ['https://results.example.com/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com' }, undefined],
  ['https://results.example.com/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.example.com' }, undefined],
  ['https://results.example.com/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'other.com, results.example.com:443' }, undefined],
  ['https://results.example.com:8443/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'results.example.com:443' }, 'http://p:1'],
  ['https://results.example.com/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'ample.com' }, 'http://p:1'],
  ['https://results.example.com/x', { HTTPS_PROXY: 'http://p:1', no_proxy: '*' }, undefined],
  ['https://RESULTS.example.com/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'results.EXAMPLE.com' }, undefined],
  ['http://127.0.0.1:8080/x', { HTTP_PROXY: 'http://p:1' }, undefined],
  ['http://localhost/x', { HTTP_PROXY: 'http://p:1' }, undefined],
  ['http://[::1]:9/x', { HTTP_PROXY: 'http://p:1' }, undefined],
  ['https://results.example.com/x', {}, undefined]
];

describe('proxyFor: the proxy of a request, as @actions/http-client chooses it', () => {
  test.each(cases)('%s with %j: %s', (url, env, expected) => {
    expect(proxyFor(new URL(url), env)).toBe(expected);
    // The library agrees (its URL object adds a trailing slash to a bare proxy host:port).
    expect(libraryProxy(new URL(url), env)?.replace(/\/$/, '')).toBe(expected);
  });

  test('a host name and port without a scheme is a proxy over http, where the library would take the name for a scheme', () => {
    const url = new URL('https://results.example.com/x');
    expect(proxyFor(url, { HTTPS_PROXY: 'proxy.corp:3128' })).toBe('http://proxy.corp:3128');
    // The library parses `proxy.corp:3128` as a URL of scheme `proxy.corp:`, with no host to connect to.
    expect(libraryProxy(url, { HTTPS_PROXY: 'proxy.corp:3128' })).toBe('proxy.corp:3128');
  });
});
