// The one place that spells the action's input names (as in action.yml) and their defaults.

export const INPUT = {
  context: 'context',
  file: 'file',
  targets: 'targets',
  config: 'config',
  buildArgs: 'build-args',
  platforms: 'platforms',
  network: 'network',
  builder: 'builder',
  cache: 'cache',
  baseline: 'baseline',
  baseRef: 'base-ref',
  baseImage: 'base-image',
  images: 'images',
  metric: 'metric',
  maxIncrease: 'max-increase',
  maxSize: 'max-size',
  maxLayers: 'max-layers',
  maxWasted: 'max-wasted',
  failOnRegression: 'fail-on-regression',
  comment: 'comment',
  commentKey: 'comment-key',
  details: 'details',
  advice: 'advice',
  githubToken: 'github-token',
  allowForkBuilds: 'allow-fork-builds',
  mode: 'mode',
  reports: 'reports',
  name: 'name',
  // docker/build-push-action's names, so that a build step's `with:` can be copied.
  secrets: 'secrets',
  secretFiles: 'secret-files',
  secretEnvs: 'secret-envs',
  ssh: 'ssh',
  buildContexts: 'build-contexts',
  labels: 'labels',
  noCache: 'no-cache',
  pull: 'pull',
  shmSize: 'shm-size',
  ulimit: 'ulimit',
  addHosts: 'add-hosts',
  allow: 'allow',
  provenance: 'provenance',
  sbom: 'sbom'
} as const;

export type InputName = (typeof INPUT)[keyof typeof INPUT];

/** Values used when an input is empty. Inputs not listed here are optional and have no default. */
export const DEFAULTS = {
  [INPUT.context]: '.',
  [INPUT.cache]: 'gha',
  [INPUT.baseline]: 'auto',
  [INPUT.metric]: 'compressed',
  [INPUT.failOnRegression]: 'true',
  [INPUT.comment]: 'always',
  [INPUT.commentKey]: 'image-budget',
  [INPUT.details]: 'layers,files,trend',
  [INPUT.advice]: 'true',
  [INPUT.allowForkBuilds]: 'false',
  [INPUT.mode]: 'measure',
  [INPUT.noCache]: 'false',
  [INPUT.pull]: 'false'
} as const satisfies Partial<Record<InputName, string>>;
