// The environment of the docker commands the action starts. The buildx client needs this process's
// environment (DOCKER_HOST, DOCKER_CONFIG, the Actions cache runtime for `type=gha`), but nothing of
// ours that holds a token: the inputs (INPUT_GITHUB-TOKEN among them) and the usual token
// variables. Builds never see the client's environment; this keeps the tokens out of the client
// too (security requirement 7).

/** `env` less the action's inputs and the GitHub token variables. */
export function dockerClientEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('INPUT_') || k === 'GITHUB_TOKEN' || k === 'GH_TOKEN') continue;
    out[k] = v;
  }
  return out;
}
