#!/usr/bin/env bash
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose: their $names are jq variables
# End-to-end check of a running Rotakey daemon, done the way a new user would do it.
set -euo pipefail

usage() {
    cat <<EOF
Usage: scripts/smoke.sh [--suffix SUFFIX] [-h|--help]

Against a running daemon (start one with scripts/quickstart.sh), this:
  1. creates agent 'billing-agent' (owner team-billing@example.com) and API-key credential
     'billing-agent-api' (backend hsm, every P7D, gracePeriod PT5S) delivered by target
     'local-files' to \$ROTAKEY_DATA_DIR/delivered/billing-agent/api-key;
  2. checks that version 1 is CURRENT and that the delivered key verifies;
  3. rotates it (POST admin /tasks/rotate), waits for version 2 CURRENT / 1 PREVIOUS,
     checks that both keys verify;
  4. waits past the grace period until version 1 is REVOKED and no longer verifies;
  5. prints the rotation and the audit log (JSON, on stdout).
Any mismatch stops it with a non-zero exit. Keys are compared, never printed.

  --suffix SUFFIX  use billing-agent-SUFFIX / billing-agent-SUFFIX-api instead, e.g. to run
                   it again against the same daemon (--suffix "\$(date +%s)")

Environment (defaults in brackets):
  ROTAKEY_DATA_DIR        [data/ in the repository] the daemon's data directory
  ROTAKEY_HTTP_PORT       [8080]   ROTAKEY_ADMIN_PORT  [8081]
  ROTAKEY_URL             [http://127.0.0.1:\$ROTAKEY_HTTP_PORT]
  ROTAKEY_ADMIN_URL       [http://127.0.0.1:\$ROTAKEY_ADMIN_PORT]
  ROTAKEY_ADMIN_TOKEN_FILE [\$ROTAKEY_DATA_DIR/admin-token]
EOF
}

suffix=""
while (($# > 0)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --suffix)
            (($# >= 2)) || { echo "--suffix needs a value" >&2; exit 2; }
            suffix=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [[ -n "$suffix" && ! "$suffix" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "--suffix: use lower-case letters, digits and '-'" >&2
    exit 2
fi

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ -n "${ROTAKEY_DATA_DIR:-}" ]]; then
    data_dir=$(rk_abspath "$ROTAKEY_DATA_DIR")
else
    data_dir="$RK_ROOT/data"
fi
api=${ROTAKEY_URL:-http://127.0.0.1:${ROTAKEY_HTTP_PORT:-8080}}
admin=${ROTAKEY_ADMIN_URL:-http://127.0.0.1:${ROTAKEY_ADMIN_PORT:-8081}}
token_file=${ROTAKEY_ADMIN_TOKEN_FILE:-$data_dir/admin-token}

agent="billing-agent${suffix:+-$suffix}"
owner="team-billing@example.com"
cred="$agent-api"
key_path="$agent/api-key"
key_file="$data_dir/delivered/$key_path"
grace_seconds=5

rk_apt_install curl jq openssl

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[[ -r "$token_file" && -s "$token_file" ]] \
    || rk_die "cannot read the admin token $token_file (the daemon writes it on first start; set ROTAKEY_DATA_DIR or ROTAKEY_ADMIN_TOKEN_FILE)"
# The bearer token goes to curl in a header file, so it never shows in the process list.
printf 'Authorization: Bearer %s\n' "$(head -n 1 "$token_file")" >"$work/auth"

# ---------------------------------------------------------------- helpers

# http METHOD URL [BODY_FILE] and expect WHAT CODE...: rk_http and rk_expect (scripts/lib/common.sh).
RK_HTTP_HINT="is the daemon running? start it with scripts/quickstart.sh"
http() { rk_http "$@"; }
expect() { rk_expect "$@"; }

body_text() { head -c 2000 "$work/body"; echo; }

# check WHAT JQ_FILTER [JQ_ARGS...]: dies unless the filter holds on the last body.
check() {
    jq -e "${@:3}" "$2" "$work/body" >/dev/null 2>&1 || rk_die "$1. Got: $(jq -c . "$work/body" 2>/dev/null || body_text)"
}

# no_secret_in WHAT [FILE]: dies if one of the keys seen so far appears in FILE (default: the
# last body). No API response may hold a plaintext key.
no_secret_in() {
    local k file=${2:-$work/body}
    for k in "$work"/key-v*; do
        [[ -s "$k" ]] || continue
        if grep -qF -f "$k" "$file"; then
            rk_die "$1 contains the plaintext of API key ${k##*/} (not printed): secrets must never be in API responses"
        fi
    done
}

versions_summary() { jq -r '[.versions[]? | "v\(.version)=\(.state)"] | join(", ")' "$work/body" 2>/dev/null || body_text; }

get_credential() {
    http GET "$api/api/v1/credentials/$cred"
    expect "GET /api/v1/credentials/$cred" 200
    no_secret_in "GET /api/v1/credentials/$cred"
}

# wait_credential WHAT TIMEOUT_SECONDS JQ_FILTER: polls the credential until the filter holds.
wait_credential() {
    local what=$1 deadline=$((SECONDS + $2)) filter=$3
    while :; do
        get_credential
        jq -e "$filter" "$work/body" >/dev/null 2>&1 && return 0
        ((SECONDS < deadline)) || rk_die "timed out after $2 s waiting until $what. Versions: $(versions_summary)"
        sleep 0.25
    done
}

state_of() { jq -r --argjson v "$1" '[.versions[] | select(.version == $v) | .state][0] // "missing"' "$work/body"; }

# save_key N: copies the delivered key (first line) into $work/key-vN without printing it.
save_key() {
    [[ -s "$key_file" ]] || rk_die "the delivered key file $key_file is missing or empty"
    head -n 1 "$key_file" | tr -d '\r\n' >"$work/key-v$1"
    [[ -s "$work/key-v$1" ]] || rk_die "the first line of $key_file is empty"
}

# verify_key N VALID STATE: POST /api/v1/api-keys/verify with key N; checks valid, state, ids.
verify_key() {
    local n=$1 valid=$2 state=$3
    # jq reads the key from stdin: it never appears in a process's arguments.
    jq -nRc '{key: input}' <"$work/key-v$n" >"$work/verify-req"
    http POST "$api/api/v1/api-keys/verify" "$work/verify-req"
    expect "POST /api/v1/api-keys/verify (key of version $n)" 200
    no_secret_in "the verify response"
    if [[ "$valid" == true ]]; then
        check "key of version $n: expected valid=true, state=$state, version=$n, credential=$cred, agent=$agent" \
            '.valid == true and .state == $s and .version == $n and .credential == $c and .agent == $a' \
            --arg s "$state" --argjson n "$n" --arg c "$cred" --arg a "$agent"
    else
        check "key of version $n: expected valid=false (state $state)" '.valid == false'
        [[ "$(jq -r '.state // empty' "$work/body")" == "$state" ]] \
            || rk_warn "key of version $n: valid=false as expected, but state is '$(jq -r '.state // "absent"' "$work/body")', not $state"
    fi
    rk_ok "key of version $n: $(jq -c '{valid, state, version}' "$work/body")"
}

# ---------------------------------------------------------------- 0. reachable, token accepted

rk_info "Daemon: API $api, admin $admin, data dir $data_dir"
http GET "$api/api/v1/agents"
[[ "$status" != 401 && "$status" != 403 ]] || rk_die "the daemon refused the admin token from $token_file (HTTP $status)"
expect "GET /api/v1/agents" 200

# ---------------------------------------------------------------- 1. agent and credential

http GET "$api/api/v1/agents/$agent"
if [[ "$status" == 200 ]]; then
    check "agent $agent exists with another owner than $owner" '.owner == $o' --arg o "$owner"
    rk_ok "agent $agent already exists (owner $owner): reusing it"
else
    expect "GET /api/v1/agents/$agent" 404
    jq -nc --arg id "$agent" --arg owner "$owner" \
        '{id: $id, owner: $owner, kind: "persistent", attributes: {env: "dev", purpose: "smoke test"}}' >"$work/req"
    http POST "$api/api/v1/agents" "$work/req"
    expect "POST /api/v1/agents ($agent)" 200 201
    check "POST /api/v1/agents answered with another agent" '.id == $id' --arg id "$agent"
    rk_ok "created agent $agent (owner $owner)"
fi

http GET "$api/api/v1/credentials/$cred"
if [[ "$status" == 200 ]]; then
    rk_die "credential $cred already exists (versions: $(versions_summary)); this check needs a new one.
Run it with --suffix \"\$(date +%s)\", or against a daemon with a fresh ROTAKEY_DATA_DIR."
fi
expect "GET /api/v1/credentials/$cred" 404

jq -nc --arg id "$cred" --arg agent "$agent" --arg path "$key_path" --arg grace "PT${grace_seconds}S" \
    '{id: $id, agent: $agent, type: "api-key", backend: "hsm", rotation: {every: "P7D"},
      gracePeriod: $grace, targets: [{target: "local-files", path: $path}]}' >"$work/req"
http POST "$api/api/v1/credentials" "$work/req"
expect "POST /api/v1/credentials ($cred)" 200 201
check "POST /api/v1/credentials answered with another credential" '.id == $id' --arg id "$cred"
cp "$work/body" "$work/create-response"
rk_ok "created credential $cred (api-key, backend hsm, every P7D, grace PT${grace_seconds}S, target local-files:$key_path)"

# ---------------------------------------------------------------- 2. version 1

wait_credential "version 1 is CURRENT" 30 \
    '.versions | any(.version == 1 and (.state == "CURRENT" or .state == "FAILED"))'
[[ "$(state_of 1)" == CURRENT ]] || rk_die "version 1 of $cred is $(state_of 1), expected CURRENT. Versions: $(versions_summary)"
check "expected exactly one version, 1, CURRENT. Versions: $(versions_summary)" \
    '(.versions | length) == 1 and .versions[0].version == 1 and .versions[0].state == "CURRENT"'
rk_ok "version 1 is CURRENT"

save_key 1
no_secret_in "the answer to POST /api/v1/credentials" "$work/create-response"
no_secret_in "the credential"
mode=$(stat -c '%a' "$key_file")
[[ "$mode" =~ [0-7]00$ ]] || rk_warn "$key_file has mode $mode: other users can read the delivered key"
verify_key 1 true CURRENT

# ---------------------------------------------------------------- 3. rotation

http POST "$admin/tasks/rotate?credential=$cred"
expect "POST $admin/tasks/rotate?credential=$cred" 200 201 202
no_secret_in "the rotate task's answer"
check "the rotate task did not answer JSON with 'rotations'" '.rotations | length >= 1'
rotation=$(jq -r '.rotations[0] | if type == "object" then .id else . end | tostring' "$work/body")
cp "$work/body" "$work/rotate-response"
rk_ok "rotation started: $(jq -c .rotations "$work/body")"

wait_credential "version 2 is CURRENT" 60 \
    '.versions | any(.version == 2 and (.state == "CURRENT" or .state == "FAILED"))'
[[ "$(state_of 2)" == CURRENT ]] || rk_die "version 2 of $cred is $(state_of 2), expected CURRENT. Versions: $(versions_summary)"
if [[ "$(state_of 1)" != PREVIOUS ]]; then
    rk_die "version 1 is $(state_of 1) right after version 2 was promoted, expected PREVIOUS (revokeAfter: $(jq -r '.versions[] | select(.version == 1) | .revokeAfter' "$work/body")). Versions: $(versions_summary)"
fi
check "expected exactly one CURRENT version. Versions: $(versions_summary)" \
    '[.versions[] | select(.state == "CURRENT")] | length == 1'
check "version 1 (PREVIOUS) has no revokeAfter" '.versions[] | select(.version == 1) | .revokeAfter != null'
rk_ok "version 2 is CURRENT, version 1 is PREVIOUS (revokeAfter $(jq -r '.versions[] | select(.version == 1) | .revokeAfter' "$work/body"))"

save_key 2
no_secret_in "the rotate task's answer" "$work/rotate-response"
no_secret_in "the credential"
cmp -s "$work/key-v1" "$work/key-v2" && rk_die "the key delivered to $key_file did not change with the rotation"
rk_ok "a new key was delivered to $key_file"
# Version 1 first: it stays valid only for the ${grace_seconds}-second grace period.
verify_key 1 true PREVIOUS
verify_key 2 true CURRENT

# ---------------------------------------------------------------- 4. revocation after the grace period

rk_info "Waiting for version 1 to be revoked (grace period ${grace_seconds} s)"
wait_credential "version 1 is REVOKED" $((grace_seconds + 90)) \
    '.versions | any(.version == 1 and .state == "REVOKED")'
check "version 2 is no longer CURRENT after version 1 was revoked. Versions: $(versions_summary)" \
    '.versions | any(.version == 2 and .state == "CURRENT")'
# The revocation must not come before revokeAfter (second precision; skipped if unparsable).
early=$(jq -r '
    def t: if type == "number" then . elif type == "string" then (sub("\\.[0-9]+"; "") | try fromdateiso8601 catch null) else null end;
    .versions[] | select(.version == 1) | (.revokedAt | t) as $at | (.revokeAfter | t) as $after
    | if $at == null or $after == null then "unknown" elif $at < $after then "early" else "ok" end' "$work/body")
case $early in
    ok) ;;
    early) rk_die "version 1 was revoked before its revokeAfter: $(jq -c '.versions[] | select(.version == 1) | {revokeAfter, revokedAt}' "$work/body")" ;;
    *) rk_warn "could not compare revokedAt with revokeAfter: $(jq -c '.versions[] | select(.version == 1) | {revokeAfter, revokedAt}' "$work/body")" ;;
esac
rk_ok "version 1 is REVOKED ($(jq -c '.versions[] | select(.version == 1) | {revokeAfter, revokedAt}' "$work/body"))"
verify_key 1 false REVOKED
verify_key 2 true CURRENT

# ---------------------------------------------------------------- 5. rotation record and audit log

http GET "$api/api/v1/rotations/$rotation"
expect "GET /api/v1/rotations/$rotation" 200
no_secret_in "the rotation record"
rk_info "Rotation $rotation:"
jq . "$work/body"

http GET "$api/api/v1/audit"
expect "GET /api/v1/audit" 200
no_secret_in "the audit log"
rk_info "Audit log:"
jq . "$work/body"

api_cred=$cred

# ---------------------------------------------------------------- 6. an agent certificate

cred="$agent-mtls"
cert_path="$agent/mtls"
cert_dir="$data_dir/delivered/$cert_path"
jq -nc --arg id "$cred" --arg agent "$agent" --arg path "$cert_path" --arg grace "PT${grace_seconds}S" \
    '{id: $id, agent: $agent, type: "certificate", ca: "agents-ca", keySpec: "EC_P256", validity: "P30D",
      gracePeriod: $grace, targets: [{target: "local-files", path: $path}]}' >"$work/req"
http POST "$api/api/v1/credentials" "$work/req"
expect "POST /api/v1/credentials ($cred)" 200 201
rk_ok "created credential $cred (certificate from agents-ca, EC P-256, P30D, target local-files:$cert_path)"
wait_credential "certificate version 1 is CURRENT" 30 \
    '.versions | any(.version == 1 and (.state == "CURRENT" or .state == "FAILED"))'
[[ "$(state_of 1)" == CURRENT ]] || rk_die "certificate version 1 is $(state_of 1), expected CURRENT"
serial1=$(jq -r '.versions[] | select(.version == 1) | .serial // empty' "$work/body")
[[ -n "$serial1" ]] || rk_die "version 1 of $cred shows no serial"

for f in cert.pem chain.pem key.pem; do
    [[ -s "$cert_dir/$f" ]] || rk_die "$cert_dir/$f was not delivered"
done
openssl verify -CAfile "$cert_dir/chain.pem" "$cert_dir/cert.pem" >"$work/out" 2>&1 \
    || rk_die "openssl verify refused the issued certificate: $(cat "$work/out")"
openssl x509 -in "$cert_dir/cert.pem" -noout -text >"$work/x509"
for want in "URI:spiffe://" "/agent/$agent" "TLS Web Client Authentication" "/api/v1/cas/agents-ca/crl" "CA:FALSE"; do
    grep -qF "$want" "$work/x509" || rk_die "the issued certificate lacks '$want': $(cat "$work/x509")"
done
rk_ok "cert.pem verifies against chain.pem; it carries the SPIFFE ID, clientAuth and the CRL distribution point (serial $serial1)"

http POST "$admin/tasks/rotate?credential=$cred"
expect "POST $admin/tasks/rotate?credential=$cred" 200 201 202
wait_credential "certificate version 1 is REVOKED" $((grace_seconds + 90)) \
    '.versions | any(.version == 1 and .state == "REVOKED")'
[[ "$(state_of 2)" == CURRENT ]] || rk_die "certificate version 2 is $(state_of 2), expected CURRENT"
curl -sS -o "$work/crl.der" --max-time 30 "$api/api/v1/cas/agents-ca/crl" || rk_die "cannot fetch the CRL"
openssl crl -inform DER -in "$work/crl.der" -noout -text >"$work/crl.txt" 2>&1 || rk_die "the CRL does not parse: $(cat "$work/crl.txt")"
tr -d ':' <"$work/crl.txt" | grep -qi "$serial1" || rk_die "the CRL does not list serial $serial1: $(cat "$work/crl.txt")"
openssl crl -inform DER -in "$work/crl.der" -noout -CAfile "$cert_dir/chain.pem" >"$work/out" 2>&1 \
    && grep -q "verify OK" "$work/out" || rk_die "the CRL's signature does not verify against the chain: $(cat "$work/out")"
rk_ok "after its grace period, serial $serial1 is on the agents-ca CRL, whose signature verifies"

rk_ok "smoke test passed: $api_cred rotated from version 1 to 2, version 1 revoked after its grace period; $cred renewed and its old certificate listed on the CRL"
