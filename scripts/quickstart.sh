#!/usr/bin/env bash
# Fresh clone -> running Rotakey daemon in the foreground, on the embedded defaults.
set -euo pipefail

# The same heap and collector as the systemd unit's: explicit, so that the JVM does not size it from the machine's
# memory (and picks the collector that serves a small heap on few cores best; see docs/performance.md).
default_java_opts="-Xms256m -Xmx256m -XX:+UseParallelGC -XX:-UseAdaptiveSizePolicy -XX:+ExitOnOutOfMemoryError"

usage() {
    cat <<EOF
Usage: scripts/quickstart.sh [--no-build] [-h|--help]

Installs what is missing (JDK 17, Maven, SoftHSM2, OpenSC, OpenSSL, curl; with apt-get),
builds target/rotakey.jar if the sources changed, initialises the SoftHSM2 token under the
data directory, then runs the daemon in the foreground (Ctrl-C stops it):
  java \$ROTAKEY_JAVA_OPTS -jar target/rotakey.jar server config/rotakey.yml

  --no-build   do not run Maven; use the existing target/rotakey.jar

Environment (defaults in brackets):
  ROTAKEY_DATA_DIR    [data/ in the repository] data, HSM token, PIN files, admin token
  ROTAKEY_HTTP_PORT   [8080] API port
  ROTAKEY_ADMIN_PORT  [8081] admin port (tasks, health checks, metrics)
  ROTAKEY_JAVA_OPTS   [$default_java_opts]
                      the JVM's options: a 256 MB heap holds 100,000 credentials (docs/operations.md#memory)
  ROTAKEY_SKIP_PACKAGES=1  never call apt-get

Works from any directory. Then, in another shell: scripts/smoke.sh
EOF
}

build=1
for arg in "$@"; do
    case $arg in
        -h | --help) usage; exit 0 ;;
        --no-build) build=0 ;;
        *) echo "unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RK_ROOT"

# An explicit ROTAKEY_DATA_DIR is taken from where the script was started; the default is
# ./data in the repository, the daemon's own default when it runs from there.
if [[ -n "${ROTAKEY_DATA_DIR:-}" ]]; then
    data_dir=$(rk_abspath "$ROTAKEY_DATA_DIR")
else
    data_dir="$RK_ROOT/data"
fi
http_port=${ROTAKEY_HTTP_PORT:-8080}
admin_port=${ROTAKEY_ADMIN_PORT:-8081}

rk_need_packages
rk_apt_install python3   # for scripts/rotakeyctl, the operator CLI
if ((build)); then
    rk_build
else
    [[ -f "$RK_JAR" ]] || rk_die "--no-build given but $RK_JAR does not exist: run without --no-build"
    rk_info "Not building (--no-build): using $RK_JAR"
fi
[[ -f config/rotakey.yml ]] || rk_die "config/rotakey.yml is missing from $RK_ROOT"

"$RK_ROOT/scripts/init-softhsm.sh" "$data_dir" >/dev/null

for port in "$http_port" "$admin_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        rk_die "port $port is already in use (another Rotakey running?). Stop it, or set ROTAKEY_HTTP_PORT / ROTAKEY_ADMIN_PORT."
    fi
done

export ROTAKEY_DATA_DIR="$data_dir"
export ROTAKEY_HTTP_PORT="$http_port"
export ROTAKEY_ADMIN_PORT="$admin_port"
export SOFTHSM2_CONF="$data_dir/softhsm2.conf"

# What scripts/smoke.sh needs to find this daemon, when it is not on the defaults.
smoke_env=""
[[ "$data_dir" == "$RK_ROOT/data" ]] || smoke_env+="ROTAKEY_DATA_DIR=$(printf '%q' "$data_dir") "
[[ "$http_port" == 8080 ]] || smoke_env+="ROTAKEY_HTTP_PORT=$http_port "
[[ "$admin_port" == 8081 ]] || smoke_env+="ROTAKEY_ADMIN_PORT=$admin_port "

token_file="$data_dir/admin-token"
if [[ -s "$token_file" ]]; then
    token_note="$token_file (exists)"
else
    token_note="$token_file (created by the daemon on first start, mode 0600)"
fi
cat >&2 <<EOF

  Rotakey is starting in the foreground (Ctrl-C stops it).
    API            http://127.0.0.1:$http_port/api/v1/
    admin          http://127.0.0.1:$admin_port/  (tasks, /healthcheck, /metrics)
    data dir       $data_dir
    admin token    $token_note
    HSM token      'rotakey' (SoftHSM2), PIN in $data_dir/hsm-pin
  In another shell:
    export SOFTHSM2_CONF=$SOFTHSM2_CONF   # for softhsm2-util / pkcs11-tool
    curl -H "Authorization: Bearer \$(cat $token_file)" http://127.0.0.1:$http_port/api/v1/agents
    ROTAKEY_URL=http://127.0.0.1:$http_port ROTAKEY_ADMIN_URL=http://127.0.0.1:$admin_port \\
      ROTAKEY_TOKEN_FILE=$token_file $RK_ROOT/scripts/rotakeyctl status   # the operator CLI
    ${smoke_env}$RK_ROOT/scripts/smoke.sh   # end-to-end check

EOF
read -r -a java_opts <<<"${ROTAKEY_JAVA_OPTS:-$default_java_opts}"
exec java "${java_opts[@]}" -jar "$RK_JAR" server config/rotakey.yml
