#!/usr/bin/env bash
# Installs the Debian 12 packages ctsnode needs to build and test, when
# missing (uses sudo when not root), and the browser test's npm packages
# (tests/browser: puppeteer-core and axe-core, exact versions from its
# package-lock.json; nothing is fetched when the tests run). Idempotent.
# Extra package names given as arguments are installed too (tools/test.sh
# adds clang for fuzzing). Node.js and npm come from Debian's nodejs and
# npm packages unless an npm is already on the PATH (a nodesource or nvm
# installation, whose npm conflicts with Debian's).
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libsqlite3-dev libgit2-dev libsodium-dev libjansson-dev libcmocka-dev libmicrohttpd-dev
      git openssh-client openssh-server jq chromium chromium-l10n python3 curl iproute2 util-linux
      nginx fcgiwrap tinyproxy openssl man-db groff-base bsdextrautils clang-format "$@")
command -v npm >/dev/null || pkgs+=(nodejs npm)
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

# Browser test dependencies, pinned by tests/browser/package-lock.json.
browser="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if ! command -v npm >/dev/null; then
	echo "npm introuvable après l'installation des paquets nodejs et npm" >&2
	exit 1
fi
if ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.ctsnode-lock" 2>/dev/null; then
	echo "Installation des paquets npm du test navigateur (tests/browser)"
	(cd "$browser" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
	cp "$browser/package-lock.json" "$browser/node_modules/.ctsnode-lock"
fi
