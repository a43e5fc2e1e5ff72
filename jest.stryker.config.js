// Jest config for Stryker (npm run mutate): the `unit` project of jest.config.js on its own, because
// Stryker's jest-runner overrides the test environment of the root config, not of each project.
// The property-based (properties-*) and security* suites are left out: each runs hundreds of generated
// cases, which Stryker would repeat for every mutant, and the scores in docs/mutation.md are for the
// example-based unit tests.
import base from './jest.config.js';

const unit = base.projects.find((project) => project.displayName === 'unit');
if (!unit) throw new Error('jest.config.js has no `unit` project');

export default {
  ...unit,
  testPathIgnorePatterns: ['/node_modules/', '/__tests__/unit/properties-[^/]*\\.test\\.ts$', '/__tests__/unit/security[^/]*\\.test\\.ts$']
};
