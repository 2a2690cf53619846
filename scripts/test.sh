#!/usr/bin/env bash
# Runs Rotakey's tests (both tiers, or the fast one), installing and starting what they need first.
set -euo pipefail

usage() {
    cat <<USAGE
Usage: scripts/test.sh [--fast] [MAVEN_ARGS...]

Installs what is missing (JDK 17, Maven, SoftHSM2, OpenSC, OpenSSL, curl, promtool,
Alertmanager, python3, systemd-analyze, jq, wrk, rsyslog, nginx; with apt-get),
makes sure PostgreSQL answers on 127.0.0.1:5432 with trust auth and a database 'test',
MariaDB on 127.0.0.1:3306 with root over TCP without a password and a database 'test',
and Redis on 127.0.0.1:6379 (installing and starting each if nothing answers there), then
runs the tests and exits with Maven's exit code. The tests come in two tiers:
  unit         *Test.java: in-process unit and resource tests (surefire, mvn test);
               a couple of minutes at most
  integration  *IT.java: DAO tests on H2 and PostgreSQL, tests on real SoftHSM2,
               PostgreSQL, MariaDB and Redis or with external programs, end-to-end tests
               against the daemon (failsafe, mvn verify)

  scripts/test.sh                   both tiers: mvn -B --no-transfer-progress verify
  scripts/test.sh --fast            the unit tier: mvn -B --no-transfer-progress test
  scripts/test.sh -Dtest=SecretSourceTest
                                    chosen unit tests only (mvn test)
  scripts/test.sh -Dit.test=StoreIT chosen integration tests only (mvn verify -DskipUTs)

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
# alerting tests; python3 runs scripts/rotakeyctl; systemd-analyze checks the unit file; jq and
# wrk serve scripts/bench.sh (BenchScriptIT); rsyslogd with its GnuTLS driver is the SIEM the
# audit export streams to over TLS (SiemExportIT); nginx is the real consumer a reload hook reloads
# with a rotated certificate (NginxReloadIT); chromium and its chromedriver show the dashboard to
# Selenium (DashboardBrowserIT).
rk_apt_install prometheus prometheus-alertmanager python3 systemd jq wrk rsyslog rsyslog-gnutls nginx \
    chromium chromium-driver
rk_ensure_postgres
rk_ensure_mariadb
export ROTAKEY_TEST_PG_URL="${ROTAKEY_TEST_PG_URL:-jdbc:postgresql://127.0.0.1:${RK_PG_PORT:-5432}/test}"
rk_ensure_redis

goal=verify
if [[ "${1:-}" == --fast ]]; then
    goal=test
    shift
fi
# -Dtest= alone picks unit tests: no need to package and run the integration tier.
# -Dit.test= alone picks integration tests: skip the unit tier.
picks_unit=0 picks_it=0
for arg in "$@"; do
    case $arg in
        -Dtest=*) picks_unit=1 ;;
        -Dit.test=*) picks_it=1 ;;
    esac
done
extra=()
if ((picks_unit && !picks_it)); then
    goal=test
elif ((picks_it && !picks_unit)) && [[ $goal == verify ]]; then
    extra=(-DskipUTs)
fi

rk_info "mvn -B --no-transfer-progress $goal ${extra[*]:+${extra[*]} }$*"
exec mvn -B --no-transfer-progress "$goal" "${extra[@]}" "$@"
