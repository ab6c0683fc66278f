#!/usr/bin/env bash
# Installs what the tests need (npm packages from the lockfile, Debian packages) and runs every
# suite: typecheck, lint, unit + integration tests, sandbox conformance. Ends with a plain
# "N passed, N failed" line summing all suites.
set -uo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || exit 1
fi
has_pymongo() { for py in python3 /usr/bin/python3; do "$py" -c 'import pymongo' 2>/dev/null && return 0; done; return 1; }
if ! has_pymongo; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pymongo) >/dev/null 2>&1 \
      || echo "note: python3-pymongo could not be installed; the pymongo smoke test will be skipped"
  fi
fi

status=0
npm run --silent typecheck || status=1
npm run --silent lint || status=1

results=$(mktemp -d)
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || status=1
npx tsx test/conformance/run.ts 2>&1 | tee "$results/conformance.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

node scripts/summarize.mjs "$results" || status=1
exit $status
