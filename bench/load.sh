#!/usr/bin/env bash
# bench/load.sh — the load benchmark: our server (no auth, API key, JWT RS256/ES256 via JWKS,
# built-in authorization server token) against the official Rust SDK `rmcp` (no auth, and with a
# hand-written jsonwebtoken middleware) and Python FastMCP (no auth, and JWTVerifier), all
# serving `tools/call add(2, 3)` over stateless Streamable HTTP with JSON responses on loopback.
#
#   bench/load.sh            # 3 rounds × 10 s × concurrency 16 and 64, variants interleaved
#   BENCH_ROUNDS=5 BENCH_DURATION=20s bench/load.sh
#   BENCH_VARIANTS="ours-none ours-jwt-rs256" bench/load.sh   # a subset
#
# Controls, not in the default set: ours-none-carry — the no-auth server sent the RS256 token
# anyway (it ignores it), which separates the cost of carrying the token's bytes from the cost of
# checking it; ours-none-b — a second no-auth server, for an A/A comparison that shows what the
# method itself reads into two identical variants.
#
# Installs what it needs into .cache/bench (oha from crates.io, a venv with Python FastMCP) and
# reuses scripts/test's Node 22 + OpenID provider for the JWKS and tokens. Every variant is
# checked first (a real result, and 401 for a bad token). Results: bench/results/<time>.md.
set -euo pipefail
ROUNDS="${BENCH_ROUNDS:-3}"
DURATION="${BENCH_DURATION:-10s}"
CONCURRENCY=(${BENCH_CONCURRENCY:-16 64})
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -x "$CACHE/venv/bin/python" ]] || ! cmp -s bench/python-server/requirements.txt "$CACHE/venv/requirements.txt"; then
    log "creating the Python FastMCP venv ..."
    rm -rf "$CACHE/venv"
    python3 -m venv "$CACHE/venv" && "$CACHE/venv/bin/pip" install -q -r bench/python-server/requirements.txt >&2 || die "pip install failed"
    cp bench/python-server/requirements.txt "$CACHE/venv/requirements.txt"
fi
(cd bench/rmcp-server && cargo build --release -q >&2)
RMCP="$ROOT/bench/rmcp-server/target/release/rmcp-bench-server"

# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat, counted after
# the parenthesised command name).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

declare -A URL TOKEN PID
start() { # name port cmd... (env via `env`)
    local name="$1" port="$2"; shift 2
    "$@" >"$CACHE/$name.log" 2>&1 &
    PID[$name]=$!; PIDS+=($!)
    wait_port "$port"
    URL[$name]="http://127.0.0.1:$port/mcp"
}

API_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
p=$(free_port); start ours-none "$p" "$OURS" --stateless --port "$p"
p=$(free_port); start ours-none-b "$p" "$OURS" --stateless --port "$p"
p=$(free_port); start ours-apikey "$p" env FASTMCP_SERVER_AUTH=api_keys \
    FASTMCP_SERVER_AUTH_API_KEYS_KEYS="[{\"key\":\"$API_KEY\",\"subject\":\"bench\"}]" "$OURS" --stateless --port "$p"
TOKEN[ours-apikey]="$API_KEY"
for alg in RS256 ES256; do
    name="ours-jwt-${alg,,}"; p=$(free_port)
    start "$name" "$p" env $(jwt_env "$p") "$OURS" --stateless --port "$p"
    TOKEN[$name]="$(mint "http://127.0.0.1:$p/mcp" "$alg")"
done
URL[ours-none-carry]="${URL[ours-none]}"; PID[ours-none-carry]="${PID[ours-none]}"; TOKEN[ours-none-carry]="${TOKEN[ours-jwt-rs256]}"
p=$(free_port); start ours-oauth "$p" env FASTMCP_SERVER_AUTH=oauth FASTMCP_SERVER_AUTH_OAUTH_STORE=memory \
    FASTMCP_SERVER_AUTH_OAUTH_ACCESS_TOKEN_TTL=4h "$OURS" --stateless --port "$p"
client="$(curl -s -X POST "http://127.0.0.1:$p/register" -H 'content-type: application/json' \
    -d '{"token_endpoint_auth_method":"client_secret_post","grant_types":["client_credentials"],"redirect_uris":[]}')"
cid="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$client")"
csec="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$client")"
TOKEN[ours-oauth]="$(curl -s -X POST "http://127.0.0.1:$p/token" -d grant_type=client_credentials -d "client_id=$cid" --data-urlencode "client_secret=$csec" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
p=$(free_port); start rmcp-none "$p" "$RMCP" --port "$p" --auth none
for alg in RS256 ES256; do
    name="rmcp-jwt-${alg,,}"; p=$(free_port)
    start "$name" "$p" "$RMCP" --port "$p" --auth jwt --jwks-uri "$ISSUER/jwks" --issuer "$ISSUER" --audience "http://127.0.0.1:$p/mcp" --alg "$alg"
    TOKEN[$name]="$(mint "http://127.0.0.1:$p/mcp" "$alg")"
done
p=$(free_port); start python-none "$p" "$CACHE/venv/bin/python" bench/python-server/server.py --port "$p" --auth none
p=$(free_port); start python-jwt-rs256 "$p" "$CACHE/venv/bin/python" bench/python-server/server.py --port "$p" --auth jwt \
    --jwks-uri "$ISSUER/jwks" --issuer "$ISSUER" --audience "http://127.0.0.1:$p/mcp" --alg RS256
TOKEN[python-jwt-rs256]="$(mint "http://127.0.0.1:$p/mcp" RS256)"

VARIANTS=(${BENCH_VARIANTS:-ours-none ours-apikey ours-jwt-rs256 ours-jwt-es256 ours-oauth rmcp-none rmcp-jwt-rs256 rmcp-jwt-es256 python-none python-jwt-rs256})

# ---- every variant must really work (and refuse a bad token) before it is measured ----
for v in "${VARIANTS[@]}"; do
    call "${URL[$v]}" "${TOKEN[$v]:-}"
    if [[ -n "${TOKEN[$v]:-}" && "$v" != *-carry ]]; then
        code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "${URL[$v]}" -H 'content-type: application/json' \
            -H 'accept: application/json, text/event-stream' -H 'authorization: Bearer not-a-valid-token' -d "$BODY")"
        [[ "$code" == 401 ]] || die "$v: a bad token got HTTP $code, not 401"
    fi
    log "$v ok (${URL[$v]})"
done

# load VARIANT CONCURRENCY — oha's JSON summary of DURATION of tools/call against VARIANT.
load() { oha_json "${URL[$1]}" "${TOKEN[$1]:-}" -z "$DURATION" -c "$2"; }

# ---- measure: rounds × concurrency × variants, interleaved (A B … then … B A: the order is
# reversed every other round so that a slow drift of the machine favours no variant) ----
RAW="$CACHE/raw.tsv"; : >"$RAW"
REVERSED=()
for ((i = ${#VARIANTS[@]} - 1; i >= 0; i--)); do REVERSED+=("${VARIANTS[$i]}"); done
for round in $(seq "$ROUNDS"); do
    ORDER=("${VARIANTS[@]}"); (( round % 2 == 0 )) && ORDER=("${REVERSED[@]}")
    for c in "${CONCURRENCY[@]}"; do
        for v in "${ORDER[@]}"; do
            ticks0="$(cpu_ticks "${PID[$v]}")"
            json="$(load "$v" "$c")"
            ticks=$(( $(cpu_ticks "${PID[$v]}") - ticks0 ))
            python3 - "$v" "$c" "$round" "$json" "$ticks" "$(getconf CLK_TCK)" >>"$RAW" <<'PY'
import json, sys
v, c, r, j, ticks, hz = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
codes = j.get("statusCodeDistribution", {})
ok = codes.get("200", 0); total = sum(codes.values()) or 1
lat = j["latencyPercentiles"]
cpu_us = ticks * 1e6 / hz / total
print(f'{v}\t{c}\t{r}\t{j["summary"]["requestsPerSec"]:.1f}\t{lat["p50"]*1000:.3f}\t{lat["p99"]*1000:.3f}\t{ok/total:.4f}\t{cpu_us:.2f}')
PY
            log "round $round c=$c $v: $(tail -1 "$RAW" | cut -f4) req/s, $(tail -1 "$RAW" | cut -f8) µs server CPU/request"
        done
    done
done
# ---- side by side: the no-auth server and a JWT server loaded at the same time, each by its own
# oha, so that both meet the same machine; the ratio of their throughputs is the ratio of their
# costs (BENCH_SIMULTANEOUS=0 skips this) ----
SIM="$CACHE/simultaneous.tsv"; : >"$SIM"
if [[ "${BENCH_SIMULTANEOUS:-1}" == 1 && " ${VARIANTS[*]} " == *" ours-none "* ]]; then
    for round in $(seq "$ROUNDS"); do
        for c in "${CONCURRENCY[@]}"; do
            for v in ours-none-b ours-none-carry ours-jwt-rs256 ours-jwt-es256; do
                [[ " ${VARIANTS[*]} " == *" $v "* ]] || continue
                load ours-none "$c" >"$CACHE/sim.base.json" & a=$!
                load "$v" "$c" >"$CACHE/sim.auth.json" & b=$!
                wait "$a" "$b"
                python3 - "$v" "$c" "$round" "$CACHE/sim.base.json" "$CACHE/sim.auth.json" >>"$SIM" <<'PY' || die "side-by-side run failed"
import json, sys
v, c, r, base, auth = sys.argv[1], sys.argv[2], sys.argv[3], json.load(open(sys.argv[4])), json.load(open(sys.argv[5]))
for name, j in (("ours-none", base), (v, auth)):
    codes = j.get("statusCodeDistribution", {})
    if codes.get("200", 0) != sum(codes.values()):
        sys.exit(f"{name}: not every request succeeded: {codes}")
a, b = base["summary"]["requestsPerSec"], auth["summary"]["requestsPerSec"]
print(f"{v}\t{c}\t{r}\t{b / a:.4f}\t{a:.0f}\t{b:.0f}")
PY
                log "side by side, round $round c=$c: $v / ours-none = $(tail -1 "$SIM" | cut -f4)"
            done
        done
    done
fi

for v in "${VARIANTS[@]}"; do
    printf '%s\t%s\n' "$v" "$(awk '/VmHWM/ { print $2 }' "/proc/${PID[$v]}/status" 2>/dev/null || echo 0)" >>"$CACHE/rss.tsv.new"
done
mv "$CACHE/rss.tsv.new" "$CACHE/rss.tsv"

# ---- report ----
STAMP="$(date -u +%Y-%m-%dT%H-%M-%SZ)"
python3 - "$RAW" "$CACHE/rss.tsv" "$ROUNDS" "$DURATION" "$SIM" >"$RESULTS/$STAMP.md" <<'PY'
import statistics, sys, collections, platform, os
raw, rss_file, rounds, duration, sim_file = sys.argv[1:6]
rows = collections.defaultdict(list)
by_round = {}
cpu_by_round = {}
for line in open(raw):
    v, c, r, rps, p50, p99, ok, cpu = line.split("\t")
    rows[(v, int(c))].append((float(rps), float(p50), float(p99), float(ok), float(cpu)))
    by_round[(v, int(c), int(r))] = float(rps)
    cpu_by_round[(v, int(c), int(r))] = float(cpu)
rss = {l.split("\t")[0]: int(l.split("\t")[1]) for l in open(rss_file)}
med = lambda xs: statistics.median(xs)
cpu = next((l.split(":")[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"# Load benchmark {os.popen('date -u +%Y-%m-%d').read().strip()}\n")
print(f"Machine: {os.cpu_count()} cores ({cpu}), {round(os.sysconf('SC_PAGE_SIZE')*os.sysconf('SC_PHYS_PAGES')/2**30)} GiB; load generator oha on the same machine.")
print(f"Rounds: {rounds} × {duration} per variant and concurrency, interleaved (order reversed every other round). Medians over rounds. `tools/call add(2,3)`, stateless Streamable HTTP, JSON responses.\n")
concs = sorted({c for _, c in rows})
print("| variant | " + " | ".join(f"c={c} req/s | c={c} p50 ms | c={c} p99 ms | c={c} server CPU µs/req" for c in concs) + " | peak RSS MiB | ok |")
print("|---|" + "---|" * (4 * len(concs) + 2))
variants = list(dict.fromkeys(v for v, _ in rows))
rps = {}
for v in variants:
    cells = []
    oks = []
    for c in concs:
        data = rows[(v, c)]
        rps[(v, c)] = med([d[0] for d in data])
        cells += [f"{rps[(v, c)]:.0f}", f"{med([d[1] for d in data]):.2f}", f"{med([d[2] for d in data]):.2f}", f"{med([d[4] for d in data]):.1f}"]
        oks += [d[3] for d in data]
    print(f"| {v} | " + " | ".join(cells) + f" | {rss.get(v, 0)/1024:.1f} | {min(oks)*100:.1f}% |")
print("\nThroughput ratios: of the medians, and in brackets the median of the per-round ratios (each")
print("round runs both variants minutes apart, so its ratio is less exposed to the machine's drift) and")
print("their range. Then the server's CPU time per request, b / a (≥ 1 means a costs no more).\n")
print("| ratio | " + " | ".join(f"c={c}" for c in concs) + " | " + " | ".join(f"CPU/req c={c}" for c in concs) + " | budget |")
print("|---|" + "---|" * (2 * len(concs) + 1))
def paired(table, a, b, c):
    return sorted(table[(a, c, r)] / table[(b, c, r)] for (v, cc, r) in table if v == a and cc == c and (b, c, r) in table)
def ratio(a, b, budget):
    if not all((a, c) in rps and (b, c) in rps for c in concs):
        return
    cells = []
    for c in concs:
        p = paired(by_round, a, b, c)
        cells.append(f"{rps[(a, c)] / rps[(b, c)]:.2f} ({med(p):.2f}, {p[0]:.2f}–{p[-1]:.2f})")
    for c in concs:
        p = [1 / x for x in paired(cpu_by_round, a, b, c) if x > 0]
        cells.append(f"{med(p):.2f}" if p else "-")
    print(f"| {a} / {b} | " + " | ".join(cells) + f" | ≥ {budget} |")
ratio("ours-jwt-rs256", "ours-none", 0.95)
ratio("ours-jwt-es256", "ours-none", 0.95)
ratio("ours-jwt-rs256", "rmcp-none", 1.0)
ratio("ours-jwt-rs256", "rmcp-jwt-rs256", 1.4)
ratio("ours-jwt-es256", "rmcp-jwt-es256", 1.7)
ratio("ours-jwt-rs256", "python-jwt-rs256", 40)
ratio("ours-oauth", "ours-none", "-")
ratio("ours-none-carry", "ours-none", "-")
ratio("ours-jwt-rs256", "ours-none-carry", "-")
ratio("ours-apikey", "ours-none", "-")
ratio("rmcp-jwt-rs256", "rmcp-none", "-")
ratio("python-jwt-rs256", "python-none", "-")
sim = collections.defaultdict(list)
for line in open(sim_file):
    v, c, r, ratio_, a, b = line.split("\t")
    sim[(v, int(c))].append(float(ratio_))
if sim:
    print("\nSide by side (both servers loaded at the same time, each by its own oha with the same")
    print("concurrency): throughput of the JWT server / the no-auth server, median over rounds and range.\n")
    print("| ratio | " + " | ".join(f"c={c}" for c in concs) + " | budget |")
    print("|---|" + "---|" * (len(concs) + 1))
    for v in dict.fromkeys(v for v, _ in sim):
        cells = [f"{med(sim[(v, c)]):.2f} ({min(sim[(v, c)]):.2f}–{max(sim[(v, c)]):.2f})" for c in concs]
        budget = "≥ 0.95" if v.startswith("ours-jwt") else "-"
        print(f"| {v} / ours-none | " + " | ".join(cells) + f" | {budget} |")
PY
cat "$RESULTS/$STAMP.md"
log "results: bench/results/$STAMP.md"
failed="$(awk -F'\t' '$7 < 0.999 { print $1 " c=" $2 " round " $3 ": " $7 * 100 "% ok" }' "$RAW")"
[[ -z "$failed" ]] || die "some measurements had failed requests (their numbers are not valid):"$'\n'"$failed"
