#!/usr/bin/env bash
# Installs Rotakey as a systemd service on a Debian/Ubuntu host. Idempotent: run it again to upgrade.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/install.sh [options]

Installs Rotakey as the systemd service rotakey.service:
  /usr/share/rotakey/rotakey.jar          the daemon (root, 0644)
  /etc/rotakey/rotakey.yml                its configuration (root:rotakey, 0640), from
                                          config/production/rotakey.yml; an existing, edited one is
                                          never overwritten: the new one goes beside it as rotakey.yml.dist
  /etc/rotakey/credentials/               secrets for the unit's LoadCredential= lines (root, 0700)
  /etc/default/rotakey                    JAVA_OPTS and other environment for the unit (root, 0600), if absent
  /etc/systemd/system/rotakey.service     the unit (root, 0644)
  /var/lib/rotakey                        the state directory (rotakey, 0700)
  /var/lib/rotakey-delivered              the local-files target's directory: credentials for agents
                                          (rotakey, 0711: agents pass through to their own files only)
  /usr/local/bin/rotakeyctl               the operator CLI, when scripts/rotakeyctl exists
  /usr/share/doc/rotakey/README.md        and docs/*.md beside it (root, 0644)
creates the system user and group `rotakey` (no login, home /var/lib/rotakey), installs the Java
runtime (openjdk-17-jre-headless) with apt-get, then runs `systemctl daemon-reload`.

Options:
  --jar FILE         install this jar instead of target/rotakey.jar (which is built with Maven
                     when missing)
  --config FILE      the configuration to install (default: config/production/rotakey.yml)
  --with-softhsm     also install SoftHSM2 and OpenSC (development token, pkcs11-tool)
  --agent-group NAME let rotakey give delivered files to this agent group (a binding's `group`):
                     writes /etc/systemd/system/rotakey.service.d/agent-groups.conf with
                     SupplementaryGroups= (every --agent-group given, repeatable) and PrivateUsers=no;
                     the group must exist (groupadd NAME, and add the agent's user to it)
  --enable           enable the service at boot (systemctl enable)
  --start            apply the new jar's database migrations (`rotakey.jar db migrate`, run as
                     user rotakey with the unit's credentials), then start the service, or restart
                     it when it runs (to pick up a new jar)
  --root DIR         stage everything under DIR instead of /: no packages, no user, no chown,
                     no systemctl (for packaging and tests)
  -h, --help         this text

Needs root (or sudo) unless --root is given. When systemd is not running (a container, CI),
the systemctl steps are skipped with a message.
EOF
}

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

root=""
agent_groups=()
jar=""
config="$RK_ROOT/config/production/rotakey.yml"
with_softhsm=0
enable=0
start=0
while (($# > 0)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --jar) [[ $# -ge 2 ]] || rk_die "--jar needs a file"; jar=$(rk_abspath "$2"); shift ;;
        --config) [[ $# -ge 2 ]] || rk_die "--config needs a file"; config=$(rk_abspath "$2"); shift ;;
        --root) [[ $# -ge 2 ]] || rk_die "--root needs a directory"; root=$(rk_abspath "$2"); shift ;;
        --with-softhsm) with_softhsm=1 ;;
        --agent-group)
            [[ $# -ge 2 && $2 =~ ^[A-Za-z_][A-Za-z0-9_.-]{0,31}$ ]] || rk_die "--agent-group needs a group name"
            agent_groups+=("$2"); shift ;;
        --enable) enable=1 ;;
        --start) start=1 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[[ "$root" == "/" ]] && root=""
staged=0
[[ -n "$root" ]] && staged=1
RK_STAGED=$staged

unit_src="$RK_ROOT/systemd/rotakey.service"
ctl_src="$RK_ROOT/scripts/rotakeyctl"
[[ -f "$unit_src" ]] || rk_die "$unit_src is missing"
[[ -f "$config" ]] || rk_die "configuration $config does not exist"

# Runs a command as root, or as the current user when staging under --root.
# put MODE OWNER:GROUP SRC DEST: copies a file into place with that mode (and owner, unless staging).
put() {
    local mode=$1 owner=$2 src=$3 dest=$4
    if ((staged)); then
        install -D -m "$mode" "$src" "$dest"
    else
        rk_sudo install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest"
    fi
}

# dir MODE OWNER:GROUP DIR: creates a directory, or fixes the mode and owner of an existing one.
dir() {
    local mode=$1 owner=$2 path=$3
    if ((staged)); then
        install -d -m "$mode" "$path"
    else
        rk_sudo install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
    fi
}

# ---------------------------------------------------------------- packages and the jar

if ((staged)); then
    rk_info "Staging under $root (no packages, no user, no systemctl)"
else
    ((EUID == 0)) || command -v sudo >/dev/null 2>&1 || rk_die "run as root (or install sudo)"
    packages=(openjdk-17-jre-headless)
    ((with_softhsm)) && packages+=(softhsm2 opensc)
    rk_apt_install "${packages[@]}"
fi

if [[ -z "$jar" ]]; then
    jar="$RK_ROOT/$RK_JAR"
    if [[ ! -f "$jar" ]]; then
        rk_info "$RK_JAR is missing: building it (mvn -B -q -DskipTests package)"
        ((staged)) || rk_apt_install openjdk-17-jdk-headless maven
        (cd "$RK_ROOT" && mvn -B -q -DskipTests package) || rk_die "the Maven build failed (see above)"
        [[ -f "$jar" ]] || rk_die "the build finished but $RK_JAR is missing"
    fi
fi
[[ -f "$jar" ]] || rk_die "jar $jar does not exist"

# ---------------------------------------------------------------- user

if ((!staged)); then
    if ! getent group rotakey >/dev/null; then
        rk_sudo groupadd --system rotakey
        rk_ok "created group rotakey"
    fi
    if ! getent passwd rotakey >/dev/null; then
        rk_sudo useradd --system --gid rotakey --home-dir /var/lib/rotakey --no-create-home \
            --shell /usr/sbin/nologin --comment "Rotakey credential rotation daemon" rotakey
        rk_ok "created system user rotakey"
    fi
fi

# ---------------------------------------------------------------- files

dir 0755 root:root "$root/usr/share/rotakey"
put 0644 root:root "$jar" "$root/usr/share/rotakey/rotakey.jar"
rk_ok "jar: /usr/share/rotakey/rotakey.jar"

dir 0750 root:rotakey "$root/etc/rotakey"
dir 0700 root:root "$root/etc/rotakey/credentials"
dir 0700 rotakey:rotakey "$root/var/lib/rotakey"
dir 0711 rotakey:rotakey "$root/var/lib/rotakey-delivered"

config_dest="$root/etc/rotakey/rotakey.yml"
if rk_as_root test -f "$config_dest"; then
    if rk_as_root cmp -s "$config" "$config_dest"; then
        rk_ok "config: /etc/rotakey/rotakey.yml is already the shipped one"
    else
        put 0640 root:rotakey "$config" "$config_dest.dist"
        rk_warn "config: /etc/rotakey/rotakey.yml was edited and is kept; the shipped one is /etc/rotakey/rotakey.yml.dist (compare: diff -u /etc/rotakey/rotakey.yml /etc/rotakey/rotakey.yml.dist)"
    fi
else
    put 0640 root:rotakey "$config" "$config_dest"
    rk_ok "config: /etc/rotakey/rotakey.yml (edit the lines marked EXAMPLE)"
fi

if ! rk_as_root test -f "$root/etc/default/rotakey"; then
    defaults=$(mktemp)
    cat >"$defaults" <<'EOF'
# Environment for rotakey.service (EnvironmentFile=). Secrets the config reads go into
# /etc/rotakey/credentials/ instead; only what Dropwizard takes as a plain string belongs here.
# The unit's heap, 256 MB, holds 100,000 credentials; give more for a larger fleet:
#JAVA_OPTS="-Xms64m -Xmx512m -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData"
#ROTAKEY_TLS_KEYSTORE_PASSWORD=
#SOFTHSM2_CONF=/var/lib/rotakey/softhsm2.conf
EOF
    put 0600 root:root "$defaults" "$root/etc/default/rotakey"
    rm -f "$defaults"
    rk_ok "environment: /etc/default/rotakey"
fi

put 0644 root:root "$unit_src" "$root/etc/systemd/system/rotakey.service"
rk_ok "unit: /etc/systemd/system/rotakey.service"
if ((${#agent_groups[@]} > 0)); then
    if ((!staged)); then
        for group in "${agent_groups[@]}"; do
            getent group "$group" >/dev/null || rk_die "--agent-group $group: no such group (groupadd $group first)"
        done
    fi
    dropin=$(mktemp)
    {
        echo "# Written by scripts/install.sh --agent-group: the groups rotakey may give delivered files to."
        echo "# PrivateUsers=yes would map them all to \"nogroup\" inside the service (docs/targets.md, local-files)."
        echo "[Service]"
        echo "SupplementaryGroups=${agent_groups[*]}"
        echo "PrivateUsers=no"
    } >"$dropin"
    dir 0755 root:root "$root/etc/systemd/system/rotakey.service.d"
    put 0644 root:root "$dropin" "$root/etc/systemd/system/rotakey.service.d/agent-groups.conf"
    rm -f "$dropin"
    rk_ok "agent groups: ${agent_groups[*]} (rotakey.service.d/agent-groups.conf)"
fi
put 0644 root:root "$RK_ROOT/README.md" "$root/usr/share/doc/rotakey/README.md"
# The README links to docs/: the pages go beside it, so that its links work in the installed copy.
for doc in "$RK_ROOT"/docs/*.md; do
    put 0644 root:root "$doc" "$root/usr/share/doc/rotakey/docs/${doc##*/}"
done

if [[ -f "$ctl_src" ]]; then
    put 0755 root:root "$ctl_src" "$root/usr/local/bin/rotakeyctl"
    rk_ok "CLI: /usr/local/bin/rotakeyctl"
fi

# Credentials the unit loads but that are not there yet: the service would fail with 243/CREDENTIALS.
missing=()
while IFS= read -r name; do
    rk_as_root test -f "$root/etc/rotakey/credentials/$name" || missing+=("$name")
done < <(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$unit_src")
if ((${#missing[@]} > 0)); then
    rk_warn "missing credential files in /etc/rotakey/credentials/: ${missing[*]}"
    rk_warn "  create each as root, e.g.: install -m 0600 /dev/null /etc/rotakey/credentials/${missing[0]} && editor /etc/rotakey/credentials/${missing[0]}"
    rk_warn "  or remove its LoadCredential= line (systemctl edit rotakey) and the config key that reads it"
fi

# ---------------------------------------------------------------- systemd

if ((staged)); then
    rk_ok "staged under $root"
    exit 0
fi
if [[ ! -d /run/systemd/system ]]; then
    skipped="daemon-reload"
    ((enable)) && skipped+=", enable"
    ((start)) && skipped+=", start"
    rk_warn "systemd is not running here (a container or CI?): skipped systemctl $skipped"
    rk_info "the files are in place; without systemd, run the daemon as user rotakey with ROTAKEY_DATA_DIR=/var/lib/rotakey and CREDENTIALS_DIRECTORY set to a directory of the secrets it can read:"
    rk_info "  java -jar /usr/share/rotakey/rotakey.jar db migrate /etc/rotakey/rotakey.yml   # first, after every upgrade"
    rk_info "  java -jar /usr/share/rotakey/rotakey.jar server /etc/rotakey/rotakey.yml"
    exit 0
fi

# migrate_database: the installed jar's Liquibase migrations, once, before the service (re)starts. Nodes of a
# cluster do not migrate at start (database.migrateOnStart: false) and refuse to start while one is missing.
# As the service runs: user rotakey, /etc/default/rotakey, and the credential files the unit loads (the
# database password among them); only those that exist, the missing ones are reported above.
migrate_database() {
    # An embedded H2 file is locked by the running daemon, and a single node migrates it at start anyway.
    if rk_as_root grep -Eq '^[[:space:]]*url:[[:space:]]*["'"'"']?jdbc:h2:' /etc/rotakey/rotakey.yml; then
        rk_info "embedded H2 database: the daemon migrates it as it starts (database.migrateOnStart)"
        return 0
    fi
    local props=(-p User=rotakey -p Group=rotakey -p EnvironmentFile=-/etc/default/rotakey
                 -p Environment=ROTAKEY_DATA_DIR=/var/lib/rotakey -p WorkingDirectory=/var/lib/rotakey)
    local name
    while IFS= read -r name; do
        if rk_as_root test -f "/etc/rotakey/credentials/$name"; then
            props+=(-p "LoadCredential=$name:/etc/rotakey/credentials/$name")
        fi
    done < <(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$unit_src")
    rk_info "applying database migrations: java -jar /usr/share/rotakey/rotakey.jar db migrate /etc/rotakey/rotakey.yml"
    rk_sudo systemd-run --quiet --wait --pipe --collect --unit=rotakey-migrate "${props[@]}" \
        /usr/bin/java -jar /usr/share/rotakey/rotakey.jar db migrate /etc/rotakey/rotakey.yml \
        || rk_die "the database migrations failed (see above); the service was not restarted"
    rk_ok "database migrations applied"
}

rk_sudo systemctl daemon-reload
if ((enable)); then
    rk_sudo systemctl enable rotakey.service
    rk_ok "enabled rotakey.service"
fi
if ((start)); then
    migrate_database
    rk_sudo systemctl restart rotakey.service
    rk_ok "started rotakey.service (journalctl -u rotakey -f to follow it)"
    rk_info "in a cluster, wait until this node answers 200 at /health/ready before upgrading the next one"
elif systemctl is-active --quiet rotakey.service; then
    rk_info "rotakey.service is running the old jar: run this script again with --start (migrates the database, then restarts gracefully; in-flight rotations resume)"
else
    rk_info "next: put the secrets into /etc/rotakey/credentials/, edit /etc/rotakey/rotakey.yml, then systemctl enable --now rotakey"
fi
