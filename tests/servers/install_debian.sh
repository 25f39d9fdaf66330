#!/bin/sh
# Installs the Debian packages the tests need, in one place: PostgreSQL and MariaDB (the
# connector tests' servers), Redis (the replica tests' shared state, tests/servers/redis.py),
# HAProxy (the balancer in front of two replicas in the load test, deploy/haproxy-replicas.cfg),
# LibreOffice Calc, headless (the import/export tests open workbooks in it, as the people
# filling them in will), and Chromium (the browser the front end's tests drive through
# Playwright for Python; Playwright's own browser download cannot work here). Idempotent and
# quiet: does nothing when all are installed, refreshes the package lists only when an install
# cannot find what it needs, and never starts a system service (tests/servers/sql.py and
# redis.py run their own servers in private data directories).
set -eu

PACKAGES="postgresql mariadb-server redis-server haproxy libreoffice-calc-nogui chromium"

missing=""
for package in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $package" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install_debian.sh: missing Debian packages:$missing; run this script as root" \
        "(or: sudo apt-get install$missing)." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)

# policy-rc.d answering 101 keeps the packages' postinst from starting system servers on the
# default ports; an existing one (Docker images ship one) is left as it is.
own_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
fi
cleanup() {
    if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
    rm -f "$log"
}
trap cleanup EXIT

install() {
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1
}

# Package lists go stale (404s) or are absent in fresh images: refresh them only then.
if ! install; then
    apt-get update -qq >>"$log" 2>&1 || true
    if ! install; then
        cat "$log" >&2
        echo "install_debian.sh: could not install:$missing" >&2
        exit 1
    fi
fi
echo "install_debian.sh: installed$missing"
