#!/usr/bin/env bash
# Time from `git clone` to /health with empty caches (issue 15): a fresh clone of this repository,
# an empty npm cache, an empty Maven repository and an empty test-bed cache, then `npm ci` and
# `npm start` (embedded database, Slack pointed at a closed port) until /health answers.
# Usage: bash bench/cold-start.sh [port]   (everything lives in a temporary directory, removed after)
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
PORT=${1:-3999}
W=$(mktemp -d /tmp/orch-cold-XXXXXX)
trap 'pkill -f "$W/orch/src/main.ts" 2>/dev/null; rm -rf "$W"' EXIT
export npm_config_cache=$W/npm-cache MAVEN_OPTS="-Dmaven.repo.local=$W/m2" ORCH_TESTBED_CACHE=$W/testbed-cache
t0=$(date +%s.%N)
git clone -q "$REPO" "$W/orch" && cd "$W/orch" || exit 1
npm ci --no-audit --no-fund > "$W/npm-ci.log" 2>&1 || { echo "npm ci failed:"; tail -20 "$W/npm-ci.log"; exit 1; }
t1=$(date +%s.%N)
cat > .env <<ENV
PUBLIC_URL=http://localhost:$PORT
PORT=$PORT
SLACK_BOT_TOKEN=xoxb-1111-2222-coldstarttoken
SLACK_SIGNING_SECRET=cold-signing-secret-123
HUBSPOT_ACCESS_TOKEN=pat-na1-cold-start-token
HUBSPOT_CLIENT_SECRET=cold-client-secret-123
ORCH_API_TOKEN=cold-start-api-token-0123456789
ORCH_DATA_DIR=$W/data
SLACK_API_URL=http://127.0.0.1:9/api/
HUBSPOT_API_URL=http://127.0.0.1:9
ENV
npm start > "$W/start.log" 2>&1 &
for _ in $(seq 1 1200); do curl -sf "http://localhost:$PORT/health" > /dev/null && break; sleep 0.25; done
t2=$(date +%s.%N)
curl -sf "http://localhost:$PORT/health" > /dev/null || { echo "no /health:"; tail -20 "$W/start.log"; exit 1; }
printf 'clone + npm ci: %.1f s; npm start -> /health: %.1f s; total %.1f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t2 - $t0" | bc)"
grep -o '"kind":"[^"]*"' "$W/start.log" | head -1
