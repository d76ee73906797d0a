#!/usr/bin/env bash
# Copies the screenshots that docs/GUIDE.md shows from the last run of the
# browser test (build/release/ui-shots, written by e2e_t_ui_browser) into
# docs/img/. Look at them before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
shots=${1:-build/release/ui-shots}
mkdir -p docs/img
pick() { # GUIDE-NAME SHOT-SUFFIX
	local f
	f=$(ls "$shots"/*$2 2>/dev/null | head -1)
	[ -n "$f" ] || { echo "capture absente : *$2 (lancez ctest -R ui_browser)" >&2; exit 1; }
	cp "$f" "docs/img/ui-$1.png"
}
pick tableau-de-bord secretaire-mouse-*-tableau-de-bord-1280.png
pick membre-refuse secretaire-mouse-*-membre-refuse-1280.png
pick reunion-nouvelle secretaire-mouse-*-reunion-nouvelle-1280.png
pick reunion secretaire-mouse-*-reunion-1280.png
pick feuille-apercu secretaire-mouse-*-feuille-apercu-1280.png
pick reunion-presences secretaire-mouse-*-reunion-presences-1280.png
pick reunion-presence-corrigee secretaire-mouse-*-reunion-presence-corrigee-1280.png
pick reunion-doublon secretaire-mouse-*-reunion-doublon-1280.png
pick avis-retirer secretaire-mouse-*-avis-retirer-1280.png
pick membres-retires secretaire-mouse-*-membres-retires-1280.png
pick avis-nouveau secretaire-mouse-*-avis-nouveau-1280.png
pick phrase-de-passe secretaire-mouse-*-phrase-de-passe-1280.png
pick synchronisation secretaire-mouse-*-synchronisation-1280.png
pick conflits conflit-*-conflits-1280.png
pick territoires coordinateur-mouse-*-territoires-apres-inscription-1280.png
pick reception coordinateur-mouse-*-reception-faite-1280.png
pick rapport coordinateur-mouse-*-rapport-territoire-1280.png
pick audit coordinateur-mouse-*-audit-fait-1280.png
ls -la docs/img/ui-*.png
