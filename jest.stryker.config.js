// Jest config for Stryker (npm run mutate): the `unit` project of jest.config.js on its own, because
// Stryker's jest-runner overrides the test environment of the root config, not of each project.
import base from './jest.config.js';

const unit = base.projects.find((project) => project.displayName === 'unit');
if (!unit) throw new Error('jest.config.js has no `unit` project');

export default unit;
