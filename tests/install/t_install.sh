#!/usr/bin/env bash
# Installs the build into an empty temporary prefix (cmake --install) and
# checks what a user gets: the program (it runs), the French man page (man -l
# renders it with its sections, without warnings), and the documentation.
# Usage: t_install.sh BUILD_DIR
set -euo pipefail
build=$1
P=$(mktemp -d /tmp/ctsnode-install-XXXXXX)
trap 'rm -rf "$P"' EXIT
fail() { echo "ÉCHEC : $*" >&2; exit 1; }

cmake --install "$build" --prefix "$P" >/dev/null
[ -x "$P/bin/ctsnode" ] || fail "bin/ctsnode absent"
"$P/bin/ctsnode" --version | grep -q . || fail "ctsnode --version ne répond pas"
page="$P/share/man/man1/ctsnode.1"
[ -f "$page" ] || fail "share/man/man1/ctsnode.1 absent"
for d in README.md CLI.md GUIDE.md AUDIT.md FORMAT.md img/ui-rapport.png; do
	[ -f "$P/share/doc/ctsnode/$d" ] || fail "share/doc/ctsnode/$d absent"
done

out=$(LANG=C.UTF-8 MANWIDTH=80 man -l "$page" 2>"$P/warn" | col -b)
warn=$(LANG=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
[ -z "$warn" ] || fail "avertissements de groff : $warn"
for section in NOM SYNOPSIS DESCRIPTION COMMANDES OPTIONS "CODES DE SORTIE" ENVIRONNEMENT FICHIERS; do
	grep -q "^$section" <<<"$out" || fail "section $section absente de la page rendue"
done
# Every command of the program's own help is described in the page.
cmds=$("$P/bin/ctsnode" --help | sed -n '/^Commandes/,/^$/p' | awk '/^  [a-z]/ {print $1}')
[ -n "$cmds" ] || fail "liste des commandes introuvable dans --help"
for c in $cmds; do
	grep -qE "^ {7}$c( |$)" <<<"$out" || fail "commande $c absente de la page"
done
for code in 0 1 2 3 4 5; do
	grep -qE "^ {7}$code( |$)" <<<"$out" || fail "code de sortie $code absent de la page"
done
echo "installation et page de manuel : OK ($(wc -l <<<"$out") lignes)"
