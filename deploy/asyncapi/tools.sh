#!/usr/bin/env bash
# The AsyncAPI project's parser (@asyncapi/parser, pinned with its whole tree in
# package-lock.json), which validates schemas/asyncapi.yaml; installed once and cached
# outside the repo.
#
#   bash deploy/asyncapi/tools.sh install          # idempotent: does nothing when it is there
#   bash deploy/asyncapi/tools.sh validate FILE    # exit 1 when FILE has an error
#
# It needs node (18 or newer) and npm; `npm ci` (bounded by a timeout) installs the
# locked tree into ${LEADROUTER_TOOLS_DIR:-${XDG_CACHE_HOME:-~/.cache}/leadrouter/tools}/
# asyncapi-<hash of the lock>/, so a change of the lock installs afresh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_DIR="${LEADROUTER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/leadrouter/tools}"
LOCK_HASH="$(sha256sum "$SCRIPT_DIR/package-lock.json" | cut -c1-12)"
PARSER_DIR="$TOOLS_DIR/asyncapi-$LOCK_HASH"
INSTALL_TIMEOUT_S="${ASYNCAPI_INSTALL_TIMEOUT_S:-300}"

install_parser() {
    if [[ -f "$PARSER_DIR/.installed" ]]; then
        return 0
    fi
    for tool in node npm; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "tools.sh: $tool is needed to install the AsyncAPI parser" >&2
            return 1
        fi
    done
    rm -rf "$PARSER_DIR"
    mkdir -p "$PARSER_DIR"
    cp "$SCRIPT_DIR/package.json" "$SCRIPT_DIR/package-lock.json" "$PARSER_DIR/"
    # --ignore-scripts: nothing of the tree runs at install time.
    (cd "$PARSER_DIR" && timeout "$INSTALL_TIMEOUT_S" npm ci --ignore-scripts --no-audit \
        --no-fund --loglevel=error >/dev/null)
    touch "$PARSER_DIR/.installed"
}

validate() {
    if [[ ! -f "$PARSER_DIR/.installed" ]]; then
        echo "tools.sh: the AsyncAPI parser is not installed: run \`bash $0 install\`" >&2
        return 3
    fi
    NODE_PATH="$PARSER_DIR/node_modules" node "$SCRIPT_DIR/validate.cjs" "$1"
}

case "${1:-install}" in
    install) install_parser ;;
    validate) validate "${2:?usage: $0 validate FILE}" ;;
    *)
        echo "usage: $0 [install|validate FILE]" >&2
        exit 2
        ;;
esac
