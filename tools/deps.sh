#!/usr/bin/env bash
# Installs the Debian 12 packages ctsnode needs to build and test, when
# missing (uses sudo when not root). Idempotent. Extra package names given
# as arguments are installed too (tools/test.sh adds clang for fuzzing).
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libsqlite3-dev libgit2-dev libsodium-dev libjansson-dev libcmocka-dev
      git openssh-client openssh-server jq chromium python3
      nginx fcgiwrap tinyproxy openssl "$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "Installation des paquets Debian manquants : ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
