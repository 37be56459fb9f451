#!/usr/bin/env bash
# Install the Debian packages the tests use if missing: Chromium and Noto CJK fonts (browser tests;
# Chinese renders as boxes without the fonts), poppler-utils and zbar-tools (document tests).
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
# PDF text extraction and QR decoding for the document tests; CJK fonts also serve PDF rendering.
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
((${#need[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "browser tests need: apt-get install ${need[*]} (run as root, or they are skipped)" >&2
  exit 0
fi
echo "installing ${need[*]} …"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
