#!/bin/sh
# Installs Debian's chromium, the browser the web front end's tests (tests/web) drive through
# Playwright for Python. Playwright's own browser download cannot work here (`playwright
# install` is never run). Idempotent and quiet: does nothing when chromium is installed, and
# refreshes the package lists only when the install cannot find it.
set -eu

PACKAGES="chromium"

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
    echo "install_browser.sh: missing Debian packages:$missing; run this script as root" \
        "(or: sudo apt-get install$missing)." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT

install() {
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1
}

if ! install; then
    apt-get update -qq >>"$log" 2>&1 || true
    if ! install; then
        cat "$log" >&2
        echo "install_browser.sh: could not install:$missing" >&2
        exit 1
    fi
fi
echo "install_browser.sh: installed$missing"
