#!/usr/bin/env bash
# Install Debian's Chromium (and CJK fonts for Korean text) for the end-to-end tests, when missing.
# Needs root and apt-get; elsewhere it says so and the browser tests skip.
set -uo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium for the browser tests (apt-get)…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null \
    || echo "WARNING: chromium could not be installed; browser tests will be skipped"
else
  echo "NOTE: chromium is not installed (needs root: apt-get install chromium fonts-noto-cjk); browser tests will be skipped"
fi
