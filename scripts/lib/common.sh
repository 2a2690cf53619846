#!/usr/bin/env bash
# Shared functions for Rotakey's operator scripts. Source it, do not run it:
#   # shellcheck source=lib/common.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# Environment knobs (all optional):
#   ROTAKEY_SKIP_PACKAGES=1   never call apt-get; only check that the commands exist
#   RK_PG_PORT                port rk_ensure_postgres checks and sets up (default 5432)
#   RK_PG_CLUSTER             Debian cluster name it creates when none serves that port (default main)
#   RK_REDIS_PORT             port rk_ensure_redis checks and starts Redis on (default 6379)
#   NO_COLOR                  plain log output
set -euo pipefail

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "scripts/lib/common.sh is a library: source it from another script." >&2
    exit 2
fi
[[ -n "${RK_COMMON_LOADED:-}" ]] && return 0
RK_COMMON_LOADED=1

# Repository root (this file lives in <root>/scripts/lib).
RK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
# Where the calling script was started from, before any cd.
RK_ORIG_PWD="$PWD"
RK_JAR="target/rotakey.jar"
# shellcheck disable=SC2034 # used by the scripts that source this file
RK_HSM_LIBRARY="/usr/lib/softhsm/libsofthsm2.so"
# shellcheck disable=SC2034 # used by the scripts that source this file
RK_TOKEN_LABEL="rotakey"
# Packages the build, the daemon and the tests need on Debian.
RK_BASE_PACKAGES=(openjdk-17-jdk-headless maven softhsm2 opensc openssl curl python3-yaml)

# ---------------------------------------------------------------- logging

if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
    RK_C_BLUE=$'\e[1;34m' RK_C_GREEN=$'\e[1;32m' RK_C_YELLOW=$'\e[1;33m' RK_C_RED=$'\e[1;31m' RK_C_OFF=$'\e[0m'
else
    RK_C_BLUE='' RK_C_GREEN='' RK_C_YELLOW='' RK_C_RED='' RK_C_OFF=''
fi

# All log output goes to stderr, so that stdout stays usable for results.
rk_info() { printf '%s==>%s %s\n' "$RK_C_BLUE" "$RK_C_OFF" "$*" >&2; }
rk_ok()   { printf '%s ok%s %s\n' "$RK_C_GREEN" "$RK_C_OFF" "$*" >&2; }
rk_warn() { printf '%swarning:%s %s\n' "$RK_C_YELLOW" "$RK_C_OFF" "$*" >&2; }
rk_die()  { printf '%serror:%s %s\n' "$RK_C_RED" "$RK_C_OFF" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers

# Runs a command as root: directly when we are root, through sudo otherwise.
rk_sudo() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        rk_die "need root for: $* (not root, and sudo is not installed)"
    fi
}

# rk_as_root CMD...: runs a command as root (rk_sudo), or as it is when RK_STAGED=1, which
# install.sh and uninstall.sh set for --root DIR: a staged tree belongs to whoever stages it.
rk_as_root() {
    if ((${RK_STAGED:-0})); then
        "$@"
    else
        rk_sudo "$@"
    fi
}

# rk_abspath PATH [BASE]: PATH made absolute against BASE (default: where the script was started).
# The directory itself need not exist; its parent components are not resolved.
rk_abspath() {
    local path=$1 base=${2:-$RK_ORIG_PWD}
    [[ "$path" == /* ]] || path="$base/$path"
    # Tidy "/./" and a trailing "/." or "/" without resolving symlinks.
    while [[ "$path" == *"/./"* ]]; do path=${path//\/.\//\/}; done
    path=${path%/.}
    [[ "$path" == "/" ]] || path=${path%/}
    printf '%s\n' "$path"
}

# ---------------------------------------------------------------- packages

# Command that each package provides, used when there is no dpkg to ask.
rk__package_command() {
    case $1 in
        openjdk-17-jdk-headless) echo javac ;;
        openjdk-17-jre-headless | default-jre-headless) echo java ;;
        maven) echo mvn ;;
        softhsm2) echo softhsm2-util ;;
        opensc) echo pkcs11-tool ;;
        postgresql) echo pg_ctlcluster ;;
        postgresql-client) echo psql ;;
        mariadb-server) echo mariadbd ;;
        mariadb-client) echo mariadb ;;
        prometheus) echo promtool ;;
        prometheus-alertmanager) echo prometheus-alertmanager ;;
        *) echo "$1" ;;
    esac
}

# Prints the packages among the arguments that are not installed, one a line.
rk_missing_packages() {
    local pkg status
    for pkg in "$@"; do
        if command -v dpkg-query >/dev/null 2>&1; then
            status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
            [[ "$status" == "install ok installed" ]] || printf '%s\n' "$pkg"
        else
            command -v "$(rk__package_command "$pkg")" >/dev/null 2>&1 || printf '%s\n' "$pkg"
        fi
    done
}

RK_APT_UPDATED=""

# rk_apt_install PKG...: installs those of the Debian packages that are missing. Runs
# `apt-get update` (once per process) and `apt-get install` only when something is missing.
rk_apt_install() {
    local missing=()
    mapfile -t missing < <(rk_missing_packages "$@")
    ((${#missing[@]} > 0)) || return 0

    if [[ -n "${ROTAKEY_SKIP_PACKAGES:-}" ]] || ! command -v apt-get >/dev/null 2>&1; then
        local pkg cmds=()
        for pkg in "${missing[@]}"; do
            command -v "$(rk__package_command "$pkg")" >/dev/null 2>&1 || cmds+=("$pkg")
        done
        ((${#cmds[@]} == 0)) && return 0
        rk_die "missing: ${cmds[*]}. Install them (they are Debian package names), or run on Debian/Ubuntu without ROTAKEY_SKIP_PACKAGES."
    fi

    rk_info "Installing missing packages: ${missing[*]}"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q)
    if [[ -z "$RK_APT_UPDATED" ]]; then
        rk_sudo "${apt[@]}" update >/dev/null || rk_die "apt-get update failed"
        RK_APT_UPDATED=1
    fi
    rk_sudo "${apt[@]}" install --no-install-recommends "${missing[@]}" >/dev/null \
        || rk_die "apt-get install ${missing[*]} failed"
    rk_ok "installed ${missing[*]}"
}

# rk_need_packages: JDK 17, Maven, SoftHSM2, OpenSC, OpenSSL, curl, PyYAML for rotakeyctl -f x.yaml (others: rk_apt_install).
rk_need_packages() {
    rk_apt_install "${RK_BASE_PACKAGES[@]}"
    rk_check_java
}

# Makes sure `java` and `mvn` run on Java 17 or newer: when the default java is older and
# Debian's JDK 17 is installed, points JAVA_HOME and PATH at it.
rk_check_java() {
    local version major
    if command -v java >/dev/null 2>&1; then
        version=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
        major=${version%%.*}
        [[ "$major" == 1 ]] && major=$(cut -d. -f2 <<<"$version")   # 1.8.0 -> 8
        if [[ "$major" =~ ^[0-9]+$ ]] && ((major >= 17)); then
            return 0
        fi
    fi
    local jdk
    for jdk in /usr/lib/jvm/java-17-openjdk-*; do
        if [[ -x "$jdk/bin/java" ]]; then
            export JAVA_HOME="$jdk" PATH="$jdk/bin:$PATH"
            rk_info "Using the JDK in $jdk (the default java is ${version:-missing})"
            return 0
        fi
    done
    rk_die "Java 17 or newer is needed (found: ${version:-no java}). Install openjdk-17-jdk-headless."
}

# rk_java_major [JAVA]: the major version of that java (default: the one on PATH), 8 for 1.8; nothing when it
# does not run.
rk_java_major() {
    local java=${1:-java} version major
    version=$("$java" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}') || return 0
    major=${version%%.*}
    [[ "$major" == 1 ]] && major=$(cut -d. -f2 <<<"$version")
    [[ "$major" =~ ^[0-9]+$ ]] && printf '%s\n' "$major"
    return 0
}

# rk_ensure_java_runtime: the unit runs /usr/bin/java. A Java 17 or newer there is kept, whichever it is; only
# when it is missing or older is one installed: default-jre-headless when the distribution's default is 17 or
# newer (its version 2:1.17-…, 2:1.21-…), else openjdk-17-jre-headless.
rk_ensure_java_runtime() {
    local major candidate pkg=openjdk-17-jre-headless
    major=$(rk_java_major /usr/bin/java)
    if [[ -n "$major" ]] && ((major >= 17)); then
        rk_ok "Java $major at /usr/bin/java"
        return 0
    fi
    candidate=$(apt-cache policy default-jre-headless 2>/dev/null | awk '/Candidate:/ {print $2; exit}') || true
    if [[ "$candidate" =~ ^2:1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 17)); then
        pkg=default-jre-headless
    fi
    rk_info "/usr/bin/java is ${major:+Java $major}${major:-missing}: installing $pkg"
    rk_apt_install "$pkg"
    major=$(rk_java_major /usr/bin/java)
    if [[ -z "$major" ]] || ((major < 17)); then
        rk_die "/usr/bin/java is still ${major:+Java $major}${major:-missing}: make it a Java 17 or newer (update-alternatives --config java)"
    fi
    rk_ok "Java $major at /usr/bin/java"
}

# ---------------------------------------------------------------- build

# Builds target/rotakey.jar with Maven unless it is newer than pom.xml and everything in src/.
rk_build() {
    (
        cd "$RK_ROOT"
        if [[ -f "$RK_JAR" ]] && [[ -z "$(find pom.xml src -newer "$RK_JAR" -print -quit 2>/dev/null)" ]]; then
            rk_ok "$RK_JAR is up to date"
            exit 0
        fi
        rk_info "Building $RK_JAR (mvn -B -q package -DskipTests; the first build downloads dependencies and takes a few minutes)"
        mvn -B -q package -DskipTests || rk_die "the Maven build failed (see above)"
        [[ -f "$RK_JAR" ]] || rk_die "the build finished but $RK_JAR is missing"
        rk_ok "built $RK_JAR"
    )
}

# ---------------------------------------------------------------- PostgreSQL

# Waits until PostgreSQL answers on 127.0.0.1:PORT, at most SECONDS.
rk__wait_pg() {
    local port=$1 seconds=$2 i
    for ((i = 0; i < seconds * 2; i++)); do
        pg_isready -q -h 127.0.0.1 -p "$port" && return 0
        sleep 0.5
    done
    return 1
}

# rk__pg_ctl start|reload VERSION CLUSTER: through systemd when it runs, else pg_ctlcluster directly.
rk__pg_ctl() {
    if [[ -d /run/systemd/system ]]; then
        rk_sudo systemctl "$1" "postgresql@$2-$3"
    else
        rk_sudo pg_ctlcluster --skip-systemctl-redirect "$2" "$3" "$1"
    fi
}

# rk_ensure_postgres: the tests need PostgreSQL on 127.0.0.1:5432 with trust auth for local TCP
# connections and a database `test`. If something already answers there, nothing is changed.
# Otherwise: install Debian's postgresql, create/start the cluster serving that port, put trust
# lines for 127.0.0.1/::1 at the top of its pg_hba.conf, reload, create the database `test`.
# Trust auth is for development and CI machines only.
rk_ensure_postgres() {
    local port=${RK_PG_PORT:-5432} name=${RK_PG_CLUSTER:-main}
    command -v pg_isready >/dev/null 2>&1 || rk_apt_install postgresql-client

    if pg_isready -q -h 127.0.0.1 -p "$port"; then
        rk_ok "PostgreSQL answers on 127.0.0.1:$port"
        if command -v psql >/dev/null 2>&1 \
            && ! PGCONNECT_TIMEOUT=5 psql -w -q -h 127.0.0.1 -p "$port" -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1; then
            rk_warn "cannot connect to database 'test' as user postgres without a password on 127.0.0.1:$port; tests that use PostgreSQL may fail"
        fi
        return 0
    fi

    rk_info "Nothing answers on 127.0.0.1:$port: setting up PostgreSQL from Debian's packages"
    rk_apt_install postgresql

    local ver="" status=""
    read -r ver name status < <(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p {print $1, $2, $4; exit}') || true
    if [[ -z "$ver" ]]; then
        name=${RK_PG_CLUSTER:-main}
        ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
        [[ -n "$ver" ]] || rk_die "postgresql is installed but no server version is under /usr/lib/postgresql"
        if pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v n="$name" '$1 == v && $2 == n {f = 1} END {exit !f}'; then
            rk_die "PostgreSQL cluster $ver/$name exists but not on port $port; set its port to $port (/etc/postgresql/$ver/$name/postgresql.conf) or free the port"
        fi
        rk_info "Creating PostgreSQL cluster $ver/$name on port $port"
        rk_sudo pg_createcluster -p "$port" "$ver" "$name" >/dev/null
        status=down
    fi

    local hba="/etc/postgresql/$ver/$name/pg_hba.conf"
    rk_sudo test -f "$hba" || rk_die "$hba not found"
    if ! rk_sudo grep -q '^# BEGIN rotakey' "$hba"; then
        rk_info "Allowing trust auth for 127.0.0.1 and ::1 in $hba (development/CI only)"
        local tmp
        tmp=$(mktemp)
        {
            echo '# BEGIN rotakey: trust local TCP connections (development and CI only; added by scripts/lib/common.sh)'
            echo 'host    all             all             127.0.0.1/32            trust'
            echo 'host    all             all             ::1/128                 trust'
            echo '# END rotakey'
            rk_sudo cat "$hba"
        } >"$tmp"
        # cp onto the existing file keeps its owner and mode.
        rk_sudo cp "$tmp" "$hba"
        rm -f "$tmp"
    fi

    if [[ "$status" == online* ]]; then
        rk_info "Reloading PostgreSQL $ver/$name"
        rk__pg_ctl reload "$ver" "$name"
    else
        rk_info "Starting PostgreSQL $ver/$name"
        rk__pg_ctl start "$ver" "$name"
    fi
    rk__wait_pg "$port" 60 || rk_die "PostgreSQL $ver/$name does not answer on 127.0.0.1:$port (see /var/log/postgresql/postgresql-$ver-$name.log)"

    local psql=(psql -w -q -X -h 127.0.0.1 -p "$port" -U postgres)
    if [[ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]]; then
        rk_info "Creating database 'test'"
        "${psql[@]}" -d postgres -c 'CREATE DATABASE test' >/dev/null
    fi
    rk_ok "PostgreSQL $ver/$name answers on 127.0.0.1:$port (trust auth, database 'test')"
}

# ---------------------------------------------------------------- Redis

# rk_ensure_redis: the tests need redis-server (they start their own TLS, replica and Sentinel servers with it) and
# a Redis on 127.0.0.1:6379 whose default user needs no password. If something already answers there, nothing is
# changed. Otherwise: start Debian's redis-server there, daemonized, without persistence, its log and working
# directory under ${TMPDIR:-/tmp}/rotakey-redis-PORT.
rk_ensure_redis() {
    local port=${RK_REDIS_PORT:-6379} answer i
    rk_apt_install redis-server
    answer=$(redis-cli -h 127.0.0.1 -p "$port" ping 2>&1 || true)
    if [[ "$answer" == PONG ]]; then
        rk_ok "Redis answers on 127.0.0.1:$port"
        return 0
    elif [[ "$answer" != *"Could not connect"* ]]; then
        rk_warn "something answers on 127.0.0.1:$port but not PONG ($answer); tests that use Redis may fail"
        return 0
    fi
    local dir="${TMPDIR:-/tmp}/rotakey-redis-$port"
    mkdir -p "$dir"
    rk_info "Nothing answers on 127.0.0.1:$port: starting redis-server (log: $dir/redis.log)"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
        --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" >/dev/null \
        || rk_die "redis-server did not start (see $dir/redis.log)"
    for ((i = 0; i < 60; i++)); do
        [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] && { rk_ok "Redis answers on 127.0.0.1:$port"; return 0; }
        sleep 0.5
    done
    rk_die "Redis does not answer on 127.0.0.1:$port (see $dir/redis.log)"
}

# ---------------------------------------------------------------- MariaDB

# Whether root logs in to MariaDB over TCP on 127.0.0.1:3306 without a password, to database `test`.
rk__mariadb_ready() {
    mariadb --protocol=TCP -h 127.0.0.1 -P 3306 -u root --password= --connect-timeout=5 -D test \
        -e 'SELECT 1' >/dev/null 2>&1
}

# Whether anything accepts connections on 127.0.0.1:3306.
rk__mariadb_answers() {
    (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null
}

# rk_ensure_mariadb: the tests need MariaDB on 127.0.0.1:3306 where root logs in over TCP without a
# password, and a database `test`. If that works already, nothing is changed. Otherwise: install
# Debian's mariadb-server if missing and start it when nothing answers (start-stop-daemon: CI has no
# systemd), then, as root over the unix socket, create the database and let root in from 127.0.0.1
# without a password. Passwordless root is for development and CI machines only.
rk_ensure_mariadb() {
    command -v mariadb >/dev/null 2>&1 || rk_apt_install mariadb-client
    if rk__mariadb_ready; then
        rk_ok "MariaDB answers on 127.0.0.1:3306 (root without a password, database 'test')"
        return 0
    fi
    if ! rk__mariadb_answers; then
        rk_info "Nothing answers on 127.0.0.1:3306: setting up MariaDB from Debian's packages"
        rk_apt_install mariadb-server
        if ! rk__mariadb_answers; then
            if [[ ! -d /var/lib/mysql/mysql ]]; then
                rk_info "Initialising MariaDB's data directory"
                rk_sudo mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null \
                    || rk_die "mariadb-install-db failed"
            fi
            # The socket and pid file's directory, which an init system would make.
            rk_sudo install -d -o mysql -g mysql /run/mysqld
            rk_info "Starting MariaDB"
            rk_sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
        fi
        local i
        for ((i = 0; i < 120; i++)); do
            rk__mariadb_answers && break
            sleep 0.5
        done
        rk__mariadb_answers || rk_die "MariaDB does not answer on 127.0.0.1:3306 (see /var/log/mysql/error.log or the journal)"
    fi
    # Debian's root@localhost logs in through the unix socket only.
    local client=(mariadb --protocol=SOCKET -u root)
    rk_info "Creating database 'test' and letting root in from 127.0.0.1 without a password (development/CI only)"
    rk_sudo "${client[@]}" -e "CREATE DATABASE IF NOT EXISTS test;
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" \
        || rk_die "cannot reach MariaDB as root over its unix socket to set it up; give root@127.0.0.1 an empty password and create database 'test' by hand"
    if ! rk__mariadb_ready; then
        # Without skip-name-resolve, 127.0.0.1 may be taken for localhost and matched to root@localhost.
        rk_sudo "${client[@]}" -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');" \
            || rk_die "cannot let root@localhost in without a password"
    fi
    rk__mariadb_ready || rk_die "root still cannot log in to MariaDB over TCP on 127.0.0.1:3306 without a password"
    rk_ok "MariaDB answers on 127.0.0.1:3306 (root without a password, database 'test')"
}

# ---------------------------------------------------------------- HTTP as a client of the daemon

# rk_http METHOD URL [BODY_FILE]: one request with the bearer token of the header file $work/auth (never in the
# process list); the response body lands in $work/body, its HTTP status in $status. RK_HTTP_MAX_TIME (seconds, 30)
# bounds it; RK_HTTP_HINT is added to the error when the daemon does not answer.
status=""
rk_http() {
    local method=$1 url=$2 body=${3:-}
    local args=(-sS -o "$work/body" -w '%{http_code}' --connect-timeout 5 --max-time "${RK_HTTP_MAX_TIME:-30}"
        -H @"$work/auth" -H 'Accept: application/json' -X "$method")
    if [[ -n "$body" ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary @"$body")
    elif [[ "$method" == POST ]]; then
        args+=(--data-binary '')
    fi
    status=$(curl "${args[@]}" "$url") || rk_die "$method $url: no answer${RK_HTTP_HINT:+ ($RK_HTTP_HINT)}"
}

# rk_expect WHAT CODE...: dies unless the last status is one of CODE..., showing the start of the body.
rk_expect() {
    local what=$1 code
    shift
    for code in "$@"; do [[ "$status" == "$code" ]] && return 0; done
    rk_die "$what: HTTP $status, expected $*. Body: $(head -c 2000 "$work/body")"
}
