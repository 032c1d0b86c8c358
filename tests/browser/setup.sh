#!/usr/bin/env bash
# What the browser tests need, installed idempotently: Debian's chromium and
# the npm packages of tests/browser (playwright-core, axe-core).
# Prints the chromium path on the last line.
set -euo pipefail
cd "$(dirname "$0")"

chromium="${ATTUNE_CHROMIUM:-}"
if [ -z "$chromium" ]; then
    chromium="$(command -v chromium || command -v chromium-browser || true)"
fi
if [ -z "$chromium" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's chromium for the browser tests" >&2
        log="${TMPDIR:-/tmp}/attune-chromium-install.log"
        if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >"$log" 2>&1; then
            echo "installing chromium failed; see $log" >&2
            exit 1
        fi
        chromium="$(command -v chromium)"
    else
        echo "chromium is not installed: install Debian's chromium (apt-get install chromium) or set ATTUNE_CHROMIUM" >&2
        exit 1
    fi
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is not installed: the browser tests need Node.js and npm" >&2
    exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --silent >&2
fi
echo "$chromium"
