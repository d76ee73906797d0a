#!/usr/bin/env bash
# The dependency rule (docs/ARCHITECTURE.md): a file may include headers of
# its own layer and of the layers below, never of a layer above. The build
# already refuses most upward includes (each layer's library sees only the
# include folders below it); this check also catches what an include path
# could let through (a relative "../x.h" or "audit/x.h" spelling, a header
# reached through another layer's folder). libgit2 stays inside the git
# layer: only sync/*.c and sync's private headers (*_impl.h) include
# <git2.h>, nothing outside sync/ names cts_gitrepo_raw, and a private
# header (*_impl.h) is included only from its own folder. Prints every
# violation; exit 1 if any.
#   0 base  src/base/     1 crypto  crypto/    2 node  src/ (top level)
#   3 sync  sync/         4 audit   src/audit/ 5 ui    src/ui/   6 cli src/cli/
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

rank_of_dir() {
	case $1 in
	src/base) echo 0 ;; crypto) echo 1 ;; src) echo 2 ;; sync) echo 3 ;;
	src/audit) echo 4 ;; src/ui) echo 5 ;; src/cli) echo 6 ;; *) echo "" ;;
	esac
}
dirs=(src/base crypto src sync src/audit src/ui src/cli)
declare -A hrank hdir
for d in "${dirs[@]}"; do
	for h in "$d"/*.h; do
		[ -e "$h" ] || continue
		b=$(basename "$h")
		if [ -n "${hdir[$b]:-}" ]; then
			echo "en-tête $b présent dans deux couches : ${hdir[$b]} et $d" >&2
			bad=1
		fi
		hrank[$b]=$(rank_of_dir "$d")
		hdir[$b]=$d
	done
done
bad=${bad:-0}
checked=0
for d in "${dirs[@]}"; do
	r=$(rank_of_dir "$d")
	for f in "$d"/*.c "$d"/*.h; do
		[ -e "$f" ] || continue
		checked=$((checked + 1))
		while IFS= read -r inc; do
			case $inc in
			*/*) echo "$f : #include \"$inc\" : un en-tête s'inclut par son nom seul" >&2; bad=1; continue ;;
			esac
			hr=${hrank[$inc]:-}
			[ -n "$hr" ] || continue # generated or test header
			if [ "$hr" -gt "$r" ]; then
				echo "$f (couche $d) inclut $inc de la couche ${hdir[$inc]}, plus haute" >&2
				bad=1
			fi
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
done
# libgit2 and private headers: one grep over every file of every layer.
files=()
for d in "${dirs[@]}"; do
	for f in "$d"/*.c "$d"/*.h; do [ -e "$f" ] && files+=("$f"); done
done
while IFS= read -r f; do
	case $f in sync/*.c | sync/*_impl.h) continue ;; esac
	echo "$f inclut libgit2 (<git2.h>) : seuls les .c de sync/ et ses en-têtes privés (*_impl.h) le peuvent" >&2
	bad=1
done < <(grep -lE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]git2(\.h|/)' "${files[@]}" || true)
while IFS= read -r f; do
	case $f in sync/*) continue ;; esac
	echo "$f utilise cts_gitrepo_raw : au-dessus de sync/, git se lit par les fonctions de gitrepo.h" >&2
	bad=1
done < <(grep -l 'cts_gitrepo_raw' "${files[@]}" || true)
while IFS=: read -r f inc; do
	[ -e "$(dirname "$f")/$inc" ] && continue
	echo "$f inclut l'en-tête privé $inc d'un autre dossier" >&2
	bad=1
done < <(grep -oE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]*_impl\.h"' "${files[@]}" |
	sed 's/:.*"\(.*\)"$/:\1/' || true)
[ "$checked" -gt 50 ] || { echo "trop peu de fichiers vus ($checked) : mauvais dossier ?" >&2; exit 1; }
[ "$bad" -eq 0 ] || exit 1
echo "règle des couches respectée ($checked fichiers)"
