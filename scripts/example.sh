#!/usr/bin/env bash
# Runs the action's main job locally on the bundled example (examples/hello): builds the base and a
# changed head commit on the local Docker engine and prints the report the pull request would get.
#   npm run example                        # the example's default change and budgets
#   npm run example -- max-increase=50%    # any input as NAME=value
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DOCKER_HOST=$(bash scripts/engine.sh ensure | tail -n 1)
export DOCKER_HOST
echo "example: Docker engine at $DOCKER_HOST" >&2
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/index.js ] || npm run --silent build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo"
cp -R examples/hello/. "$repo/"
g() { git -C "$repo" -c user.name=example -c user.email=example@invalid -c commit.gpgsign=false "$@"; }
g init -q -b main
g add -A && g commit -qm "base: release ships only the program"
base=$(g rev-parse HEAD)
# The "pull request": the release stage now also ships the sources next to the program.
sed -i 's#^COPY --from=builder /out/ /app/#COPY --from=builder /out/ /app/\nCOPY --from=builder /src/ /app/src/#' "$repo/Dockerfile"
g commit -qam "head: release also ships the sources"

NODE24="$root/node_modules/node/bin/node"
[ -x "$NODE24" ] || NODE24=node
export GITHUB_WORKSPACE="$repo" GITHUB_EVENT_NAME=workflow_dispatch GITHUB_EVENT_PATH="$work/event.json"
export GITHUB_REPOSITORY=example/hello GITHUB_SHA=$(g rev-parse HEAD) RUNNER_TEMP="$work/tmp"
export GITHUB_OUTPUT="$work/outputs" GITHUB_STEP_SUMMARY="$work/summary.md"
: > "$GITHUB_OUTPUT"; : > "$GITHUB_STEP_SUMMARY"
echo '{}' > "$GITHUB_EVENT_PATH"
# The inputs as a workflow would give them: action.yml's defaults, the example's own, then the
# command line's. `env` sets them, since INPUT_MAX-INCREASE is no shell variable name.
inputs=()
while IFS= read -r kv; do inputs+=("$kv"); done < <(
  "$NODE24" -e '
    const y = require("fs").readFileSync(process.argv[1], "utf8");
    let cur;
    for (const line of y.split("\n")) {
      let m = /^  ([a-z-]+):$/.exec(line); if (m) { cur = m[1]; continue; }
      m = /^    default: (.*)$/.exec(line);
      if (m && cur && !m[1].includes("${{")) console.log(`${cur}=${m[1].replace(/^\x27|\x27$/g, "")}`);
    }' "$root/action.yml")
inputs+=("targets=release, debug" "max-increase=10%" "network=none" "base-ref=$base" "cache=none" "$@")
envs=()
for kv in "${inputs[@]}"; do name=${kv%%=*}; envs+=("INPUT_${name^^}=${kv#*=}"); done
set +e
env "${envs[@]}" "$NODE24" "$root/dist/index.js"
status=$?
set -e
echo
echo "──── the report (job summary; the pull-request comment is the same) ────"
cat "$GITHUB_STEP_SUMMARY"
echo
if [ $status -eq 0 ]; then echo "example: the action passed" >&2; else echo "example: the action failed the step (exit $status), as it would on the pull request" >&2; fi
exit $status
