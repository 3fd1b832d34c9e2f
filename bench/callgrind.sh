#!/usr/bin/env bash
# bench/callgrind.sh — user-space instructions per request of our server, counted by valgrind's
# callgrind over every server thread: the same number whatever else the machine is doing, so it
# shows a few-percent difference that the load benchmark's noise hides. Variants: no auth; no
# auth but sent the RS256 token (ignored); JWT RS256 and ES256 via JWKS; an API key.
#
#   bench/callgrind.sh                    # 200 warm-up + 2,000 measured requests per variant
#   CALLGRIND_REQUESTS=5000 bench/callgrind.sh
#
# One client connection, kept alive (as MCP clients do). Under valgrind SHA-256 runs in software
# (no SHA extensions), which makes hashing look ~10× dearer than on the CPU.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N="${CALLGRIND_REQUESTS:-2000}"
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
    die "valgrind is missing: apt-get install valgrind"
API_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"

measure() { # name token auth — token: a literal, "mint:ALG" or empty; auth: none | apikey | jwt
    local name="$1" token="$2" auth_kind="$3"
    local port; port=$(free_port)
    local out="$CACHE/callgrind.$name.out"
    local envs=()
    case "$auth_kind" in
        apikey) envs=(FASTMCP_SERVER_AUTH=api_keys FASTMCP_SERVER_AUTH_API_KEYS_KEYS="[{\"key\":\"$token\",\"subject\":\"bench\"}]") ;;
        jwt) read -ra envs <<<"$(jwt_env "$port")" ;;
    esac
    rm -f "$out"*
    env "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" "$OURS" --stateless --port "$port" \
        >"$CACHE/callgrind.$name.log" 2>&1 &
    local pid=$!; PIDS+=($pid)
    wait_port "$port" 600
    local url="http://127.0.0.1:$port/mcp"
    [[ "$token" == mint:* ]] && token="$(mint "$url" "${token#mint:}")"
    call "$url" "$token"
    run() { oha_json "$url" "$token" -n "$1" -c 1; }
    run 200 >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    local json; json="$(run "$N")"
    callgrind_control -d "$pid" >/dev/null 2>&1
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$name" "$N" "$json" "$out" <<'PY'
import glob, json, sys
name, n, j, out = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
ok = j.get("statusCodeDistribution", {}).get("200", 0)
if ok != n:
    sys.exit(f"{name}: only {ok} of {n} requests succeeded")
# The dump taken after the measured requests (zeroed before them) is the newest numbered part.
dumps = sorted(glob.glob(out + ".*"), key=lambda p: int(p.rsplit(".", 1)[1]))
total = next(int(l.split()[1]) for l in open(dumps[-1]) if l.startswith(("summary:", "totals:")))
print(f"{name}\t{total / n:.0f}")
PY
}

RAW="$CACHE/callgrind.tsv"; : >"$RAW"
measure none "" none >>"$RAW"
measure none-carry mint:RS256 none >>"$RAW"
measure apikey "$API_KEY" apikey >>"$RAW"
measure jwt-rs256 mint:RS256 jwt >>"$RAW"
measure jwt-es256 mint:ES256 jwt >>"$RAW"
python3 - "$RAW" "$N" <<'PY'
import sys
rows = dict(l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l)
base = int(rows["none"])
print(f"# callgrind: user-space instructions per request ({sys.argv[2]} requests, one kept-alive connection)\n")
print("| variant | instructions/request | vs no auth |")
print("|---|---|---|")
for name, ir in rows.items():
    print(f"| {name} | {int(ir):,} | {int(ir) / base:.3f} |")
PY
