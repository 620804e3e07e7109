#!/usr/bin/env bash
# Chromium for the ops page's browser test, from Debian's packages.
#
#   bash deploy/browser/chromium.sh install   # idempotent: nothing to do when it is there
#   bash deploy/browser/chromium.sh path      # prints the browser's path
#
# Debian's `chromium` package (https://packages.debian.org/chromium) is installed with
# apt-get (as root, as deploy/postgres/pg.sh installs PostgreSQL): test tools may not
# download browsers of their own here. LEADROUTER_CHROMIUM names another binary.
set -euo pipefail

chromium_path() {
    if [[ -n "${LEADROUTER_CHROMIUM:-}" ]]; then
        echo "$LEADROUTER_CHROMIUM"
    elif command -v chromium >/dev/null 2>&1; then
        command -v chromium
    else
        echo /usr/bin/chromium
    fi
}

install_chromium() {
    if [[ -x "$(chromium_path)" ]]; then
        return 0
    fi
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "chromium.sh: install Debian's chromium (apt-get install chromium) as root," \
            "or set LEADROUTER_CHROMIUM to a Chromium binary" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be stale or missing on a fresh machine.
    if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
    fi
    "$(chromium_path)" --version >/dev/null
}

case "${1:-}" in
install) install_chromium ;;
path) chromium_path ;;
*)
    echo "usage: $0 install|path" >&2
    exit 2
    ;;
esac
