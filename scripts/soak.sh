#!/usr/bin/env bash
# Runs Rotakey's fault model (src/test/java/dev/rotakey/faults) for a long time: random seeds, same model as CI.
set -euo pipefail

usage() {
    cat <<USAGE
Usage: scripts/soak.sh [--minutes N] [--base-seed S] [MAVEN_ARGS...]

Runs FaultModelIT against the real daemon, PostgreSQL, Redis, the webhook consumer, the Vault
double and SoftHSM2 with faults injected between them, drawing sequences from consecutive seeds
starting at a random base seed (or --base-seed) until N minutes have passed (default 60).
Every failing sequence is shrunk and printed with its seed; the findings are also written to
target/fault-model-report.txt. Replay one with
  ./scripts/test.sh -Dit.test=FaultModelIT -Drotakey.faults.seed=SEED
Exits non-zero when an invariant was violated.

Options:
  --minutes N      how long to run (default 60)
  --base-seed S    first seed (default: random)
  -h, --help       this text
Environment: as scripts/test.sh (ROTAKEY_TEST_PG_URL, ROTAKEY_SKIP_PACKAGES).
USAGE
}

minutes=60
base_seed=""
maven_args=()
while (($# > 0)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --minutes)
            [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "--minutes needs a positive whole number" >&2; exit 2; }
            minutes=$2; shift 2 ;;
        --base-seed)
            [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { echo "--base-seed needs a number" >&2; exit 2; }
            base_seed=$2; shift 2 ;;
        *) maven_args+=("$1"); shift ;;
    esac
done

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RK_ROOT"

rk_need_packages
rk_ensure_postgres
export ROTAKEY_TEST_PG_URL="${ROTAKEY_TEST_PG_URL:-jdbc:postgresql://127.0.0.1:${RK_PG_PORT:-5432}/test}"

args=(-DskipUTs -Dit.test=FaultModelIT "-Drotakey.faults.minutes=$minutes"
    "-Dfailsafe.timeout=$(((minutes + 30) * 60))")
[[ -n "$base_seed" ]] && args+=("-Drotakey.faults.baseSeed=$base_seed")
rk_info "Soaking the fault model for $minutes minutes${base_seed:+ from seed $base_seed}"
exec mvn -B --no-transfer-progress verify "${args[@]}" "${maven_args[@]}"
