#!/usr/bin/env bash
# promtool, which checks deploy/prometheus and the services' /metrics, installed once
# and cached outside the repo.
#
#   bash deploy/prometheus/tools.sh install    # idempotent: does nothing when it is there
#   bash deploy/prometheus/tools.sh promtool   # prints the promtool binary's path
#
# promtool comes from Debian's `prometheus` package: its .deb is downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x` into
# ${LEADROUTER_TOOLS_DIR:-${XDG_CACHE_HOME:-~/.cache}/leadrouter/tools}/promtool-2.42/,
# so no Prometheus server gets installed or started as a system service.
# A promtool already on PATH is used as is.
set -euo pipefail

PROMTOOL_VERSION="2.42"
TOOLS_DIR="${LEADROUTER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/leadrouter/tools}"
PROMTOOL_DIR="$TOOLS_DIR/promtool-$PROMTOOL_VERSION"
CACHED="$PROMTOOL_DIR/usr/bin/promtool"

promtool_path() {
    if command -v promtool >/dev/null 2>&1; then
        command -v promtool
    else
        echo "$CACHED"
    fi
}

install_promtool() {
    if command -v promtool >/dev/null 2>&1 || [[ -x "$CACHED" ]]; then
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "tools.sh: apt-get is needed to fetch promtool (Debian's prometheus package)" >&2
        return 1
    fi
    local work
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' RETURN
    # `apt-get download` needs no root; the package lists may need refreshing first.
    if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
        if [[ "$(id -u)" == 0 ]]; then
            apt-get update -qq
        fi
        (cd "$work" && apt-get download prometheus >/dev/null)
    fi
    mkdir -p "$PROMTOOL_DIR"
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p "$PROMTOOL_DIR/usr/bin"
    install -m 0755 "$work/root/usr/bin/promtool" "$CACHED"
    "$CACHED" --version >/dev/null
}

case "${1:-install}" in
    install) install_promtool ;;
    promtool) promtool_path ;;
    *)
        echo "usage: $0 [install|promtool]" >&2
        exit 2
        ;;
esac
