#!/usr/bin/env bash
# Install Debian's Chromium and Noto CJK fonts if missing (browser tests; Chinese renders as boxes without the fonts).
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
((${#need[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "browser tests need: apt-get install ${need[*]} (run as root, or they are skipped)" >&2
  exit 0
fi
echo "installing ${need[*]} …"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
