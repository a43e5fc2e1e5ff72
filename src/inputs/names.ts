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
  metric: 'metric',
  maxIncrease: 'max-increase',
  maxSize: 'max-size',
  maxLayers: 'max-layers',
  maxWasted: 'max-wasted',
  failOnRegression: 'fail-on-regression',
  comment: 'comment',
  commentKey: 'comment-key',
  details: 'details',
  githubToken: 'github-token',
  allowForkBuilds: 'allow-fork-builds',
  mode: 'mode',
  reports: 'reports',
  name: 'name'
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
  [INPUT.details]: 'layers,files',
  [INPUT.allowForkBuilds]: 'false',
  [INPUT.mode]: 'measure'
} as const satisfies Partial<Record<InputName, string>>;
