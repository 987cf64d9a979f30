#!/usr/bin/env bash
# Installs the browser the dashboard's test drives: Debian's `chromium` package, through apt (no
# browser download by playwright). `.ci/run` calls it after `npm ci`; CI runs as root.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup-browser: $CHROMIUM is missing and this is not root: install Debian's chromium package" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi
"$CHROMIUM" --version 2>/dev/null
