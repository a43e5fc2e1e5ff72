#!/usr/bin/env bash
# The test command (npm test): provisions what is missing, type-checks, rebuilds dist/ (the e2e tests
# run the bundle the way the runner does), then runs every suite: unit, integration and e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER_HOST=$(bash scripts/provision.sh | tail -n 1)
export DOCKER_HOST
echo "test: Docker engine at $DOCKER_HOST"
[ -d node_modules ] || npm ci
npx tsc --noEmit -p tsconfig.json
npm run --silent build >/dev/null
mkdir -p .tmp
rm -f .tmp/jest.json
set +e
NODE_OPTIONS=--experimental-vm-modules npx jest --ci --runInBand --json --outputFile=.tmp/jest.json "$@"
status=$?
set -e
node -e '
  const fs = require("fs");
  if (!fs.existsSync(".tmp/jest.json")) { console.log("tests: 0 passed, 1 failed (jest did not run)"); process.exit(0); }
  const r = JSON.parse(fs.readFileSync(".tmp/jest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  // A suite that could not run counts as a failed test, so the closing line never reads "0 failed" then.
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  if (r.numRuntimeErrorTestSuites) console.log(`suites that could not run: ${r.numRuntimeErrorTestSuites}`);
  console.log(`tests: ${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
exit $status
