#!/usr/bin/env bash
# Initialises, idempotently, the SoftHSM2 token that Rotakey's default config uses.
set -euo pipefail

usage() {
    cat <<EOF
Usage: scripts/init-softhsm.sh [DATA_DIR]

Creates (once) the SoftHSM2 token labelled 'rotakey' that Rotakey's default config uses:
  DATA_DIR/softhsm2.conf     SoftHSM2 configuration (point SOFTHSM2_CONF at it)
  DATA_DIR/softhsm-tokens/   the token directory (mode 0700)
  DATA_DIR/hsm-pin           the user PIN  (random, mode 0600; the daemon reads it)
  DATA_DIR/hsm-so-pin        the SO PIN    (random, mode 0600)

DATA_DIR defaults to \$ROTAKEY_DATA_DIR, else to data/ in the repository. A relative
DATA_DIR is taken from the current directory. Running it again changes nothing; the
PINs are never printed. On success it prints, on stdout, the line to export, so
  eval "\$(scripts/init-softhsm.sh)"
sets SOFTHSM2_CONF in your shell (for softhsm2-util or pkcs11-tool).
EOF
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
esac
(($# <= 1)) || { usage >&2; exit 2; }

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ -n "${1:-}" ]]; then
    data=$(rk_abspath "$1")
elif [[ -n "${ROTAKEY_DATA_DIR:-}" ]]; then
    data=$(rk_abspath "$ROTAKEY_DATA_DIR")
else
    data="$RK_ROOT/data"
fi

command -v softhsm2-util >/dev/null 2>&1 || rk_die "softhsm2-util not found: install the Debian package softhsm2 (scripts/quickstart.sh does it)"
[[ -f "$RK_HSM_LIBRARY" ]] || rk_die "$RK_HSM_LIBRARY not found: install the Debian package softhsm2"

# Everything created from here on is private to the user.
umask 077

conf="$data/softhsm2.conf"
tokens="$data/softhsm-tokens"
pin_file="$data/hsm-pin"
so_pin_file="$data/hsm-so-pin"

if [[ ! -d "$data" ]]; then
    mkdir -p "$data"
    rk_info "Created data directory $data"
fi
mkdir -p "$tokens"
chmod 0700 "$tokens"

# The configuration is rewritten only when its content differs (e.g. the data directory moved).
conf_text="# SoftHSM2 configuration for Rotakey, written by scripts/init-softhsm.sh.
directories.tokendir = $tokens
objectstore.backend = file
log.level = ERROR
"
if [[ ! -f "$conf" ]] || [[ "$(cat "$conf")"$'\n' != "$conf_text" ]]; then
    tmp=$(mktemp "$conf.XXXXXX")
    printf '%s' "$conf_text" >"$tmp"
    mv -f "$tmp" "$conf"
    rk_info "Wrote $conf"
fi
export SOFTHSM2_CONF="$conf"

# Number of tokens labelled 'rotakey' in this token directory. Labels are blank-padded to 32.
count_tokens() {
    local slots
    slots=$(softhsm2-util --show-slots 2>&1) || rk_die "softhsm2-util --show-slots failed: $slots"
    awk -v want="$RK_TOKEN_LABEL" '
        /^[[:space:]]*Label:/ {
            sub(/^[[:space:]]*Label:[[:space:]]*/, ""); sub(/[[:space:]]+$/, "")
            if ($0 == want) n++
        }
        END { print n + 0 }' <<<"$slots"
}

# new_pin FILE: writes a random 32-hex-digit PIN into FILE (mode 0600) unless FILE holds one.
# printf is a bash builtin, so the PIN never appears in a process's arguments here.
new_pin() {
    local file=$1 pin tmp
    if [[ -s "$file" ]]; then
        chmod 0600 "$file"
        return 0
    fi
    pin=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    ((${#pin} == 32)) || rk_die "could not read random bytes from /dev/urandom"
    tmp=$(mktemp "$file.XXXXXX")
    printf '%s' "$pin" >"$tmp"
    mv -f "$tmp" "$file"
    rk_info "Generated $file (mode 0600)"
}

found=$(count_tokens)
if ((found == 0)); then
    new_pin "$pin_file"
    new_pin "$so_pin_file"
    rk_info "Initialising SoftHSM2 token '$RK_TOKEN_LABEL' in $tokens"
    # softhsm2-util takes PINs only as command-line arguments (without them it prompts on a
    # terminal, and fails without one), so both PINs are visible in the process list for the
    # fraction of a second the command runs. There is no way around that with this tool.
    if ! out=$(softhsm2-util --init-token --free --label "$RK_TOKEN_LABEL" \
        --pin "$(cat "$pin_file")" --so-pin "$(cat "$so_pin_file")" 2>&1); then
        rk_die "softhsm2-util --init-token failed: $out"
    fi
    found=$(count_tokens)
    ((found == 1)) || rk_die "after initialisation, $found tokens are labelled '$RK_TOKEN_LABEL' in $tokens"
    rk_ok "token '$RK_TOKEN_LABEL' initialised"
else
    ((found == 1)) || rk_warn "$found tokens are labelled '$RK_TOKEN_LABEL' in $tokens: the daemon may pick any of them; remove the extra ones"
    [[ -s "$pin_file" ]] || rk_die "token '$RK_TOKEN_LABEL' exists in $tokens but its PIN file $pin_file is missing or empty.
The PIN cannot be recovered. To start over (this destroys every key in the token):
  rm -rf '$tokens' '$pin_file' '$so_pin_file' && $0 '$data'"
    chmod 0600 "$pin_file"
    [[ ! -f "$so_pin_file" ]] || chmod 0600 "$so_pin_file"
    rk_ok "token '$RK_TOKEN_LABEL' already initialised in $tokens"
fi

# Check that the PIN file opens the token. pkcs11-tool (OpenSC) reads the PIN from the
# environment with "env:", so this check puts no PIN in any process's arguments.
if command -v pkcs11-tool >/dev/null 2>&1; then
    if ! out=$(ROTAKEY_INIT_PIN="$(cat "$pin_file")" pkcs11-tool --module "$RK_HSM_LIBRARY" \
        --token-label "$RK_TOKEN_LABEL" --login --pin env:ROTAKEY_INIT_PIN --list-objects 2>&1 >/dev/null); then
        rk_die "the PIN in $pin_file does not open token '$RK_TOKEN_LABEL': $out"
    fi
    rk_ok "the PIN in $pin_file opens token '$RK_TOKEN_LABEL'"
else
    rk_warn "pkcs11-tool (Debian package opensc) not found: did not check that the PIN opens the token"
fi

printf 'export SOFTHSM2_CONF=%q\n' "$conf"
