// Mutation testing of the pure core (npm run mutate). See docs/mutation.md for the scope and results.
// Run on demand only: it takes tens of minutes, so it is not part of `npm test` or CI.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.stryker.config.js', enableFindRelatedTests: true },
  // The tests are ESM (ts-jest with useESM): jest needs the VM modules flag in each test-runner process.
  testRunnerNodeArgs: ['--experimental-vm-modules', '--max-old-space-size=1536'],
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  coverageAnalysis: 'perTest',
  // Mutants only reached while modules load (constant tables) would need the whole suite per mutant:
  // at about 10 s a run that is hours. They are reported as Ignored; see docs/mutation.md.
  ignoreStatic: true,
  concurrency: 2,
  // Jest with ESM keeps every run's modules alive in the runner process (3-4 GB after a few hundred
  // runs, and then each run slows into a false timeout). maxTestRunnerReuse did not recycle the runner
  // here, so the heap is capped instead (testRunnerNodeArgs): a runner that reaches it dies and Stryker
  // retries that mutant in a fresh one.
  maxTestRunnerReuse: 100,
  // The pure core: no I/O, no Docker, no network. The rest of src/github is left out on purpose (see docs).
  mutate: [
    'src/report/**/*.ts', 'src/inputs/**/*.ts', 'src/config/config.ts', 'src/config/yaml-reader.ts', 'src/config/did-you-mean.ts',
    // The security-critical modules (docs/mutation.md, 2026-12-07): who may build, the buildx argv, the
    // redaction of history, the OCI and tar readers of hostile input, and which comment is ours.
    'src/pipeline/trust.ts', 'src/buildx/argv.ts', 'src/image/history.ts', 'src/image/tar.ts', 'src/image/oci.ts', 'src/github/sticky.ts'
  ],
  ignorePatterns: ['dist', '.tmp', 'reports', 'coverage', '.stryker-tmp'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true
};
