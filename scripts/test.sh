#!/usr/bin/env bash
# Runs Rotakey's whole test suite, installing and starting what the tests need first.
set -euo pipefail

usage() {
    cat <<USAGE
Usage: scripts/test.sh [MAVEN_ARGS...]

Installs what is missing (JDK 17, Maven, SoftHSM2, OpenSC, OpenSSL, curl, promtool,
Alertmanager, python3, systemd-analyze; with apt-get),
makes sure PostgreSQL answers on 127.0.0.1:5432 with trust auth and a database 'test'
(installing and starting it if nothing answers there), then runs
  mvn -B --no-transfer-progress test MAVEN_ARGS...
and exits with Maven's exit code. Example: scripts/test.sh -Dtest=SecretSourceTest

Environment:
  ROTAKEY_TEST_PG_URL  JDBC URL of the test database, used as user postgres
                       [jdbc:postgresql://127.0.0.1:5432/test]
  ROTAKEY_SKIP_PACKAGES=1  never call apt-get
Works from any directory.
USAGE
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
esac

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RK_ROOT"

rk_need_packages
# promtool checks the shipped alerting rules; a real Alertmanager receives the alerts in the
# alerting tests; python3 runs scripts/rotakeyctl; systemd-analyze checks the unit file.
rk_apt_install prometheus prometheus-alertmanager python3 systemd
rk_ensure_postgres
export ROTAKEY_TEST_PG_URL="${ROTAKEY_TEST_PG_URL:-jdbc:postgresql://127.0.0.1:${RK_PG_PORT:-5432}/test}"

rk_info "mvn -B --no-transfer-progress test $*"
exec mvn -B --no-transfer-progress test "$@"
