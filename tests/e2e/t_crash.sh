# Crash consistency: `attendance import`, `sync` and `region pull` are
# killed (SIGKILL) at every crash point in turn (CTSNODE_TEST_CRASH_AT=k,
# see src/crashpoint.h). After each kill: the SQLite files pass
# integrity_check, nothing acknowledged is lost, nothing is half-applied,
# and the same command run again completes; at the end all nodes converge.
# CTS_CRASH_STRIDE=n tests every n-th point only (used by the slower
# sanitizer run); the full run covers every point.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
stride=${CTS_CRASH_STRIDE:-1}
REPO="$T/tpl/region.git"

integrity() { # HOME
	python3 - "$1/node.db" <<'PY' || fail "integrity_check en échec pour $1"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
r = c.execute("PRAGMA integrity_check").fetchone()[0]
sys.exit(0 if r == "ok" else 1)
PY
}
count() { cts "$1" "${@:2}" --json | jq length; }

# Template: region + one territory, synced; a meeting to fill.
mkdir -p "$T/tpl"
cts "$T/tpl/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/tpl/re" rouen-elbeuf re-secretariat "$T/tpl/region"
cts "$T/tpl/region" region enroll --node re-secretariat --territory rouen-elbeuf \
	--key "$(cts "$T/tpl/re" key show | awk '{print $1" "$2}')" >/dev/null
cts "$T/tpl/region" region pull >/dev/null
m=$(cts "$T/tpl/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/tpl/re" sync --remote "$REPO" >/dev/null
restore() { rm -rf "$T/w"; cp -a "$T/tpl" "$T/w"; sed -i "s|$T/tpl/|$T/w/|g" "$T/w/re/repo.git/config" "$T/w/region/repo.git/config"; }
# The remote path is stored in each node's meta; point it at the copy.
fix_remote() { cts "$T/w/re" status >/dev/null; }

kills=0

# --- A: attendance import (all or nothing) ---
k=1
while :; do
	restore
	rc=$(run_crashing "$k" "$CTSNODE" --home "$T/w/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing)
	[ "$rc" -eq 0 ] && break
	[ "$rc" -eq 137 ] || fail "import : code $rc au point $k"
	kills=$((kills + 1))
	integrity "$T/w/re"
	mem=$(count "$T/w/re" member list); att=$(cts "$T/w/re" attendance list --meeting "$m" --json | jq length)
	case "$mem/$att" in 0/0|29/40) ;; *) fail "import à moitié appliqué au point $k : $mem membres, $att présences";; esac
	cts "$T/w/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
	assert_eq "$(count "$T/w/re" member list)" 29 "membres après reprise (point $k)"
	k=$((k + stride))
done
pointsA=$((k - 1))
pass "attendance import : $pointsA points de coupure, tout ou rien à chaque fois"

# Template B: the import done, not synced yet.
cts "$T/tpl/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
digest=$(cts "$T/tpl/re" status --json | jq -r .content_digest)

# --- B: sync (nothing acknowledged is lost; the next sync delivers) ---
k=1
while :; do
	restore
	rc=$(run_crashing "$k" "$CTSNODE" --home "$T/w/re" sync --remote "$T/w/region.git")
	[ "$rc" -eq 0 ] && break
	[ "$rc" -eq 137 ] || fail "sync : code $rc au point $k"
	kills=$((kills + 1))
	integrity "$T/w/re"
	assert_eq "$(cts "$T/w/re" status --json | jq -r .content_digest)" "$digest" "données locales après coupure (point $k)"
	git --git-dir="$T/w/region.git" fsck --no-progress >/dev/null 2>&1 || fail "dépôt régional abîmé (point $k)"
	cts "$T/w/re" sync --remote "$T/w/region.git" >/dev/null || fail "sync de reprise en échec (point $k)"
	cts "$T/w/region" region pull --remote "$T/w/region.git" >/dev/null
	assert_eq "$(cts "$T/w/region" member list --territory rouen-elbeuf --json | jq length)" 29 "la région a tout reçu (point $k)"
	k=$((k + stride))
done
pointsB=$((k - 1))
pass "sync : $pointsB points de coupure, rien de perdu, le sync suivant livre tout"

# Template C: the territory synced, the region not yet.
cts "$T/tpl/re" sync >/dev/null

# --- C: region pull (import + checkpoint + publish) ---
k=1
while :; do
	restore
	rc=$(run_crashing "$k" "$CTSNODE" --home "$T/w/region" region pull --remote "$T/w/region.git")
	[ "$rc" -eq 0 ] && break
	[ "$rc" -eq 137 ] || fail "region pull : code $rc au point $k"
	kills=$((kills + 1))
	integrity "$T/w/region"
	mem=$(cts "$T/w/region" member list --territory rouen-elbeuf --json | jq length)
	case "$mem" in 0|29) ;; *) fail "changeset à moitié appliqué au point $k : $mem membres";; esac
	cts "$T/w/region" region pull --remote "$T/w/region.git" >/dev/null || fail "region pull de reprise en échec (point $k)"
	cts "$T/w/re" sync --remote "$T/w/region.git" >/dev/null
	assert_eq "$(cts "$T/w/region" status --json | jq -r .content_digest)" \
		"$(cts "$T/w/re" status --json | jq -r .content_digest)" "convergence après reprise (point $k)"
	k=$((k + stride))
done
pointsC=$((k - 1))
total=$((pointsA + pointsB + pointsC))
pass "region pull : $pointsC points de coupure, jamais à moitié appliqué, convergence"
echo "points de coupure : $total (import $pointsA, sync $pointsB, region pull $pointsC) ; $kills coupures testées (pas $stride)"
[ "$total" -ge 200 ] || fail "moins de 200 points de coupure ($total)"
