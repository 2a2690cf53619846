#!/usr/bin/env bash
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose: their $names are jq variables
# Rotakey's benchmarks, run through the real daemon beside references doing only the unavoidable work.
set -euo pipefail
shopt -s inherit_errexit

usage() {
    cat <<EOF
Usage: scripts/bench.sh [--count N] [--repeat K] [--fleet N] [--quick] [--certmonger] [--no-build] [--keep]

Starts a Rotakey daemon of its own (embedded defaults: SoftHSM2, H2, local-files) on a fresh
data directory, and in one run measures, each repetition on new credentials:
  - certificate rotations/s: one POST /tasks/rotate?agent= over N EC P-256 certificates with
    'export' custody, from the task call to the last promotion, against the reference
    CertificateReference (one thread, the same token and CA key: leaf key from the token's RNG,
    certificate signed in the token, one PEM written with fsync, rename, directory fsync);
  - API-key rotations/s: the same over N API keys (goal: an absolute rate);
  - scheduled API-key rotations/s: N API keys whose rotation falls due in the same second (a cron
    expression that fires once), from that second to the last promotion, against the rotate task's
    rate over API keys in the same repetition: what the scheduler starts by itself;
  - API-key verification (wrk, 16 connections, a real key and a verifier token) against
    GET /api/v1/cas/agents-ca/chain, the daemon's cheapest public endpoint: req/s and p99;
  - with --fleet F: the fleet filled to F credentials, then both rotation rates again, against
    the rates measured above on the small fleet.
Prints a table (medians over the repetitions; ratios are the median of each repetition's ratio)
on stdout and writes it to target/bench/results.md. Stops its daemon on exit.

  --count N      credentials per rotation measure (default 500)
  --repeat K     repetitions (default 5)
  --fleet F      also measure with F credentials in the fleet (e.g. 100000; default: not measured).
                 The fleet is filled through POST /api/v1/credentials:batch, 1,000 a request: expect
                 tens of minutes for 100,000.
  --quick        short wrk runs (2 s instead of 10 s) and a short reference warm-up, for tests
  --certmonger   also time certmonger renewing certificates with new keys ('getcert rekey', its 'local'
                 CA, EC P-256 keys in files) on a private session bus: min(N, 100) certificates a
                 repetition (it is slow); installs certmonger and dbus-daemon when missing
  --no-build     do not run Maven; use the existing target/rotakey.jar
  --keep         keep the work directory (daemon log, data, wrk scripts) after the run

Environment (defaults in brackets):
  ROTAKEY_BENCH_DIR        [target/bench/run] work directory, emptied first (data dir, logs)
  ROTAKEY_BENCH_RESULTS    [target/bench/results.md] where the table is written
  ROTAKEY_BENCH_HTTP_PORT  [the first free port from 28480]   ROTAKEY_BENCH_ADMIN_PORT [the next free one]
  ROTAKEY_BENCH_JAVA_OPTS  [-Xms256m -Xmx256m -XX:+UseParallelGC -XX:-UseAdaptiveSizePolicy -XX:+ExitOnOutOfMemoryError, the heap and
                           collector of quickstart.sh and the systemd unit] options for the daemon's JVM
  ROTAKEY_BENCH_PARALLEL   [8] concurrent requests when creating credentials
  ROTAKEY_SKIP_PACKAGES=1  never call apt-get (curl, jq, wrk and softhsm2-util must then be present)
Other work on the machine slows the daemon and the references alike, but not equally: run it on
an otherwise idle machine, and compare ratios rather than rates.
EOF
}

count=500
repeat=5
fleet=0
quick=0
build=1
keep=0
certmonger=0
while (($# > 0)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --count | --repeat | --fleet)
            (($# >= 2)) || { echo "$1 needs a value" >&2; exit 2; }
            [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "$1 needs a positive whole number, not '$2'" >&2; exit 2; }
            case $1 in
                --count) count=$2 ;;
                --repeat) repeat=$2 ;;
                --fleet) fleet=$2 ;;
            esac
            shift 2 ;;
        --quick) quick=1; shift ;;
        --certmonger) certmonger=1; shift ;;
        --no-build) build=0; shift ;;
        --keep) keep=1; shift ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RK_ROOT"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port FROM [NOT]: the first port from FROM on where nothing listens (other than NOT).
free_port() {
    local port=$1
    while port_in_use "$port" || [[ "$port" == "${2:-}" ]]; do port=$((port + 1)); done
    echo "$port"
}
http_port=${ROTAKEY_BENCH_HTTP_PORT:-$(free_port 28480)}
admin_port=${ROTAKEY_BENCH_ADMIN_PORT:-$(free_port $((http_port + 1)) "$http_port")}
parallel=${ROTAKEY_BENCH_PARALLEL:-8}
work=$(rk_abspath "${ROTAKEY_BENCH_DIR:-$RK_ROOT/target/bench/run}")
results=$(rk_abspath "${ROTAKEY_BENCH_RESULTS:-$RK_ROOT/target/bench/results.md}")
read -r -a java_opts <<<"${ROTAKEY_BENCH_JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseParallelGC -XX:-UseAdaptiveSizePolicy -XX:+ExitOnOutOfMemoryError}"
# warmup: the reference's untimed iterations; wrk_warmup: untimed wrk seconds on each endpoint before the first run.
if ((quick)); then
    wrk_seconds=2 wrk_warmup=1 warmup=$((count < 20 ? count : 20))
else
    wrk_seconds=10 wrk_warmup=5 warmup=$((count < 100 ? count : 100))
fi
reference_source="$RK_ROOT/src/test/java/dev/rotakey/bench/CertificateReference.java"
api="http://127.0.0.1:$http_port"
admin="http://127.0.0.1:$admin_port"

rk_check_java
rk_apt_install curl jq wrk softhsm2
((certmonger)) && rk_apt_install certmonger dbus-daemon
[[ -f "$reference_source" ]] || rk_die "$reference_source is missing"
if ((build)); then
    rk_build
else
    [[ -f "$RK_JAR" ]] || rk_die "--no-build given but $RK_JAR does not exist: run without --no-build"
fi
for port in "$http_port" "$admin_port"; do
    if port_in_use "$port"; then
        rk_die "port $port is already in use: stop what listens there, or set ROTAKEY_BENCH_HTTP_PORT / ROTAKEY_BENCH_ADMIN_PORT"
    fi
done

# The work directory is emptied only when an earlier run of this script made it, and no run still uses it.
if [[ -e "$work" ]]; then
    [[ -f "$work/.rotakey-bench" ]] || rk_die "$work exists and was not made by bench.sh: remove it or set ROTAKEY_BENCH_DIR"
    owner=$(head -n 1 "$work/.rotakey-bench" 2>/dev/null || true)
    if [[ "$owner" =~ ^[0-9]+$ ]] && ps -ww -o args= -p "$owner" 2>/dev/null | grep -q 'bench\.sh'; then
        rk_die "another bench.sh (pid $owner) uses $work: wait for it, or set ROTAKEY_BENCH_DIR"
    fi
    rm -rf "$work"
fi
umask 077
mkdir -p "$work"
echo "$$" >"$work/.rotakey-bench"
data="$work/data"
log="$work/daemon.log"

# ---------------------------------------------------------------- the daemon

daemon_pid=""
stop_daemon() {
    [[ -n "$daemon_pid" ]] || return 0
    if kill -0 "$daemon_pid" 2>/dev/null; then
        rk_info "Stopping the daemon (pid $daemon_pid)"
        kill -TERM "$daemon_pid" 2>/dev/null || true
        local deadline=$((SECONDS + 60))
        while kill -0 "$daemon_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
        if kill -0 "$daemon_pid" 2>/dev/null; then
            rk_warn "the daemon outlived SIGTERM for 60 s: SIGKILL"
            kill -KILL "$daemon_pid" 2>/dev/null || true
        fi
    fi
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=""
}
on_exit() {
    local code=$?
    stop_daemon
    declare -F stop_certmonger >/dev/null && stop_certmonger
    if ((code != 0)); then
        [[ -f "$log" ]] && { echo "--- last lines of $log:" >&2; tail -n 30 "$log" >&2 || true; }
        rk_warn "the work directory $work is kept for a look"
    elif ((!keep)); then
        rm -rf "$work"
    fi
    exit "$code"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rk_info "Work directory $work (daemon log $log)"
"$RK_ROOT/scripts/init-softhsm.sh" "$data" >/dev/null
export SOFTHSM2_CONF="$data/softhsm2.conf"
(
    export ROTAKEY_DATA_DIR="$data" ROTAKEY_HTTP_PORT="$http_port" ROTAKEY_ADMIN_PORT="$admin_port"
    cd "$data"
    exec java "${java_opts[@]}" -jar "$RK_ROOT/$RK_JAR" server "$RK_ROOT/config/rotakey.yml"
) </dev/null >"$log" 2>&1 &
daemon_pid=$!
rk_info "Daemon starting (pid $daemon_pid, API $api, admin $admin)"

token_file="$data/admin-token"
deadline=$((SECONDS + 180))
# The bearer token goes to curl in a header file, so it never shows in the process list.
until [[ -s "$token_file" ]] && printf 'Authorization: Bearer %s\n' "$(head -n 1 "$token_file")" >"$work/auth" \
    && curl -fsS -o /dev/null -m 5 -H @"$work/auth" "$api/api/v1/status" 2>/dev/null; do
    kill -0 "$daemon_pid" 2>/dev/null || rk_die "the daemon exited during its start (see $log)"
    ((SECONDS < deadline)) || rk_die "the daemon did not answer within 180 s (see $log)"
    sleep 1
done
rk_ok "the daemon answers"

# ---------------------------------------------------------------- HTTP helpers

# http METHOD URL [BODY_FILE] and expect WHAT CODE...: rk_http and rk_expect (scripts/lib/common.sh); a batch
# creation or a listing of a large fleet may take longer than their default 30 s.
RK_HTTP_MAX_TIME=120 RK_HTTP_HINT="see $log"
http() { rk_http "$@"; }
expect() { rk_expect "$@"; }

# post_many URL BODIES_FILE: POSTs each line of BODIES_FILE (one JSON document a line) to URL,
# $parallel at a time through one curl, and dies unless every answer is 201.
post_many() {
    local url=$1 bodies=$2 config="$work/curl-config" codes="$work/curl-codes" parts="$work/post" bad
    # One body a file (a curl config line is limited in length, and a batch body is long), one config entry each;
    # JSON string quoting is what a curl config's quoted strings understand.
    rm -rf "$parts" && mkdir -p "$parts"
    split -l 1 -a 6 -d "$bodies" "$parts/"
    find "$parts" -type f | sort | jq -Rr --arg url "$url" --rawfile auth "$work/auth" '
        "url = \($url | tojson)\nheader = \($auth | rtrimstr("\n") | tojson)\n"
        + "header = \"Content-Type: application/json\"\ndata-binary = \("@" + . | tojson)\n"
        + "output = \"/dev/null\"\nwrite-out = \"%{http_code}\\n\"\nnext"' | sed '$d' >"$config"
    curl -sS --no-progress-meter --parallel --parallel-max "$parallel" --connect-timeout 5 --max-time 300 -K "$config" >"$codes" \
        || rk_die "creating through $url: curl failed (see $log)"
    bad=$(grep -cv '^201$' "$codes" || true)
    if ((bad > 0)); then
        rk_die "$bad of $(wc -l <"$bodies") POSTs to $url did not answer 201 (answers: $(sort "$codes" | uniq -c | tr -s ' \n' ' ')); see $log"
    fi
    rm -rf "$config" "$parts"
}

# create_agent ID
create_agent() {
    jq -nc --arg id "$1" '{id: $id, owner: "bench@example.com", attributes: {purpose: "scripts/bench.sh"}}' >"$work/req"
    http POST "$api/api/v1/agents" "$work/req"
    expect "POST /api/v1/agents ($1)" 201
}

# create_credentials AGENT TYPE N: N credentials AGENT-1..N of TYPE (certificate or api-key), each
# delivered by local-files to bench/AGENT/I.
create_credentials() {
    local agent=$1 type=$2 n=$3
    create_agent "$agent"
    seq 1 "$n" | jq -Rc --arg agent "$agent" --arg type "$type" '
        {id: "\($agent)-\(.)", agent: $agent, type: $type, backend: "hsm",
         targets: [{target: "local-files", path: "bench/\($agent)/\(.)"}]}
        + (if $type == "certificate" then {ca: "agents-ca", keySpec: "EC_P256", validity: "P30D", keyCustody: "export"}
           else {rotation: {every: "P30D"}} end)' >"$work/bodies"
    post_many "$api/api/v1/credentials" "$work/bodies"
}

now() { date +%s.%N; }

# agent_progress AGENT: sets p_done (credentials of AGENT whose version 2 is CURRENT), p_failed (their
# FAILED versions) and p_last (the latest promotion of a version 2, epoch seconds) from the agent's
# credentials, page by page. Its cost does not grow with the rest of the fleet.
p_done=0 p_failed=0 p_last=0
agent_progress() {
    local agent=$1 after="" page next
    p_done=0 p_failed=0 p_last=0
    while :; do
        http GET "$api/api/v1/credentials?agent=$agent&limit=1000${after:+&after=$after}"
        expect "GET /api/v1/credentials?agent=$agent" 200
        page=$(jq -r --argjson done "$p_done" --argjson failed "$p_failed" --argjson last "$p_last" '
            def epoch: (sub("\\.[0-9]+"; "") | fromdateiso8601) + (([capture("(?<f>\\.[0-9]+)").f][0] // "0") | tonumber);
            [.credentials[] | .versions[] | select(.version == 2 and .state == "CURRENT")] as $v
            | "\(.next // "-") \($done + ($v | length))"
              + " \($failed + ([.credentials[] | .versions[] | select(.state == "FAILED")] | length))"
              + " \([$last, ($v[] | .promotedAt | epoch)] | max)"' "$work/body")
        read -r next p_done p_failed p_last <<<"$page"
        [[ "$next" == "-" ]] && return 0
        after=$next
    done
}

# rotate_agent AGENT N: POST /tasks/rotate?agent=AGENT, waits until its N credentials have their
# version 2 promoted, and prints N / (last promotion - the task call) in rotations/s. Completion
# is read from the API (the versions' state and promotedAt), never from the task's answer. While
# the rotations run, only the task's batch is polled (a few counts): listing the agent's
# credentials once a second took a third of a 2-core machine's CPU from the rotations measured.
rotate_agent() {
    local agent=$1 n=$2 t0 deadline batch="" progress b_state b_running
    t0=$(now)
    http POST "$admin/tasks/rotate?agent=$agent"
    expect "POST /tasks/rotate?agent=$agent" 200 201 202
    batch=$(jq -r '.batch.href // empty' "$work/body")
    deadline=$((SECONDS + 120 + n))
    while :; do
        # Once a second: the rate comes from promotedAt, so polling more often would only load the daemon.
        sleep 1
        if [[ -n "$batch" ]]; then
            http GET "$api$batch?limit=1"
            expect "GET $batch" 200
            progress=$(jq -r '"\(.state) \(.counts.failed + (.rotations.FAILED // 0)) \(.rotations.RUNNING // 0)"' "$work/body")
            read -r b_state p_failed b_running <<<"$progress"
            ((p_failed == 0)) || rk_die "$p_failed rotation(s) of $agent failed: see GET $api$batch and $log"
            if [[ "$b_state" != RUNNING && "$b_running" == 0 ]]; then
                agent_progress "$agent"
                ((p_done == n)) || rk_die "rotating $agent: its batch ended $b_state with $p_done of $n done"
                break
            fi
        else
            agent_progress "$agent"
            ((p_done == n)) && break
        fi
        ((p_failed == 0)) || rk_die "$p_failed rotation(s) of $agent failed: see GET $api/api/v1/credentials?agent=$agent and $log"
        ((SECONDS < deadline)) || rk_die "rotating $agent: not done after $((120 + n)) s"
    done
    awk -v n="$n" -v t0="$t0" -v t1="$p_last" 'BEGIN { if (t1 <= t0) exit 1; printf "%.1f\n", n / (t1 - t0) }' \
        || rk_die "rotating $agent: the last promotion ($p_last) is not after the task call ($t0): clocks?"
}

# scheduled_rotations AGENT N: creates N API keys whose one scheduled rotation falls due in the same second (a cron
# expression that fires once, so no jitter and no second rotation), waits until their versions 2 are promoted, and
# prints N / (last promotion - that second) in rotations/s: the rate of what the scheduler starts by itself.
scheduled_rotations() {
    local agent=$1 n=$2 due cron deadline
    # Far enough ahead for the creation (about 1,000/s here) to end before it.
    due=$(($(date +%s) + 10 + n / 100))
    cron=$(date -u -d "@$due" '+%-S %-M %-H %-d %-m ? %Y')
    create_agent "$agent"
    seq 1 "$n" | jq -Rc --arg agent "$agent" --arg cron "$cron" '
        {id: "\($agent)-\(.)", agent: $agent, type: "api-key", backend: "hsm", rotation: {cron: $cron},
         targets: [{target: "local-files", path: "bench/\($agent)/\(.)"}]}' >"$work/bodies"
    post_many "$api/api/v1/credentials" "$work/bodies"
    (($(date +%s) < due)) || rk_die "creating $n credentials ended after their rotation's second: they would never be due"
    sleep $((due - $(date +%s) + 1))
    deadline=$((SECONDS + 120 + n))
    while :; do
        agent_progress "$agent"
        ((p_failed == 0)) || rk_die "$p_failed scheduled rotation(s) of $agent failed: see GET $api/api/v1/credentials?agent=$agent and $log"
        ((p_done == n)) && break
        ((SECONDS < deadline)) || rk_die "the scheduled rotations of $agent: $p_done of $n done after $((120 + n)) s"
        # The rate comes from promotedAt: polling (a listing of N credentials) more often would only load the daemon.
        sleep 2
    done
    awk -v n="$n" -v t0="$due" -v t1="$p_last" 'BEGIN { if (t1 <= t0) exit 1; printf "%.1f\n", n / (t1 - t0) }' \
        || rk_die "the scheduled rotations of $agent: the last promotion ($p_last) is not after their due second ($due)"
}

# ---------------------------------------------------------------- references and wrk

slot=$(softhsm2-util --show-slots 2>/dev/null | awk -v want="$RK_TOKEN_LABEL" '
    /^Slot [0-9]+/ { slot = $2 }
    /^[[:space:]]*Label:/ { sub(/^[[:space:]]*Label:[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); if ($0 == want) print slot }' | head -n 1)
[[ -n "$slot" ]] || rk_die "no SoftHSM2 token labelled '$RK_TOKEN_LABEL' under $SOFTHSM2_CONF"

deadline=$((SECONDS + 60))
until curl -fsS -o "$work/chain.pem" -m 10 "$api/api/v1/cas/agents-ca/chain" 2>/dev/null; do
    ((SECONDS < deadline)) || rk_die "GET /api/v1/cas/agents-ca/chain did not answer 200 within 60 s"
    sleep 1
done

# reference_rate N: the certificate reference's operations/s (its own JVM, the daemon's token and CA key).
reference_rate() {
    local out="$work/reference.out"
    java -cp "$RK_ROOT/$RK_JAR" "$reference_source" --library "$RK_HSM_LIBRARY" --slot "$slot" \
        --pin-file "$data/hsm-pin" --ca-chain "$work/chain.pem" --dir "$work/reference" --count "$1" \
        --warmup "$warmup" >"$out" 2>&1 || { cat "$out" >&2; rk_die "the certificate reference failed (output above)"; }
    sed -n 's/^ops_per_second=//p' "$out" | tail -n 1
}

# run_wrk LUA URL [SECONDS]: "REQUESTS_PER_SECOND P99_MS" of wrk, 2 threads and 16 connections for
# SECONDS (default $wrk_seconds).
run_wrk() {
    local out="$work/wrk.out"
    wrk -t2 -c16 -d"${3:-$wrk_seconds}s" --timeout 10s --latency -s "$1" "$2" >"$out" 2>&1 \
        || { cat "$out" >&2; rk_die "wrk $2 failed (output above)"; }
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        rk_die "wrk $2: some answers were not 2xx (output above)"
    fi
    grep -q 'Socket errors' "$out" && rk_warn "wrk $2: $(grep 'Socket errors' "$out")"
    awk '
        /^Requests\/sec:/ { rps = $2 }
        $1 == "99%" {
            v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
            p99 = (unit == "us") ? v / 1000 : (unit == "ms") ? v : (unit == "s") ? v * 1000 : (unit == "m") ? v * 60000 : -1
        }
        END { if (rps == "" || p99 == "" || p99 < 0) exit 1; printf "%.1f %.2f\n", rps, p99 }' "$out" \
        || { cat "$out" >&2; rk_die "cannot read wrk's output (above)"; }
}

# ---------------------------------------------------------------- set-up: a verifier and its key

create_agent bench-verify
jq -nc '{id: "bench-verify-key", agent: "bench-verify", type: "api-key", backend: "hsm", rotation: {every: "P30D"},
         targets: [{target: "local-files", path: "bench/bench-verify/api-key"}]}' >"$work/req"
http POST "$api/api/v1/credentials" "$work/req"
expect "POST /api/v1/credentials (bench-verify-key)" 201
key_file="$data/delivered/bench/bench-verify/api-key"
[[ -s "$key_file" ]] || rk_die "the verifier's key was not delivered to $key_file"
http POST "$admin/tasks/issue-token?name=bench-wrk&role=verifier"
expect "POST /tasks/issue-token" 200 201
token=$(jq -r '.token // empty' "$work/body")
[[ "$token" == rkt_* ]] || rk_die "issue-token answered no token"
printf 'Authorization: Bearer %s\n' "$token" >"$work/verifier-auth"
unset token
head -n 1 "$key_file" | tr -d '\r\n' | jq -Rc '{key: .}' >"$work/verify-req"
status=$(curl -sS -o "$work/body" -w '%{http_code}' -m 10 -H @"$work/verifier-auth" -H 'Content-Type: application/json' \
    --data-binary @"$work/verify-req" "$api/api/v1/api-keys/verify") || rk_die "POST /api/v1/api-keys/verify: no answer"
expect "POST /api/v1/api-keys/verify with a verifier token" 200
jq -e '.valid == true' "$work/body" >/dev/null || rk_die "the verifier's key does not verify: $(head -c 500 "$work/body")"
# The key and the token reach wrk through its Lua script (mode 0600), never its command line.
jq -nr --rawfile auth "$work/verifier-auth" --rawfile body "$work/verify-req" '
    "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    + "wrk.headers[\"Authorization\"] = \($auth | rtrimstr("\n") | ltrimstr("Authorization: ") | tojson)\n"
    + "wrk.body = \($body | rtrimstr("\n") | tojson)"' >"$work/verify.lua"
printf 'wrk.method = "GET"\n' >"$work/chain.lua"

# ---------------------------------------------------------------- certmonger (--certmonger)

# shellcheck source=lib/certmonger.sh
CM_DIR="$work/certmonger" CM_COUNT=$((count < 100 ? count : 100)) source "$RK_ROOT/scripts/lib/certmonger.sh"

# ---------------------------------------------------------------- the measures

# measure_rotations LABEL REP: creates N certificates and N API keys on agents of their own,
# rotates each agent once, appends "cert_rate api_rate" to $work/LABEL.rates.
measure_rotations() {
    local label=$1 rep=$2 cert_rate api_rate sched_rate
    rk_info "[$label $rep/$repeat] creating $count certificate and $count API-key credentials"
    create_credentials "bench-$label-cert-$rep" certificate "$count"
    create_credentials "bench-$label-api-$rep" api-key "$count"
    cert_rate=$(rotate_agent "bench-$label-cert-$rep" "$count")
    rk_ok "[$label $rep/$repeat] certificate rotations: $cert_rate/s"
    api_rate=$(rotate_agent "bench-$label-api-$rep" "$count")
    rk_ok "[$label $rep/$repeat] API-key rotations: $api_rate/s"
    sched_rate=$(scheduled_rotations "bench-$label-due-$rep" "$count")
    rk_ok "[$label $rep/$repeat] API-key rotations due together, started by the scheduler: $sched_rate/s"
    echo "$cert_rate $api_rate $sched_rate" >>"$work/$label.rates"
}

# A first mass rotation runs code the credentials' creation did not (the task, a second version), and the JIT
# compiles the rotation path only after some thousands of calls: with a warm-up of 100 rotations a type, the
# first repetition ran at 60% of the third. Two rounds over min(N, 500) credentials a type, not counted.
warm_count=$((count < 500 ? count : 500))
rk_info "Warming up: twice $warm_count certificate and $warm_count API-key rotations, not counted"
for round in 1 2; do
    # New credentials each round: a round is timed, like the measures, by its versions 2.
    create_credentials "bench-warmup-cert-$round" certificate "$warm_count"
    create_credentials "bench-warmup-api-$round" api-key "$warm_count"
    rotate_agent "bench-warmup-cert-$round" "$warm_count" >/dev/null
    rotate_agent "bench-warmup-api-$round" "$warm_count" >/dev/null
done
scheduled_rotations "bench-warmup-due" "$warm_count" >/dev/null
rk_info "Warming up both endpoints with wrk (${wrk_warmup} s each, not counted)"
run_wrk "$work/chain.lua" "$api/api/v1/cas/agents-ca/chain" "$wrk_warmup" >/dev/null
run_wrk "$work/verify.lua" "$api/api/v1/api-keys/verify" "$wrk_warmup" >/dev/null
: >"$work/small.rates"
: >"$work/certmonger.rates"
((certmonger)) && start_certmonger
: >"$work/reference.rates"
: >"$work/wrk.rates"
for ((rep = 1; rep <= repeat; rep++)); do
    ref=$(reference_rate "$count")
    rk_ok "[small $rep/$repeat] certificate reference: $ref/s"
    echo "$ref" >>"$work/reference.rates"
    measure_rotations small "$rep"
    chain=$(run_wrk "$work/chain.lua" "$api/api/v1/cas/agents-ca/chain")
    verify=$(run_wrk "$work/verify.lua" "$api/api/v1/api-keys/verify")
    read -r chain_rps chain_p99 <<<"$chain"
    read -r verify_rps verify_p99 <<<"$verify"
    rk_ok "[small $rep/$repeat] verify $verify_rps req/s (p99 $verify_p99 ms), CA chain $chain_rps req/s (p99 $chain_p99 ms)"
    echo "$verify_rps $verify_p99 $chain_rps $chain_p99" >>"$work/wrk.rates"
    if ((certmonger)); then
        cm_rate=$(certmonger_rate)
        rk_ok "[small $rep/$repeat] certmonger re-keys: $cm_rate/s"
        echo "$cm_rate" >>"$work/certmonger.rates"
    fi
done
stop_certmonger

if ((fleet > 0)); then
    http GET "$api/api/v1/status"
    expect "GET /api/v1/status" 200
    fleet_now=$(jq -r '[.credentials[]] | add // 0' "$work/body")
    # So that the fleet holds F credentials once the first fleet repetition has made its own.
    missing=$((fleet - fleet_now - 3 * count))
    # The embedded H2 database grew by about 0.4 MB a credential here (36 GB for 100,000), the files by 5 KB.
    free_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
    if ((missing > 0 && free_kb < missing * 400)); then
        rk_warn "$((free_kb / 1024 / 1024)) GB free under $work; filling the fleet may need about $((missing * 400 / 1024 / 1024)) GB (the H2 database)"
    fi
    if ((missing > 0)); then
        per_agent=100
        agents=$(((missing + per_agent - 1) / per_agent))
        rk_info "Filling the fleet: $missing more credentials (API keys, $per_agent per agent, $agents agents; $parallel requests at a time)"
        seq 1 "$agents" | jq -Rc '{id: "fleet-\(.)", owner: "bench@example.com"}' >"$work/bodies"
        post_many "$api/api/v1/agents" "$work/bodies"
        # Through POST /api/v1/credentials:batch, 1,000 a request, two requests at a time.
        chunk=10000 made=0 started=$SECONDS
        while ((made < missing)); do
            n=$((missing - made < chunk ? missing - made : chunk))
            seq $((made + 1)) $((made + n)) | jq -Rc --argjson per "$per_agent" '
                (tonumber - 1) as $i | "fleet-\(($i / $per | floor) + 1)" as $agent
                | {id: "\($agent)-\($i % $per + 1)", agent: $agent, type: "api-key", backend: "hsm",
                   rotation: {every: "P30D"}, targets: [{target: "local-files", path: "fleet/\($agent)/\($i % $per + 1)"}]}' \
                | jq -sc '. as $all | range(0; length; 1000) | {credentials: $all[.:. + 1000]}' >"$work/bodies"
            parallel=2 post_many "$api/api/v1/credentials:batch" "$work/bodies"
            made=$((made + n))
            rk_info "  $made of $missing created ($((made / (SECONDS - started + 1)))/s)"
        done
    fi
    fleet_rss_kb=$(ps -o rss= -p "$daemon_pid" | tr -d ' ')
    fleet_db_bytes=$(stat -c %s "$data/rotakey.mv.db" 2>/dev/null || echo 0)
    rk_info "Fleet filled: the daemon's resident memory is $((fleet_rss_kb / 1024)) MB, the H2 file $((fleet_db_bytes / 1024 / 1024)) MB"
    : >"$work/fleet.rates"
    for ((rep = 1; rep <= repeat; rep++)); do
        measure_rotations fleet "$rep"
    done
fi

# ---------------------------------------------------------------- the table

# median: the median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
col() { awk -v c="$2" '{ print $c }' "$1"; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, v }'; }
met() { awk -v v="$1" -v op="$2" -v goal="$3" 'BEGIN { ok = (op == ">=") ? v >= goal : v <= goal; print ok ? "yes" : "no" }'; }

cert_med=$(col "$work/small.rates" 1 | median)
api_med=$(col "$work/small.rates" 2 | median)
ref_med=$(median <"$work/reference.rates")
cert_ratio=$(paste -d' ' <(col "$work/small.rates" 1) "$work/reference.rates" | awk '{ print $1 / $2 }' | median)
sched_med=$(col "$work/small.rates" 3 | median)
sched_ratio=$(awk '{ print $3 / $2 }' "$work/small.rates" | median)
verify_rps=$(col "$work/wrk.rates" 1 | median)
verify_p99=$(col "$work/wrk.rates" 2 | median)
chain_rps=$(col "$work/wrk.rates" 3 | median)
chain_p99=$(col "$work/wrk.rates" 4 | median)
verify_ratio=$(awk '{ print $1 / $3 }' "$work/wrk.rates" | median)

table="$work/table.md"
{
    echo "| measure | Rotakey | reference | ratio | goal | met? |"
    echo "|---|---|---|---|---|---|"
    echo "| certificate rotations/s (EC P-256, export, $count credentials, one rotate task) | $(fmt "$cert_med" 1) | $(fmt "$ref_med" 1) (one thread: key, token signature, durable PEM) | $(fmt "$cert_ratio" 2) | ≥ 0.5 | $(met "$cert_ratio" '>=' 0.5) |"
    echo "| API-key rotations/s ($count credentials, one rotate task) | $(fmt "$api_med" 1) | — | — | ≥ 1000/s | $(met "$api_med" '>=' 1000) |"
    echo "| API-key rotations/s due together, started by the scheduler ($count, one cron second) | $(fmt "$sched_med" 1) | $(fmt "$api_med" 1) (one rotate task) | $(fmt "$sched_ratio" 2) | ≥ 0.8 | $(met "$sched_ratio" '>=' 0.8) |"
    echo "| API-key verify, req/s (wrk, 16 connections) | $(fmt "$verify_rps") | $(fmt "$chain_rps") (GET CA chain) | $(fmt "$verify_ratio" 2) | ≥ 0.9 | $(met "$verify_ratio" '>=' 0.9) |"
    echo "| API-key verify, p99 latency ms | $(fmt "$verify_p99" 1) | $(fmt "$chain_p99" 1) (GET CA chain) | — | ≤ 5 ms | $(met "$verify_p99" '<=' 5) |"
    if ((certmonger)); then
        cm_med=$(median <"$work/certmonger.rates")
        cm_ratio=$(paste -d' ' <(col "$work/small.rates" 1) "$work/certmonger.rates" | awk '{ print $1 / $2 }' | median)
        echo "| certificate rotations/s against certmonger ('getcert rekey' of $cm_count, local CA, keys in files) | $(fmt "$cert_med" 1) | $(fmt "$cm_med" 1) (certmonger) | $(fmt "$cm_ratio" 2) | — | — |"
    fi
    if ((fleet > 0)); then
        fleet_cert=$(col "$work/fleet.rates" 1 | median)
        fleet_api=$(col "$work/fleet.rates" 2 | median)
        fleet_cert_ratio=$(awk -v a="$fleet_cert" -v b="$cert_med" 'BEGIN { print a / b }')
        fleet_api_ratio=$(awk -v a="$fleet_api" -v b="$api_med" 'BEGIN { print a / b }')
        echo "| certificate rotations/s, fleet of $fleet | $(fmt "$fleet_cert" 1) | $(fmt "$cert_med" 1) (small fleet) | $(fmt "$fleet_cert_ratio" 2) | ≥ 0.9 | $(met "$fleet_cert_ratio" '>=' 0.9) |"
        echo "| API-key rotations/s, fleet of $fleet | $(fmt "$fleet_api" 1) | $(fmt "$api_med" 1) (small fleet) | $(fmt "$fleet_api_ratio" 2) | ≥ 0.9 | $(met "$fleet_api_ratio" '>=' 0.9) |"
    fi
} >"$table"

mkdir -p "$(dirname "$results")"
{
    echo "# Rotakey benchmark, $(date -u +%FT%TZ)"
    echo
    echo "Commit $(git -C "$RK_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$RK_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)');" \
        "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $count credentials a measure," \
        "median of $repeat repetition(s); ratios are the median of each repetition's ratio (fleet: ratio of medians)."
    echo
    cat "$table"
    echo
    echo "Each repetition (Rotakey, reference):"
    echo
    echo "| rep | cert/s | reference/s | API-key/s | scheduled API-key/s | verify req/s | verify p99 ms | chain req/s | chain p99 ms |"
    echo "|---|---|---|---|---|---|---|---|---|"
    paste -d' ' "$work/small.rates" "$work/reference.rates" "$work/wrk.rates" \
        | awk '{ printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", NR, $1, $4, $2, $3, $5, $6, $7, $8 }'
    if ((certmonger)); then
        echo
        echo "certmonger, each repetition: $(paste -sd' ' "$work/certmonger.rates" | sed 's/ /, /g') re-keys/s."
    fi
    if ((fleet > 0)); then
        echo
        echo "With a fleet of $fleet: $(awk '{ printf "%s%s cert/s, %s API-key/s", (NR > 1 ? "; " : ""), $1, $2 }' "$work/fleet.rates")." \
            "Once the fleet was filled, the daemon's resident memory was $((fleet_rss_kb / 1024)) MB and the H2 file (if H2)" \
            "$((fleet_db_bytes / 1024 / 1024)) MB."
    fi
} >"$results"
cat "$table"
rk_ok "results written to $results"
