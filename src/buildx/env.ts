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

/** What the job's token may do with the Actions cache. */
export interface ActionsCacheAccess {
  readonly read: boolean;
  readonly write: boolean;
  /** The runner's `ACTIONS_CACHE_MODE`, when it limits access. */
  readonly mode?: string;
}

/**
 * The runner's `ACTIONS_CACHE_MODE` (as @actions/cache reads it): `read` when the job's token may
 * only read the cache (an untrusted trigger on the default branch's scope), `none`, `write`,
 * `write-only`. Unset or unknown: read and write, as before the variable existed.
 */
export function actionsCacheAccess(env: NodeJS.ProcessEnv): ActionsCacheAccess {
  const mode = (env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
  switch (mode) {
    case 'none':
      return { read: false, write: false, mode };
    case 'read':
      return { read: true, write: false, mode };
    case 'write-only':
      return { read: false, write: true, mode };
    default:
      return { read: true, write: true };
  }
}
