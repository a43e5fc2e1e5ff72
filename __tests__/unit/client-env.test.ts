// The docker client's environment (buildx/env.ts): never a token of ours; for a stranger's build
// (pipeline/trust.ts) no Actions runtime and nothing named like a credential either.
import { describe, expect, test } from '@jest/globals';
import { dockerClientEnv } from '../../src/buildx/env.js';

const ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/bin',
  HOME: '/home/runner',
  DOCKER_HOST: 'unix:///var/run/docker.sock',
  DOCKER_CONFIG: '/home/runner/.docker',
  BUILDX_BUILDER: 'ci',
  GITHUB_WORKSPACE: '/w',
  GITHUB_REPOSITORY: 'o/r',
  RUNNER_TEMP: '/t',
  'INPUT_GITHUB-TOKEN': 'ghs_input',
  INPUT_TARGETS: 'release',
  GITHUB_TOKEN: 'ghs_env',
  GH_TOKEN: 'ghs_gh',
  ACTIONS_RUNTIME_TOKEN: 'jwt',
  ACTIONS_RUNTIME_URL: 'https://runtime/',
  ACTIONS_CACHE_URL: 'https://cache/',
  ACTIONS_RESULTS_URL: 'https://results/',
  ACTIONS_CACHE_SERVICE_V2: 'True',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc/',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
  NPM_TOKEN: 'npm_x',
  AWS_SECRET_ACCESS_KEY: 'aws',
  REGISTRY_PASSWORD: 'pw'
};

describe('dockerClientEnv', () => {
  test('a trusted build keeps everything but the inputs and the GitHub token variables (the gha cache needs the runtime)', () => {
    const out = dockerClientEnv(ENV);
    const dropped = ['INPUT_GITHUB-TOKEN', 'INPUT_TARGETS', 'GITHUB_TOKEN', 'GH_TOKEN'];
    expect(Object.keys(out).sort()).toEqual(Object.keys(ENV).filter((k) => !dropped.includes(k)).sort());
    expect(out.ACTIONS_RUNTIME_TOKEN).toBe('jwt');
  });

  test("a stranger's build keeps what the client needs, and no runtime, cache or OIDC variable, nor anything named like a credential", () => {
    const out = dockerClientEnv(ENV, { untrusted: true });
    expect(out).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      DOCKER_HOST: 'unix:///var/run/docker.sock',
      DOCKER_CONFIG: '/home/runner/.docker',
      BUILDX_BUILDER: 'ci',
      GITHUB_WORKSPACE: '/w',
      GITHUB_REPOSITORY: 'o/r',
      RUNNER_TEMP: '/t'
    });
  });

  test('does not change what it is given', () => {
    const copy = { ...ENV };
    dockerClientEnv(ENV, { untrusted: true });
    expect(ENV).toEqual(copy);
  });
});
