#!/usr/bin/env bash
# Formats the project's C sources with .clang-format (clang-format 14, the
# version Debian 12 ships: another major version formats differently).
#   tools/format.sh          rewrite the files in place
#   tools/format.sh --check  change nothing; list the files that differ and
#                            exit 1 (ctest `format` and CI run this)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cf=""
for c in clang-format-14 clang-format; do
	if command -v "$c" >/dev/null && "$c" --version | grep -q "version 14\."; then
		cf=$c
		break
	fi
done
if [ -z "$cf" ]; then
	echo "format: clang-format 14 introuvable (Debian 12 : paquet clang-format, installé par tools/deps.sh)" >&2
	exit 2
fi

mapfile -t files < <(find src sync crypto tests tools -name node_modules -prune -o \
	-type f \( -name '*.c' -o -name '*.h' \) -print | LC_ALL=C sort)
[ ${#files[@]} -gt 0 ] || { echo "format: aucun fichier source trouvé sous $root" >&2; exit 2; }

if [ "${1:-}" != "--check" ]; then
	"$cf" -i "${files[@]}"
	exit 0
fi
bad=0
for f in "${files[@]}"; do
	if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "format: $f ne suit pas .clang-format (corriger avec tools/format.sh)" >&2
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "format: $bad fichier(s) sur ${#files[@]} à reformater" >&2
	exit 1
fi
echo "format: ${#files[@]} fichiers conformes à .clang-format"
