#!/usr/bin/env bash
# Tools that render and check deploy/k8s, installed once and cached outside the repo.
#
#   bash deploy/k8s/tools.sh install     # idempotent: does nothing when it is there
#   bash deploy/k8s/tools.sh kustomize   # prints the kustomize binary's path
#
# kustomize is built from its Go module through the Go module proxy
# (https://kubectl.docs.kubernetes.io/installation/kustomize/source/), so it needs
# the `go` command (1.24 or newer); the binary lands in
# ${LEADROUTER_TOOLS_DIR:-${XDG_CACHE_HOME:-~/.cache}/leadrouter/tools}/kustomize-<version>/.
set -euo pipefail

KUSTOMIZE_VERSION="v5.8.0"
TOOLS_DIR="${LEADROUTER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/leadrouter/tools}"
KUSTOMIZE_DIR="$TOOLS_DIR/kustomize-$KUSTOMIZE_VERSION"
KUSTOMIZE="$KUSTOMIZE_DIR/kustomize"

install_kustomize() {
    if [[ -x "$KUSTOMIZE" ]] && "$KUSTOMIZE" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"; then
        return 0
    fi
    if ! command -v go >/dev/null 2>&1; then
        echo "tools.sh: the go command is needed to install kustomize $KUSTOMIZE_VERSION" >&2
        return 1
    fi
    mkdir -p "$KUSTOMIZE_DIR"
    GOBIN="$KUSTOMIZE_DIR" GOFLAGS=-buildvcs=false \
        go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    "$KUSTOMIZE" version >/dev/null
}

case "${1:-install}" in
    install) install_kustomize ;;
    kustomize) echo "$KUSTOMIZE" ;;
    *)
        echo "usage: $0 [install|kustomize]" >&2
        exit 2
        ;;
esac
