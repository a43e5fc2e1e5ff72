// The build plan the buildx argv tests start from (unit/buildx.test.ts, unit/argv-hostile-values.test.ts):
// the release stage of /w/Dockerfile, no platforms, build arguments, network or builder, no cache
// but scopes to read and write, into an OCI layout at /tmp/out. A test spreads its change over it:
// `buildxArgv({ ...PLAN, stage: undefined })`.
import type { BuildPlan } from '../../src/buildx/argv.js';

export const PLAN: BuildPlan = {
  context: '/w',
  file: '/w/Dockerfile',
  stage: 'release',
  platforms: [],
  buildArgs: [],
  network: undefined,
  builder: undefined,
  cache: { type: 'none' },
  cacheScopes: { from: ['s-head', 's-base'], to: 's-head' },
  cacheExport: true,
  outputDir: '/tmp/out',
  metadataFile: '/tmp/meta.json'
};
