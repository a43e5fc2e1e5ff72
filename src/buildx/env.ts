// The environment of the docker commands the action starts. The buildx client needs this process's
// environment (DOCKER_HOST, DOCKER_CONFIG, the Actions cache runtime for `type=gha`), but nothing of
// ours that holds a token: the inputs (INPUT_GITHUB-TOKEN among them) and the usual token
// variables. Builds never see the client's environment; this keeps the tokens out of the client
// too (security requirement 7). A stranger's code (pipeline/trust.ts) gets a client without the
// Actions runtime either: buildx would hand its token to the gha cache, whose attributes reach the
// frontend, so such a build has no gha cache and nothing of the runtime within reach.

/** Names that hold a credential by their looks (`*_TOKEN`, `*SECRET*`, `*PASSWORD*`, ...), left out for a stranger's build. */
const CREDENTIAL_NAME = /TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY/i;

export interface ClientEnvOptions {
  /**
   * The build is a stranger's code in a privileged run (pipeline/trust.ts): every `ACTIONS_*`
   * variable (ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_URL, ACTIONS_RESULTS_URL, ACTIONS_ID_TOKEN_REQUEST_URL
   * and _TOKEN, ...) and every variable whose name reads as a credential are left out too.
   */
  readonly untrusted?: boolean;
}

/** `env` less the action's inputs and the GitHub token variables (and, for a stranger's build, the runtime and credentials). */
export function dockerClientEnv(env: NodeJS.ProcessEnv, options: ClientEnvOptions = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('INPUT_') || k === 'GITHUB_TOKEN' || k === 'GH_TOKEN') continue;
    if (options.untrusted && (k.startsWith('ACTIONS_') || CREDENTIAL_NAME.test(k))) continue;
    out[k] = v;
  }
  return out;
}
