#!/usr/bin/env bash
# Checks an export of Rotakey's audit chain offline, with jq and openssl only (docs/security.md, "Checking an
# export offline"). The export comes from `rotakey audit export CONFIG` or GET /api/v1/audit/export.
#
#   scripts/verify-audit-export.sh EXPORT.jsonl [KEY-SHA256]
#
# KEY-SHA256 is the SHA-256 of the checkpoint key's public key (DER), obtained independently of the export (from the
# HSM or Vault, see the docs): without it, the script checks the export against the keys the export itself carries.
# Exit status: 0 intact (a warning when the last events are not yet signed), 1 broken, 2 unusable input.
set -euo pipefail

file=${1:?usage: verify-audit-export.sh EXPORT.jsonl [KEY-SHA256]}
expected_key=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

broken() { echo "BROKEN: $*" >&2; exit 1; }
unusable() { echo "cannot check: $*" >&2; exit 2; }
sha256() { openssl dgst -sha256 -r | cut -c1-64; }

[ -r "$file" ] || unusable "$file is not readable"
keys=$(head -n 1 "$file")
jq -e '.keys | type == "array"' >/dev/null 2>&1 <<<"$keys" || unusable "the first line is not the keys line"

# The checkpoint keys: each public key's fingerprint must match what the line says, and, when given, the one expected.
trusted=0
for i in $(seq 0 $(( $(jq '.keys | length' <<<"$keys") - 1 ))); do
    alias=$(jq -r ".keys[$i].key" <<<"$keys")
    [[ $alias =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || unusable "key name '$alias' is not a key alias"
    jq -j ".keys[$i].publicKey" <<<"$keys" >"$work/$alias.pem"
    fingerprint=$(openssl pkey -pubin -in "$work/$alias.pem" -outform DER | sha256)
    [ "$fingerprint" = "$(jq -r ".keys[$i].sha256" <<<"$keys")" ] || broken "key $alias does not have the fingerprint it claims"
    if [ -n "$expected_key" ] && [ "$fingerprint" != "$expected_key" ]; then
        rm "$work/$alias.pem"
    else
        trusted=$((trusted + 1))
    fi
done
[ "$trusted" -gt 0 ] || broken "no key in the export has the expected fingerprint $expected_key"

prev=""
last=0
events=0
signed=0
line_no=1
while IFS= read -r line; do
    line_no=$((line_no + 1))
    case "$line" in
    '{"seq":'*)
        seq=$(jq -r .seq <<<"$line")
        link=$(jq -r .prev <<<"$line")
        if [ "$last" -eq 0 ]; then
            if [ "$seq" -eq 1 ] && [ "$link" != "$(printf '0%.0s' {1..64})" ]; then
                broken "event 1 (line $line_no) does not start the chain"
            fi
        else
            [ "$seq" -eq $((last + 1)) ] || broken "event $((last + 1)) is missing (line $line_no holds event $seq)"
            [ "$link" = "$prev" ] || broken "event $seq (line $line_no) does not follow event $last"
        fi
        prev=$(printf '%s' "$line" | sha256)
        last=$seq
        events=$((events + 1))
        ;;
    '{"checkpoint":'*)
        jq -j .payload <<<"$line" >"$work/payload"
        jq -r .signature <<<"$line" | openssl base64 -d -A >"$work/signature"
        alias=$(jq -r .key "$work/payload")
        [ -f "$work/$alias.pem" ] || broken "the checkpoint on line $line_no is signed by key $alias, which is not trusted"
        case "$(jq -r .checkpoint.algorithm <<<"$line")" in
        SHA384with*) digest=-sha384 ;;
        *) digest=-sha256 ;;
        esac
        openssl dgst "$digest" -verify "$work/$alias.pem" -signature "$work/signature" "$work/payload" >/dev/null 2>&1 ||
            broken "the signature of the checkpoint on line $line_no does not verify"
        [ "$(jq -r .seq "$work/payload")" = "$last" ] || broken "the checkpoint on line $line_no does not follow its event"
        [ "$(jq -r .hash "$work/payload")" = "$prev" ] ||
            broken "the checkpoint on line $line_no signs another hash than event $last's: the chain was rewritten"
        signed=$last
        ;;
    *) unusable "line $line_no is neither an event nor a checkpoint" ;;
    esac
done < <(tail -n +2 "$file")

[ "$events" -gt 0 ] || unusable "the export holds no event"
echo "intact: $events events up to $last; signed through event $signed"
if [ "$signed" -lt "$last" ]; then
    echo "WARNING: events $((signed + 1)) to $last are not yet vouched for by a signed checkpoint" >&2
fi
