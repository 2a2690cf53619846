#!/usr/bin/env bash
# A local cluster of three Rotakey nodes over the machine's PostgreSQL and one SoftHSM2 token, to try failover by hand.
set -euo pipefail

usage() {
    cat <<EOF
Usage: scripts/cluster.sh COMMAND [--no-build]

  up           build target/rotakey.jar if needed, start node1, wait until it answers (it creates the
               key material and the admin token), then node2 and node3; print the URLs and the token
  down         stop every node gracefully (SIGTERM, then wait for running steps to finish)
  kill NODE    SIGKILL one node (node1, node2 or node3): its work is taken over by the others
  start NODE   start one node again and wait until it answers
  status       each node's pid, whether it is alive, and its GET /api/v1/status

  --no-build   (up) do not run Maven; use the existing target/rotakey.jar

Each node runs  java -jar target/rotakey.jar server config/rotakey-cluster.yml  on 127.0.0.1, with
its own data directory and log, over the PostgreSQL database \$ROTAKEY_CLUSTER_DB on 127.0.0.1:5432
(trust auth, user postgres; created if missing) and one SoftHSM2 token both shared by the nodes.
Only processes this script started (recorded in pid files, checked against their command line)
are ever signalled.

Environment (defaults in brackets):
  ROTAKEY_CLUSTER_DIR          [.cluster/ in the repository] pid files, logs, data directories,
                               the shared token and local-files directory
  ROTAKEY_CLUSTER_DB           [rotakey_cluster] the PostgreSQL database the nodes share
  ROTAKEY_CLUSTER_HTTP_PORTS   ["8181 8182 8183"] the API ports of node1, node2, node3
  ROTAKEY_CLUSTER_ADMIN_PORTS  ["8191 8192 8193"] their admin ports (tasks, health checks, metrics)
  ROTAKEY_CLUSTER_JAVA_OPTS    [-Xmx512m] options for each node's JVM
  ROTAKEY_CLUSTER_START_TIMEOUT  [120] seconds a node may take to answer after its start
  ROTAKEY_CLUSTER_STOP_TIMEOUT   [90] seconds a node may take to exit after SIGTERM
  RK_PG_PORT                   [5432] PostgreSQL's port on 127.0.0.1
  ROTAKEY_SKIP_PACKAGES=1      never call apt-get
EOF
}

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

NODES=(node1 node2 node3)
cluster_dir=$(rk_abspath "${ROTAKEY_CLUSTER_DIR:-$RK_ROOT/.cluster}")
shared_dir="$cluster_dir/shared"
db_name=${ROTAKEY_CLUSTER_DB:-rotakey_cluster}
pg_port=${RK_PG_PORT:-5432}
config="$RK_ROOT/config/rotakey-cluster.yml"
read -r -a http_ports <<<"${ROTAKEY_CLUSTER_HTTP_PORTS:-8181 8182 8183}"
read -r -a admin_ports <<<"${ROTAKEY_CLUSTER_ADMIN_PORTS:-8191 8192 8193}"
read -r -a java_opts <<<"${ROTAKEY_CLUSTER_JAVA_OPTS:--Xmx512m}"
# node1 creates the bootstrap token; the other nodes share it and get no file of their own.
token_file="$cluster_dir/node1/admin-token"
# How long a node may take to answer after its start, and to exit after SIGTERM.
start_timeout=${ROTAKEY_CLUSTER_START_TIMEOUT:-120}
stop_timeout=${ROTAKEY_CLUSTER_STOP_TIMEOUT:-90}

[[ "$db_name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || rk_die "ROTAKEY_CLUSTER_DB must be lower-case letters, digits and '_' (got '$db_name')"
for ports in "${http_ports[*]}" "${admin_ports[*]}"; do
    [[ "$ports" =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]] || rk_die "the port lists must hold three port numbers each (got '$ports')"
done

# ---------------------------------------------------------------- nodes

node_index() {
    local i
    for i in "${!NODES[@]}"; do
        [[ "${NODES[$i]}" == "$1" ]] && { echo "$i"; return 0; }
    done
    rk_die "unknown node '$1': one of ${NODES[*]}"
}

# What a node's JVM carries on its command line, so that a pid file is trusted only while its
# process is still the node this cluster started (pids are reused).
node_marker() { printf -- '-Drotakey.cluster.node=%s/%s' "$cluster_dir" "$1"; }

pid_file() { printf '%s/%s.pid' "$cluster_dir" "$1"; }
log_file() { printf '%s/%s.log' "$cluster_dir" "$1"; }

# Prints the pid of the node's JVM if it runs; forgets a pid file whose process is gone or is another program.
node_pid() {
    local file pid args
    file=$(pid_file "$1")
    [[ -f "$file" ]] || return 0
    pid=$(<"$file")
    if [[ "$pid" =~ ^[0-9]+$ ]] && args=$(ps -ww -o args= -p "$pid" 2>/dev/null) \
        && [[ " $args " == *" $(node_marker "$1") "* ]]; then
        echo "$pid"
    else
        rm -f "$file"
    fi
}

# curl with node1's admin token, given to curl on standard input so that it shows in no process's arguments.
curl_auth() {
    [[ -s "$token_file" ]] || return 1
    printf 'header = "Authorization: Bearer %s"\n' "$(<"$token_file")" | curl -K - "$@"
}

api_answers() {
    local i
    i=$(node_index "$1")
    curl_auth -fsS -o /dev/null -m 5 "http://127.0.0.1:${http_ports[$i]}/api/v1/status" 2>/dev/null
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Launches the node's JVM in a session of its own (Ctrl-C in this shell, or closing it, does not stop it).
launch_node() {
    local node=$1 i pid dir log port
    i=$(node_index "$node")
    dir="$cluster_dir/$node"
    log=$(log_file "$node")
    for port in "${http_ports[$i]}" "${admin_ports[$i]}"; do
        port_in_use "$port" && rk_die "port $port ($node) is already in use: stop what listens there, or set ROTAKEY_CLUSTER_HTTP_PORTS / ROTAKEY_CLUSTER_ADMIN_PORTS"
    done
    mkdir -p "$dir"
    chmod 0700 "$dir"
    printf '=== %s start %s\n' "$node" "$(date -u +%FT%TZ)" >>"$log"
    (
        export ROTAKEY_NODE="$node" ROTAKEY_DATA_DIR="$dir" ROTAKEY_SHARED_DIR="$shared_dir"
        export ROTAKEY_HTTP_PORT="${http_ports[$i]}" ROTAKEY_ADMIN_PORT="${admin_ports[$i]}"
        export ROTAKEY_DB_URL="jdbc:postgresql://127.0.0.1:$pg_port/$db_name" ROTAKEY_DB_USER=postgres
        export ROTAKEY_CRL_BASE_URL="http://localhost:${http_ports[0]}"
        export SOFTHSM2_CONF="$shared_dir/softhsm2.conf"
        cd "$dir"
        # exec twice: setsid (not a process group leader here, so it does not fork) and java keep this pid.
        exec setsid java "${java_opts[@]}" "$(node_marker "$node")" -jar "$RK_ROOT/$RK_JAR" server "$config"
    ) </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$(pid_file "$node")"
    rk_info "$node starting (pid $pid, API http://127.0.0.1:${http_ports[$i]}, log $log)"
}

# Waits until the node's API answers with node1's token; stops waiting if its JVM exits.
await_node() {
    local node=$1 i deadline
    i=$(node_index "$node")
    deadline=$((SECONDS + start_timeout))
    until api_answers "$node"; do
        if [[ -z "$(node_pid "$node")" ]]; then
            tail -n 40 "$(log_file "$node")" >&2 || true
            rk_die "$node exited during its start (last lines of $(log_file "$node") above)"
        fi
        ((SECONDS < deadline)) || rk_die "$node did not answer within ${start_timeout} s (see $(log_file "$node"))"
        sleep 1
    done
    rk_ok "$node answers on http://127.0.0.1:${http_ports[$i]}"
}

start_node() {
    local node=$1 pid
    pid=$(node_pid "$node")
    if [[ -n "$pid" ]]; then
        rk_ok "$node already runs (pid $pid)"
        return 0
    fi
    [[ "$node" == "${NODES[0]}" || -s "$token_file" ]] \
        || rk_die "$token_file is missing: start ${NODES[0]} first (scripts/cluster.sh up); it creates the cluster's admin token"
    launch_node "$node"
}

# Waits up to SECONDS for the node's JVM PID, already signalled with SIG, to be gone; 1 if it still runs.
await_exit() {
    local node=$1 pid=$2 sig=$3 seconds=$4 deadline
    deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && [[ -n "$(node_pid "$node")" ]]; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
    rm -f "$(pid_file "$node")"
    rk_ok "$node stopped (SIG$sig, was pid $pid)"
}

# ---------------------------------------------------------------- set-up

ensure_database() {
    command -v psql >/dev/null 2>&1 || rk_apt_install postgresql-client
    local psql=(psql -w -q -X -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres)
    if [[ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" != 1 ]]; then
        "${psql[@]}" -c "CREATE DATABASE $db_name" >/dev/null || rk_die "cannot create database $db_name"
        rk_ok "created PostgreSQL database $db_name"
    else
        rk_ok "PostgreSQL database $db_name exists"
    fi
}

prepare() {
    local build=$1
    rk_need_packages
    rk_ensure_postgres
    ensure_database
    if ((build)); then
        rk_build
    else
        [[ -f "$RK_ROOT/$RK_JAR" ]] || rk_die "--no-build given but $RK_JAR does not exist: run without --no-build"
    fi
    [[ -f "$config" ]] || rk_die "$config is missing"
    mkdir -p "$cluster_dir"
    chmod 0700 "$cluster_dir"
    "$RK_ROOT/scripts/init-softhsm.sh" "$shared_dir" >/dev/null
    mkdir -p "$shared_dir/delivered"
    chmod 0700 "$shared_dir/delivered"
}

# ---------------------------------------------------------------- commands

cmd_up() {
    prepare "$1"
    start_node "${NODES[0]}"
    await_node "${NODES[0]}"
    local node
    for node in "${NODES[@]:1}"; do start_node "$node"; done
    for node in "${NODES[@]:1}"; do await_node "$node"; done
    local i
    echo
    echo "Rotakey cluster up ($cluster_dir), database $db_name on 127.0.0.1:$pg_port:"
    for i in "${!NODES[@]}"; do
        printf '  %s  API http://127.0.0.1:%s/api/v1/   admin http://127.0.0.1:%s/   pid %s\n' \
            "${NODES[$i]}" "${http_ports[$i]}" "${admin_ports[$i]}" "$(node_pid "${NODES[$i]}")"
    done
    echo "  admin token  $(<"$token_file")   (file: $token_file)"
    echo "  try:  H=\"Authorization: Bearer \$(cat $token_file)\""
    echo "        curl -s http://127.0.0.1:${http_ports[1]}/api/v1/status -H \"\$H\""
    echo "        $0 kill node2; $0 status; $0 start node2; $0 down"
}

cmd_down() {
    local node pid failed=()
    local -A signalled=()
    # SIGTERM to all at once: each finishes its running steps, the others need not take them over.
    for node in "${NODES[@]}"; do
        pid=$(node_pid "$node")
        if [[ -z "$pid" ]]; then
            rk_ok "$node is not running"
            continue
        fi
        kill -s TERM "$pid" 2>/dev/null || true
        signalled[$node]=$pid
    done
    for node in "${NODES[@]}"; do
        [[ -n "${signalled[$node]:-}" ]] || continue
        await_exit "$node" "${signalled[$node]}" TERM "$stop_timeout" || failed+=("$node")
    done
    ((${#failed[@]} == 0)) || rk_die "still running ${stop_timeout} s after SIGTERM: ${failed[*]} (scripts/cluster.sh kill NODE ends one at once)"
}

cmd_kill() {
    local node=$1 pid
    node_index "$node" >/dev/null
    pid=$(node_pid "$node")
    [[ -n "$pid" ]] || rk_die "$node is not running"
    kill -s KILL "$pid" 2>/dev/null || true
    await_exit "$node" "$pid" KILL 30 || rk_die "$node outlived SIGKILL for 30 s"
    echo "$node killed. Its rotations are taken over by another node once it misses its check-ins (about 15 s)."
}

cmd_start() {
    local node=$1
    node_index "$node" >/dev/null
    [[ -f "$RK_ROOT/$RK_JAR" ]] || rk_die "$RK_JAR is missing: run scripts/cluster.sh up"
    [[ -f "$shared_dir/softhsm2.conf" ]] || rk_die "no cluster in $cluster_dir: run scripts/cluster.sh up"
    start_node "$node"
    await_node "$node"
}

cmd_status() {
    local i node pid body
    for i in "${!NODES[@]}"; do
        node=${NODES[$i]}
        pid=$(node_pid "$node")
        if [[ -z "$pid" ]]; then
            printf '%s  stopped   API http://127.0.0.1:%s\n' "$node" "${http_ports[$i]}"
            continue
        fi
        if body=$(curl_auth -fsS -m 5 "http://127.0.0.1:${http_ports[$i]}/api/v1/status" 2>&1); then
            printf '%s  alive     pid %s  API http://127.0.0.1:%s\n    %s\n' "$node" "$pid" "${http_ports[$i]}" "$body"
        else
            printf '%s  alive     pid %s  API http://127.0.0.1:%s does not answer: %s\n' \
                "$node" "$pid" "${http_ports[$i]}" "${body:-no token}"
        fi
    done
}

command=${1:-}
shift || true
build=1
args=()
for arg in "$@"; do
    case $arg in
        --no-build) build=0 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "unknown option: $arg" >&2; usage >&2; exit 2 ;;
        *) args+=("$arg") ;;
    esac
done

case $command in
    up) ((${#args[@]} == 0)) || { usage >&2; exit 2; }; cmd_up "$build" ;;
    down) cmd_down ;;
    kill | start)
        ((${#args[@]} == 1)) || { echo "usage: scripts/cluster.sh $command NODE" >&2; exit 2; }
        "cmd_$command" "${args[0]}" ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
