#!/usr/bin/env bash
# Runs the command line's `compare` (dist/cli/index.js, the engine the action runs) on the bundled
# example (examples/hello): builds the base and a changed head commit on the local Docker engine and
# prints the comparison in the terminal, exiting as the pull request's check would.
#   npm run example                           # the example's default change and budgets
#   npm run example -- max-increase=50%       # any input as NAME=value (the action's input names)
#   npm run example -- --max-size 100kB --json  # or as the command line's own flags
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DOCKER_HOST=$(bash scripts/engine.sh ensure | tail -n 1)
export DOCKER_HOST
echo "example: Docker engine at $DOCKER_HOST" >&2
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli/index.js ] || npm run --silent build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo"
cp -R examples/hello/. "$repo/"
g() { git -C "$repo" -c user.name=example -c user.email=example@invalid -c commit.gpgsign=false "$@"; }
g init -q -b main
g add -A && g commit -qm "base: release ships only the program"
# The "pull request": on a branch, the release stage now also ships the sources next to the program.
g checkout -q -b sources
sed -i 's#^COPY --from=builder /out/ /app/#COPY --from=builder /out/ /app/\nCOPY --from=builder /src/ /app/src/#' "$repo/Dockerfile"
g commit -qam "head: release also ships the sources"

# NAME=value (an action input) becomes --NAME=value; base-ref is --base. Flags pass as they are.
args=()
for a in "$@"; do
  case "$a" in
    -*) args+=("$a") ;;
    base-ref=*) args+=("--base=${a#base-ref=}") ;;
    *=*) args+=("--$a") ;;
    *) args+=("$a") ;;
  esac
done
# The example's own settings, each unless the command line gives it (a budget given twice would be
# two budgets, not a replacement).
for kv in base=main targets=release,debug max-increase=10% network=none; do
  name=${kv%%=*}
  given=false
  for a in ${args[@]+"${args[@]}"}; do
    case "$a" in "--$name" | "--$name="*) given=true ;; esac
  done
  $given || args+=("--$kv")
done

NODE24="$root/node_modules/node/bin/node"
[ -x "$NODE24" ] || NODE24=node
set +e
(cd "$repo" && "$NODE24" "$root/dist/cli/index.js" compare "${args[@]}")
status=$?
set -e
case $status in
  0) echo "example: within budget (exit 0)" >&2 ;;
  1) echo "example: a budget is broken (exit 1), as the pull request's check would fail" >&2 ;;
  *) echo "example: the comparison could not run (exit $status)" >&2 ;;
esac
exit $status
