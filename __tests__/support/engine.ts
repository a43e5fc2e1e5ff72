// The e2e tests run against a real Docker engine. When none answers, `scripts/engine.sh ensure`
// provisions one (as CI does); when that is impossible it throws, so the tests fail, never skip.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dirname of the module's own path, not `new URL('../..', import.meta.url)`: ncc (bench/) would
// turn that into an asset reference.
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: string | undefined;

/** The DOCKER_HOST of a running engine with buildx and the local base images. */
export function ensureEngine(): string {
  if (cached) return cached;
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/engine.sh'), 'ensure'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 5 * 60_000
  });
  const host = out.trim().split('\n').pop();
  if (!host) throw new Error('scripts/engine.sh printed no DOCKER_HOST');
  process.env.DOCKER_HOST = host;
  cached = host;
  return host;
}
