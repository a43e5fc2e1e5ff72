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
NODE_OPTIONS=--experimental-vm-modules npx jest --runInBand --json --outputFile=.tmp/jest.json "$@"
status=$?
set -e
node -e '
  const fs = require("fs");
  if (!fs.existsSync(".tmp/jest.json")) { console.log("tests: 0 passed, 1 failed (jest did not run)"); process.exit(0); }
  const r = JSON.parse(fs.readFileSync(".tmp/jest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numFailedTestSuites || r.numRuntimeErrorTestSuites) console.log(`suites failing: ${r.numFailedTestSuites + r.numRuntimeErrorTestSuites}`);
'
exit $status
