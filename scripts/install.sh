#!/usr/bin/env bash
# Installs Rotakey as a systemd service on a Debian/Ubuntu host from a prebuilt package or jar; it never builds.
# Idempotent: run it again to upgrade.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/install.sh [--deb FILE | --jar FILE] [options]

Installs Rotakey as the systemd service rotakey.service from what a build machine made with
`mvn -B package`; it never installs Maven nor builds here. Either

  --deb FILE   the Debian package target/rotakey_<version>_all.deb (preferred): installed with
               `apt-get install ./FILE` (dependencies resolve), or dpkg -i without apt-get. The
               package puts the jar, the unit, the user and the directories in place; apt upgrades
               and removes it (docs/operations.md)
  --jar FILE   a source install of the jar target/rotakey.jar (the default, when it exists beside
               this script): the files below, a Java runtime (any Java 17 or newer already at
               /usr/bin/java is kept; else default-jre-headless if it is 17 or newer, else
               openjdk-17-jre-headless) and python3 for rotakeyctl

A source install puts in place:
  /usr/share/rotakey/rotakey.jar                  the daemon (root, 0644)
  /usr/local/lib/systemd/system/rotakey.service   the unit (root, 0644); /etc/systemd/system stays the
                                                  admin's, for drop-ins
  /usr/local/lib/sysusers.d/rotakey.conf          the user and group rotakey (no login, home
                                                  /var/lib/rotakey) and the directories below, from
  /usr/local/lib/tmpfiles.d/rotakey.conf          packaging/: systemd-sysusers and systemd-tmpfiles read
                                                  them there at boot, as they read the package's in /usr/lib
  /etc/rotakey/credentials/                       secrets for the unit's LoadCredential= lines (root, 0700)
  /etc/rotakey/rotakeyctl.conf                    rotakeyctl's settings (root:rotakey, 0640), if absent
  /etc/default/rotakey                            JAVA_OPTS and other environment for the unit (root, 0600), if absent
  /var/lib/rotakey                                the state directory (rotakey, 0700)
  /var/lib/rotakey-delivered                      the local-files target's directory: credentials for agents
                                                  (rotakey, 0711: agents pass through to their own files only)
  /usr/local/bin/rotakeyctl                       the operator CLI (its modules in /usr/share/rotakey/rotakeyctl/)
  /usr/share/doc/rotakey/README.md                and docs/*.md beside it (root, 0644)
With either, also:
  /etc/rotakey/rotakey.yml                        the configuration (root:rotakey, 0640), from --config; an
                                                  existing, edited one is never overwritten: the new one goes
                                                  beside it as rotakey.yml.dist
then `systemctl daemon-reload`.

Options:
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
                     no systemctl; a --deb is unpacked with dpkg-deb -x (for packaging and tests)
  -h, --help         this text

Needs root (or sudo) unless --root is given. When systemd is not running (a container, CI),
the systemctl steps are skipped with a message. To try Rotakey on a development machine instead,
./scripts/quickstart.sh builds and runs it in the foreground.
EOF
}

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

root=""
agent_groups=()
jar=""
deb=""
config="$RK_ROOT/config/production/rotakey.yml"
with_softhsm=0
enable=0
start=0
while (($# > 0)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --jar) [[ $# -ge 2 ]] || rk_die "--jar needs a file"; jar=$(rk_abspath "$2"); shift ;;
        --deb) [[ $# -ge 2 ]] || rk_die "--deb needs a file"; deb=$(rk_abspath "$2"); shift ;;
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

[[ -n "$jar" && -n "$deb" ]] && rk_die "give --deb FILE or --jar FILE, not both"
if [[ -n "$deb" ]]; then
    [[ -f "$deb" ]] || rk_die "package $deb does not exist"
elif [[ -n "$jar" ]]; then
    [[ -f "$jar" ]] || rk_die "jar $jar does not exist"
elif [[ -f "$RK_ROOT/$RK_JAR" ]]; then
    jar="$RK_ROOT/$RK_JAR"
    rk_info "installing the prebuilt $RK_JAR (a source install; --deb FILE installs the package instead)"
else
    rk_die "nothing to install: no --deb FILE, no --jar FILE, and no $RK_JAR beside this script.
  This script never builds on the host it installs to. On a build machine (JDK 17, Maven) run
    mvn -B package
  which makes target/rotakey_<version>_all.deb and target/rotakey.jar; copy the package here, then
    sudo scripts/install.sh --deb rotakey_<version>_all.deb      (or: sudo apt install ./rotakey_<version>_all.deb)
  To try Rotakey on this machine instead, ./scripts/quickstart.sh builds and runs it in the foreground."
fi

unit_src="$RK_ROOT/systemd/rotakey.service"
ctl_src="$RK_ROOT/scripts/rotakeyctl"
ctl_modules="$RK_ROOT/scripts/lib/rotakeyctl"
[[ -f "$unit_src" ]] || rk_die "$unit_src is missing"
[[ -f "$config" ]] || rk_die "configuration $config does not exist"
# A source install's unit: /usr/local/lib/systemd/system overrides the package's /usr/lib/systemd/system, and
# the admin's /etc/systemd/system (drop-ins, `systemctl edit`) overrides both.
local_unit=/usr/local/lib/systemd/system/rotakey.service

# put MODE OWNER:GROUP SRC DEST: copies a file into place with that mode (and owner, unless staging).
put() {
    local mode=$1 owner=$2 src=$3 dest=$4
    if ((staged)); then
        install -D -m "$mode" "$src" "$dest"
    else
        rk_sudo install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest"
    fi
}

# put_if_absent MODE OWNER:GROUP SRC DEST WHAT: like put, but an existing (maybe edited) file is left alone.
put_if_absent() {
    if rk_as_root test -e "$4"; then
        rk_ok "$5: ${4#"$root"} is kept as it is"
    else
        put "$1" "$2" "$3" "$4"
        rk_ok "$5: ${4#"$root"}"
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

# The directories of packaging/tmpfiles.d/rotakey.conf, where systemd-tmpfiles cannot make them (staging, or
# no systemd-tmpfiles on the host).
make_dirs() {
    dir 0750 root:rotakey "$root/etc/rotakey"
    dir 0700 root:root "$root/etc/rotakey/credentials"
    dir 0700 rotakey:rotakey "$root/var/lib/rotakey"
    dir 0711 rotakey:rotakey "$root/var/lib/rotakey-delivered"
}

# remove_ours PATH WHY: removes a file that an earlier install put where it would hide the one installed now.
remove_ours() {
    if rk_as_root test -e "$root$1"; then
        rk_as_root rm -f "$root$1"
        rk_ok "removed $1 ($2)"
    fi
}

# ---------------------------------------------------------------- the package, or the jar and its files

if ((staged)); then
    rk_info "Staging under $root (no packages, no user, no systemctl)"
else
    ((EUID == 0)) || command -v sudo >/dev/null 2>&1 || rk_die "run as root (or install sudo)"
fi

# An older install.sh put the unit into /etc/systemd/system, where it hides any other; its header comment tells
# it from an admin's own unit.
if rk_as_root grep -qs '^# Rotakey as a hardened system service' "$root/etc/systemd/system/rotakey.service"; then
    remove_ours /etc/systemd/system/rotakey.service "an older install.sh put it there; it would hide the new unit"
fi

if [[ -n "$deb" ]]; then
    remove_ours "$local_unit" "a source install's unit would hide the package's"
    remove_ours /usr/local/lib/sysusers.d/rotakey.conf "the package brings its own"
    remove_ours /usr/local/lib/tmpfiles.d/rotakey.conf "the package brings its own"
    remove_ours /usr/local/bin/rotakeyctl "the package's is /usr/bin/rotakeyctl"
    if ((staged)); then
        dpkg-deb -x "$deb" "$root"
        make_dirs
        rk_ok "unpacked ${deb##*/} (dpkg-deb -x: files only, no maintainer scripts)"
    else
        ((with_softhsm)) && rk_apt_install softhsm2 opensc
        # Conffiles an admin edited are kept without a question (--force-confold); dpkg puts the new ones beside.
        if command -v apt-get >/dev/null 2>&1 && [[ -z "${ROTAKEY_SKIP_PACKAGES:-}" ]]; then
            rk_info "Installing ${deb##*/} with apt-get (it brings a Java runtime and python3 when missing)"
            rk_sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q \
                -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install "$deb" \
                || rk_die "apt-get install $deb failed (see above)"
        else
            rk_info "Installing ${deb##*/} with dpkg -i"
            rk_sudo env DEBIAN_FRONTEND=noninteractive dpkg -i --force-confdef --force-confold "$deb" \
                || rk_die "dpkg -i $deb failed (see above; apt-get -f install resolves missing dependencies)"
        fi
        rk_ok "installed the package: $(dpkg-query -W -f='${Package} ${Version}' rotakey)"
    fi
else
    if ((!staged)); then
        if command -v dpkg-query >/dev/null 2>&1 \
            && [[ "$(dpkg-query -W -f='${Status}' rotakey 2>/dev/null || true)" == *" installed" ]]; then
            rk_die "the rotakey package is installed: upgrade it with --deb FILE (or apt install ./rotakey_<version>_all.deb), or remove it first (apt remove rotakey); a source install would fight it for its files"
        fi
        packages=()
        ((with_softhsm)) && packages+=(softhsm2 opensc)
        [[ -f "$ctl_src" ]] && packages+=(python3)
        ((${#packages[@]} == 0)) || rk_apt_install "${packages[@]}"
        rk_ensure_java_runtime
    fi

    # The same user and directories as the package's, from the same files.
    put 0644 root:root "$RK_ROOT/packaging/sysusers.d/rotakey.conf" "$root/usr/local/lib/sysusers.d/rotakey.conf"
    put 0644 root:root "$RK_ROOT/packaging/tmpfiles.d/rotakey.conf" "$root/usr/local/lib/tmpfiles.d/rotakey.conf"
    if ((staged)); then
        make_dirs
    else
        if command -v systemd-sysusers >/dev/null 2>&1; then
            rk_sudo systemd-sysusers rotakey.conf
        else
            getent group rotakey >/dev/null || rk_sudo groupadd --system rotakey
            getent passwd rotakey >/dev/null || rk_sudo useradd --system --gid rotakey --home-dir /var/lib/rotakey \
                --no-create-home --shell /usr/sbin/nologin --comment "Rotakey credential rotation daemon" rotakey
        fi
        rk_ok "user and group rotakey"
        if command -v systemd-tmpfiles >/dev/null 2>&1; then
            rk_sudo systemd-tmpfiles --create rotakey.conf
        else
            make_dirs
        fi
        rk_ok "directories /etc/rotakey, /etc/rotakey/credentials, /var/lib/rotakey, /var/lib/rotakey-delivered"
    fi

    dir 0755 root:root "$root/usr/share/rotakey"
    put 0644 root:root "$jar" "$root/usr/share/rotakey/rotakey.jar"
    rk_ok "jar: /usr/share/rotakey/rotakey.jar"
    # The unit's ExecStartPre= and the SoftHSM2 development token's initialisation it runs.
    put 0755 root:root "$RK_ROOT/packaging/libexec/prepare-data-dir" "$root/usr/share/rotakey/prepare-data-dir"
    put 0755 root:root "$RK_ROOT/scripts/init-softhsm.sh" "$root/usr/share/rotakey/init-softhsm.sh"
    put 0644 root:root "$RK_ROOT/scripts/lib/common.sh" "$root/usr/share/rotakey/lib/common.sh"
    put 0644 root:root "$unit_src" "$root$local_unit"
    rk_ok "unit: $local_unit"
    put_if_absent 0600 root:root "$RK_ROOT/packaging/default/rotakey" "$root/etc/default/rotakey" "environment"
    if [[ -f "$RK_ROOT/config/rotakeyctl.conf" ]]; then
        put_if_absent 0640 root:rotakey "$RK_ROOT/config/rotakeyctl.conf" "$root/etc/rotakey/rotakeyctl.conf" \
            "rotakeyctl settings"
    fi
    put 0644 root:root "$RK_ROOT/README.md" "$root/usr/share/doc/rotakey/README.md"
    # The README links to docs/: the pages go beside it, so that its links work in the installed copy.
    for doc in "$RK_ROOT"/docs/*.md; do
        put 0644 root:root "$doc" "$root/usr/share/doc/rotakey/docs/${doc##*/}"
    done
    if [[ -f "$ctl_src" ]]; then
        put 0755 root:root "$ctl_src" "$root/usr/local/bin/rotakeyctl"
        # The entry point finds its modules beside it in a checkout, else in /usr/share/rotakey/rotakeyctl.
        for module in "$ctl_modules"/*.py; do
            [[ -f "$module" ]] || continue
            put 0644 root:root "$module" "$root/usr/share/rotakey/rotakeyctl/${module##*/}"
        done
        rk_ok "CLI: /usr/local/bin/rotakeyctl"
    fi
fi

# ---------------------------------------------------------------- configuration, drop-in, credentials

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
