#!/usr/bin/env bash
# Installs the Debian packages Vitrine needs when they are missing (root only; others get a hint).
set -euo pipefail
# gettext: msgfmt and xgettext for the translations (makemessages, compilemessages, the CI check).
packages=(chromium chromium-driver fonts-noto-cjk fonts-dejavu-core gettext)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
