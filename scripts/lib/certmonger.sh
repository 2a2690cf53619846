#!/usr/bin/env bash
# certmonger beside Rotakey, for scripts/bench.sh --certmonger. Source it, do not run it; it needs
# scripts/lib/common.sh and sets nothing up until start_certmonger is called:
#   CM_DIR=DIR CM_COUNT=N source "$RK_ROOT/scripts/lib/certmonger.sh"
#   start_certmonger; certmonger_rate; …; stop_certmonger
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "scripts/lib/certmonger.sh is a library: source it from scripts/bench.sh." >&2
    exit 2
fi

# certmonger runs on a D-Bus session bus of its own, with its state under $CM_DIR (the
# CERTMONGER_* directories), so it needs no system bus and touches nothing of the host's.
cm_dir=${CM_DIR:?set CM_DIR to the directory for the state of certmonger}
cm_count=${CM_COUNT:?set CM_COUNT to the number of certificates}
bus_pid="" certmonger_pid=""
cm() {
    env CERTMONGER_CAS_DIR="$cm_dir/cas" CERTMONGER_REQUESTS_DIR="$cm_dir/requests" \
        CERTMONGER_LOCAL_CA_DIR="$cm_dir/local" CERTMONGER_TMPDIR="$cm_dir/tmp" CERTMONGER_CONFIG_DIR="$cm_dir/config" \
        CERTMONGER_SYSTEM_LOCK_FILE="$cm_dir/lock" DBUS_SESSION_BUS_ADDRESS="unix:path=$cm_dir/bus" "$@"
}
stop_certmonger() {
    local pid
    for pid in "$certmonger_pid" "$bus_pid"; do
        [[ -n "$pid" ]] || continue
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    certmonger_pid="" bus_pid=""
}

# cm_monitoring: how many of certmonger's requests are issued and monitored.
cm_monitoring() { cm getcert list -s 2>/dev/null | grep -c 'status: MONITORING' || true; }

# start_certmonger: the bus, certmonger, and $cm_count requests for EC P-256 certificates from its local CA.
start_certmonger() {
    local i deadline
    mkdir -p "$cm_dir"/{cas,requests,local,tmp,config,certs}
    dbus-daemon --session --nofork --address="unix:path=$cm_dir/bus" </dev/null >"$cm_dir/bus.log" 2>&1 &
    bus_pid=$!
    deadline=$((SECONDS + 30))
    until [[ -S "$cm_dir/bus" ]]; do
        ((SECONDS < deadline)) || rk_die "dbus-daemon did not open $cm_dir/bus (see $cm_dir/bus.log)"
        sleep 0.2
    done
    cm certmonger -s -n </dev/null >"$cm_dir/certmonger.log" 2>&1 &
    certmonger_pid=$!
    deadline=$((SECONDS + 30))
    until cm getcert list-cas -s >/dev/null 2>&1; do
        kill -0 "$certmonger_pid" 2>/dev/null || rk_die "certmonger exited (see $cm_dir/certmonger.log)"
        ((SECONDS < deadline)) || rk_die "certmonger does not answer on the session bus (see $cm_dir/certmonger.log)"
        sleep 0.2
    done
    rk_info "certmonger: requesting $cm_count certificates from its local CA"
    for ((i = 1; i <= cm_count; i++)); do
        mkdir -p "$cm_dir/certs/$i"
        cm getcert request -s -c local -I "bench-$i" -f "$cm_dir/certs/$i/cert.pem" -k "$cm_dir/certs/$i/key.pem" \
            -G ec -g 256 -N "CN=bench-$i" >/dev/null || rk_die "getcert request failed (see $cm_dir/certmonger.log)"
    done
    deadline=$((SECONDS + 120 + 2 * cm_count))
    until (($(cm_monitoring) == cm_count)) && (($(find "$cm_dir/certs" -name cert.pem | wc -l) == cm_count)); do
        ((SECONDS < deadline)) || rk_die "certmonger did not issue $cm_count certificates in time (see $cm_dir/certmonger.log)"
        sleep 0.5
    done
}

# certmonger_rate: 'getcert rekey' of every certificate (new key, new certificate), and the rate from the
# first call to the last certificate file written.
certmonger_rate() {
    local i t0 deadline last
    touch "$cm_dir/t0"
    t0=$(stat -c '%.9Y' "$cm_dir/t0")
    for ((i = 1; i <= cm_count; i++)); do
        cm getcert rekey -s -i "bench-$i" >/dev/null || rk_die "getcert rekey -i bench-$i failed"
    done
    deadline=$((SECONDS + 120 + 2 * cm_count))
    until (($(find "$cm_dir/certs" -name cert.pem -newer "$cm_dir/t0" | wc -l) == cm_count)) \
        && (($(cm_monitoring) == cm_count)); do
        ((SECONDS < deadline)) || rk_die "certmonger did not re-key $cm_count certificates in time (see $cm_dir/certmonger.log)"
        sleep 0.5
    done
    last=$(find "$cm_dir/certs" -name cert.pem -printf '%T@\n' | sort -g | tail -n 1)
    awk -v n="$cm_count" -v t0="$t0" -v t1="$last" 'BEGIN { printf "%.1f\n", n / (t1 - t0) }'
}
