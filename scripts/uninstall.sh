#!/usr/bin/env bash
# Removes the Rotakey service a source install (scripts/install.sh --jar) put in place. Keeps the configuration and
# the data (HSM token, database, admin token) unless --purge. Idempotent. The Debian package is removed with apt.
set -euo pipefail

usage() {
    cat <<'EOF2'
Usage: scripts/uninstall.sh [--purge [--yes]] [--root DIR] [-h|--help]

Stops and disables rotakey.service, then removes what a source install (scripts/install.sh --jar)
put in place: /usr/local/lib/systemd/system/rotakey.service (and /etc/systemd/system/rotakey.service
from an older install.sh), /usr/local/lib/sysusers.d/rotakey.conf, /usr/local/lib/tmpfiles.d/rotakey.conf,
/usr/share/rotakey/ (the jar, rotakeyctl's modules), /usr/local/bin/rotakeyctl, /usr/share/doc/rotakey/
Keeps /etc/rotakey (configuration and credentials), /etc/default/rotakey and /var/lib/rotakey
(the SoftHSM token, the H2 database, the admin token) and the user rotakey, so that installing
again carries on where it stopped. The Debian package is not this script's: `apt remove rotakey`
(or `apt purge rotakey`, which still keeps /var/lib/rotakey).

  --purge      also delete /etc/rotakey, /etc/default/rotakey, /var/lib/rotakey,
               /var/lib/rotakey-delivered and install.sh's drop-in rotakey.service.d/agent-groups.conf,
               and the user and group rotakey. Asks for confirmation first
  --yes        do not ask (with --purge)
  --root DIR   work on a tree staged with `install.sh --root DIR`: no systemctl, no userdel
  -h, --help   this text
EOF2
}

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

root=""
purge=0
yes=0
while (($# > 0)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --purge) purge=1 ;;
        --yes | -y) yes=1 ;;
        --root) [[ $# -ge 2 ]] || rk_die "--root needs a directory"; root=$(rk_abspath "$2"); shift ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[[ "$root" == "/" ]] && root=""
staged=0
[[ -n "$root" ]] && staged=1
RK_STAGED=$staged

if ((!staged)) && command -v dpkg-query >/dev/null 2>&1 \
    && [[ "$(dpkg-query -W -f='${Status}' rotakey 2>/dev/null || true)" == *" installed" ]]; then
    rk_die "Rotakey is installed from the Debian package: remove it with apt remove rotakey (keeps the configuration and the data) or apt purge rotakey (keeps /var/lib/rotakey)"
fi

if ((purge && !yes)); then
    [[ -t 0 ]] || rk_die "--purge deletes the HSM token, the database and the admin token: confirm with --yes when not on a terminal"
    echo "This deletes $root/etc/rotakey, $root/etc/default/rotakey and $root/var/lib/rotakey: the configuration," >&2
    echo "the credentials, the HSM token (its keys are lost for good), the database and the admin token." >&2
    read -r -p "Type 'purge' to go on: " answer
    [[ "$answer" == purge ]] || rk_die "not confirmed: nothing was removed"
fi

if ((!staged)) && [[ -d /run/systemd/system ]]; then
    if systemctl list-unit-files rotakey.service >/dev/null 2>&1 \
        && [[ -n "$(systemctl list-unit-files --no-legend rotakey.service 2>/dev/null)" ]]; then
        rk_info "Stopping and disabling rotakey.service (a graceful stop)"
        rk_sudo systemctl disable --now rotakey.service || rk_warn "systemctl disable --now rotakey failed"
    fi
elif ((!staged)); then
    rk_warn "systemd is not running here: skipped systemctl stop/disable (stop a daemon you started by hand yourself)"
fi

rk_as_root rm -f "$root/usr/local/lib/systemd/system/rotakey.service" "$root/usr/share/rotakey/rotakey.jar" \
    "$root/usr/local/lib/sysusers.d/rotakey.conf" "$root/usr/local/lib/tmpfiles.d/rotakey.conf" \
    "$root/usr/local/bin/rotakeyctl"
# An older install.sh's unit, told from an admin's own by its header comment.
if rk_as_root grep -qs '^# Rotakey as a hardened system service' "$root/etc/systemd/system/rotakey.service"; then
    rk_as_root rm -f "$root/etc/systemd/system/rotakey.service"
fi
rk_as_root rm -rf "$root/usr/share/doc/rotakey" "$root/usr/share/rotakey/rotakeyctl" "$root/usr/share/rotakey/lib" \
    "$root/usr/share/rotakey/prepare-data-dir" "$root/usr/share/rotakey/init-softhsm.sh"
rk_as_root rmdir "$root/usr/share/rotakey" 2>/dev/null || true
rk_ok "removed the unit, the jar, rotakeyctl and the sysusers.d and tmpfiles.d entries"

if ((!staged)) && [[ -d /run/systemd/system ]]; then
    rk_sudo systemctl daemon-reload
    rk_sudo systemctl reset-failed rotakey.service 2>/dev/null || true
fi

if ((!purge)); then
    rk_info "kept $root/etc/rotakey, $root/etc/default/rotakey and $root/var/lib/rotakey (remove them with --purge)"
    exit 0
fi

rk_as_root rm -rf "$root/etc/rotakey" "$root/var/lib/rotakey" "$root/var/lib/rotakey-delivered" "$root/etc/default/rotakey" \
    "$root/etc/systemd/system/rotakey.service.d/agent-groups.conf"
rk_as_root rmdir "$root/etc/systemd/system/rotakey.service.d" 2>/dev/null || true
rk_ok "deleted the configuration, the credentials and the data"
if ((!staged)); then
    if getent passwd rotakey >/dev/null; then
        rk_sudo userdel rotakey
        rk_ok "removed user rotakey"
    fi
    if getent group rotakey >/dev/null; then
        rk_sudo groupdel rotakey
        rk_ok "removed group rotakey"
    fi
fi
