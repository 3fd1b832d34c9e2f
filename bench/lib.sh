# bench/lib.sh — what bench/load.sh and bench/callgrind.sh share: tools (oha, the test
# dependencies of scripts/test), the OpenID provider that serves the JWKS and mints tokens, and
# process helpers. Sourced, not run.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="$ROOT/.cache/bench"
RESULTS="$ROOT/bench/results"
mkdir -p "$CACHE" "$RESULTS"
log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

eval "$(FASTMCP_TEST_SETUP_ONLY=1 scripts/test)"
if [[ ! -x "$CACHE/bin/oha" ]]; then
    log "installing oha (crates.io) into $CACHE ..."
    cargo install oha --locked --root "$CACHE" >&2 || die "cargo install oha failed"
fi
OHA="$CACHE/bin/oha"
log "building release binaries ..."
cargo build --release -q -p examples --bin add >&2
OURS="$ROOT/target/release/add"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_port PORT [TENTHS_OF_A_SECOND]
wait_port() { for _ in $(seq "${2:-100}"); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; die "nothing listens on port $1"; }

# ---- identity provider: JWKS (RS256 + ES256 keys) and token minting ----
IDP_OUT="$CACHE/idp.out"
NODE_PATH="$FASTMCP_TEST_NODE_MODULES" "$FASTMCP_TEST_NODE" tests/clients/oidc_provider.mjs --port 0 >"$IDP_OUT" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^OIDC issuer' "$IDP_OUT" 2>/dev/null && break; sleep 0.1; done
ISSUER="$(awk '/^OIDC issuer/ { print $3 }' "$IDP_OUT")"
[[ -n "$ISSUER" ]] || die "the OpenID provider did not start"
# mint RESOURCE ALG — an access token for RESOURCE signed with the provider's ALG key (2 h).
mint() { curl -s -X POST "$ISSUER/__test/token" -H 'content-type: application/json' \
    -d "{\"resource\":\"$1\",\"alg\":\"$2\",\"expires_in\":7200,\"scope\":\"bench\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
# jwt_env PORT — the environment that makes our server verify the provider's JWTs on PORT.
jwt_env() { echo FASTMCP_SERVER_AUTH=jwt FASTMCP_SERVER_AUTH_JWT_JWKS_URI="$ISSUER/jwks" FASTMCP_SERVER_AUTH_JWT_ISSUER="$ISSUER" \
    FASTMCP_SERVER_AUTH_JWT_AUDIENCE="http://127.0.0.1:$1/mcp"; }

BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}'
# call URL [TOKEN] — one tools/call; fails unless the result is 5.
call() {
    local auth=(); [[ -n "${2:-}" ]] && auth=(-H "authorization: Bearer $2")
    local out; out="$(curl -s -X POST "$1" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' "${auth[@]}" -d "$BODY")"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["result"]["content"][0]["text"]=="5", d' "$out" 2>/dev/null ||
        die "$1: tools/call did not return 5: $out"
}
# oha_json URL TOKEN OHA-ARGS... — oha's JSON summary of tools/call against URL (TOKEN may be empty).
oha_json() {
    local url="$1" token="$2"; shift 2
    local auth=(); [[ -n "$token" ]] && auth=(-H "authorization: Bearer $token")
    "$OHA" --no-tui --output-format json "$@" -m POST -T application/json \
        -H 'accept: application/json, text/event-stream' "${auth[@]}" -d "$BODY" "$url"
}
