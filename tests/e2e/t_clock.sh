# Clock safety keeps a ratchet bounded by the wall clock (docs/FORMAT.md,
# rule 5): a changeset 23 h ahead is accepted and moves the importer's
# hybrid clock 23 h ahead, but the 24 h limit stays measured against the
# importer's wall clock, so an hour later a changeset 46 h ahead is still
# held; it is applied once the wall clock has caught up. Simulated clocks
# (CTSNODE_TEST_CLOCK_MS), changesets exchanged by folder.
. "$CTS_E2E_LIB"
R="$T/region"; A="$T/a"; B="$T/b"
make_region "$R" normandie region-normandie
make_territory "$A" rouen-elbeuf re-1 "$R"
make_territory "$B" le-havre lh-1 "$R"
keyof() { cts "$1" key show | awk '{print $1" "$2}'; }
cts "$R" region enroll --node re-1 --territory rouen-elbeuf --key "$(keyof "$A")" >/dev/null
cts "$R" region enroll --node lh-1 --territory le-havre --key "$(keyof "$B")" >/dev/null
cts "$R" seal >/dev/null
cts "$A" import "$(xdir "$R")" >/dev/null
cts "$B" import "$(xdir "$R")" >/dev/null

H=3600000
t0=$(($(date +%s) * 1000))
at() { local ms=$1; shift; CTSNODE_TEST_CLOCK_MS=$ms "$CTSNODE" "$@"; }
hlc_ms() { jq -r '.ops[0].hlc' "$1" | python3 -c 'import sys; print(int(sys.stdin.read(), 16) >> 16)'; }
cs() { printf "%s/changesets/%s/%012d.json" "$(xdir "$1")" "$2" "$3"; }
named() { cts "$1" member list --territory rouen-elbeuf --json | jq --arg n "$2" '[.[] | select(.last_name == $n)] | length'; }

# A's clock runs 23 h fast: its changeset n°1 is 23 h ahead of B's.
at $((t0 + 23 * H)) --home "$A" member add --last-name VINGTTROIS --first-name H --organisation X --college etat >/dev/null
at $((t0 + 23 * H)) --home "$A" seal >/dev/null
assert_eq "$(hlc_ms "$(cs "$A" re-1 1)")" $((t0 + 23 * H)) "horloge hybride de A"
expect_status 0 env CTSNODE_TEST_CLOCK_MS=$t0 "$CTSNODE" --home "$B" import "$(xdir "$A")"
assert_eq "$(named "$B" VINGTTROIS)" 1 "23 h d'avance : appliqué"
pass "23 h d'avance : accepté"

# A hour later A's clock is 46 h fast: 45 h ahead of B's wall clock, only
# 23 h ahead of B's hybrid clock. Held: the limit follows the wall clock.
at $((t0 + 46 * H)) --home "$A" member add --last-name QUARANTESIX --first-name H --organisation X --college etat >/dev/null
at $((t0 + 46 * H)) --home "$A" seal >/dev/null
expect_status 0 env CTSNODE_TEST_CLOCK_MS=$((t0 + H)) "$CTSNODE" --home "$B" import "$(xdir "$A")"
assert_eq "$(named "$B" QUARANTESIX)" 0 "46 h d'avance : pas appliqué"
held=$(cts "$B" status --json | jq -r '.held[] | select(.node == "re-1" and .seq == 2) | .reason')
assert_contains "$held" "45.0 h"
pass "une heure plus tard, 46 h d'avance : retenu (borné par l'horloge murale, pas par l'horloge hybride)"

# B's own work meanwhile: its hybrid clock never goes back, and it does
# not run further ahead than what it accepted (23 h), so the region, on
# time, accepts it.
at $((t0 + H)) --home "$B" member add --last-name DEB --first-name H --organisation X --college etat >/dev/null
at $((t0 + H)) --home "$B" seal >/dev/null
b_ms=$(hlc_ms "$(cs "$B" lh-1 1)")
[ "$b_ms" -eq $((t0 + 23 * H)) ] || fail "horloge hybride de B : $b_ms au lieu de $((t0 + 23 * H))"
expect_status 0 env CTSNODE_TEST_CLOCK_MS=$((t0 + H)) "$CTSNODE" --home "$R" import "$(xdir "$B")"
assert_eq "$(cts "$R" member list --territory le-havre --json | jq length)" 1 "changeset de B appliqué par la région"
pass "le cliquet de l'horloge hybride ne s'emballe pas d'un nœud à l'autre"

# Once B's wall clock has caught up (46 h - 23 h = 23 h ahead), applied.
expect_status 0 env CTSNODE_TEST_CLOCK_MS=$((t0 + 23 * H)) "$CTSNODE" --home "$B" import "$(xdir "$A")"
assert_eq "$(named "$B" QUARANTESIX)" 1 "appliqué quand l'horloge a rattrapé"
assert_eq "$(cts "$B" status --json | jq '.held | length')" 0 "plus rien de retenu"
pass "appliqué quand l'horloge murale a rattrapé"
