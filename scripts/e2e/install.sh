#!/usr/bin/env bash
# Installs what the VS Code layer (test/integration) needs, once per checkout, everything from npm and
# Debian (VS Code's own download servers are not reachable from CI):
#   - Debian's chromium (the browser that drives code-server's workbench), libkrb5-dev + pkg-config
#     (code-server builds a native module that needs them);
#   - Node 24 from npm (scripts/ensure-node24.sh: code-server >= 4.133 refuses older Node);
#   - code-server 4.139.1 (= VS Code 1.139.1 with the built-in JavaScript debugger).
# Cached under .e2e/ (git-ignored). A second run only checks and prints "e2e install: ok".
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E=${E2E_HOME:-$PWD/.e2e}
CODE_SERVER_VERSION=4.139.1
mkdir -p "$E2E"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e install: missing Debian packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "e2e install: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

N24="$(dirname "$(dirname "$(E2E_HOME="$E2E" bash scripts/ensure-node24.sh)")")"

CS="$E2E/code-server"
if [ "$(cat "$CS/.installed" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  echo "e2e install: code-server@$CODE_SERVER_VERSION (builds native modules, takes a few minutes)"
  rm -rf "$CS" && mkdir -p "$CS"
  # npm must run UNDER Node 24 (code-server's postinstall checks the major version) and node-gyp must
  # build against Node 24's headers (the machine's npmrc may point it at the system Node's).
  # Under `npm test` the outer npm (system Node) exports npm_* variables; code-server's postinstall reads the
  # Node major from npm_config_user_agent, so the inner npm must not inherit them.
  (cd "$CS" && echo '{"private":true}' > package.json &&
    for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done &&
    PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION")
  echo "$CODE_SERVER_VERSION" > "$CS/.installed"   # written last: an interrupted install is redone
fi
# (not `code-server --version`: that writes a default config into ~/.config)
echo "e2e install: ok (node $("$N24/bin/node" --version), code-server $("$N24/bin/node" -p "require('$CS/node_modules/code-server/package.json').version"))"
