# One person's attendance corrected: `attendance set` / `attendance remove`
# write one journaled operation on the record a sheet import writes, say
# what changed in one French line, write nothing when nothing changes, and
# refuse names not in the roll with the candidates. Two devices of one
# territory correcting the same mark concurrently, through real sync: the
# conflict is kept on both, both end with the same content.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
for p in a:lh-poste-a b:lh-poste-b; do
	IFS=: read -r h node <<<"$p"
	make_territory "$T/$h" le-havre "$node" "$T/region"
	cts "$T/region" region enroll --node "$node" --territory le-havre --key "$(cts "$T/$h" key show | awk '{print $1" "$2}')" >/dev/null
done
cts "$T/region" region pull >/dev/null

m=$(cts "$T/a" meeting add --body pleniere --date 2020-06-17 --title "CTS Le Havre")
cts "$T/a" attendance import --meeting "$m" "$A/le-havre.csv" --create-missing >/dev/null
status_of() { cts "$1" attendance list --meeting "$m" --json | jq -r ".[] | select(.last_name == \"$2\") | .status"; }

# Excused → present, by name: one operation, one line.
ops=$(cts "$T/a" status --json | jq .pending_ops)
expect_status 0 "$CTSNODE" --home "$T/a" attendance set --meeting "$m" --member "FUSEAU Alain" --status present
assert_eq "$OUT" "FUSEAU Alain : Excusé → Présent (réunion du 17/06/2020)." "message"
assert_eq "$(cts "$T/a" status --json | jq .pending_ops)" "$((ops + 1))" "une opération"
assert_eq "$(status_of "$T/a" FUSEAU)" present "FUSEAU présent"
assert_eq "$(cts "$T/a" attendance list --meeting "$m" --json | jq length)" 28 "même enregistrement que la feuille"
# The same again (the meeting by its date, French spelling, other order):
# nothing written.
before=$(cts "$T/a" status --json)
expect_status 0 "$CTSNODE" --home "$T/a" attendance set --meeting 17/06/2020 --member "alain fuseau" --status Présent
assert_contains "$OUT" "est déjà noté Présent (réunion du 17/06/2020) : rien n'a changé"
assert_eq "$(cts "$T/a" status --json)" "$before" "rien d'écrit"
# By id prefix, with --json.
fid=$(cts "$T/a" member list --json | jq -r '.[] | select(.last_name == "FUSEAU") | .id')
J=$(cts "$T/a" attendance set --meeting "$m" --member "${fid:0:8}" --status excused --json)
assert_eq "$(jq -c '[.changed, .before, .after, .member]' <<<"$J")" "[true,\"present\",\"excused\",\"$fid\"]" "JSON"
pass "attendance set : une opération, une ligne, rien quand rien ne change"

# Remove, then remove again.
expect_status 0 "$CTSNODE" --home "$T/a" attendance remove --meeting "$m" --member "SIMON Jean-Pierre"
assert_eq "$OUT" "SIMON Jean-Pierre : Présent → retiré des présences (réunion du 17/06/2020)." "retrait"
assert_eq "$(cts "$T/a" attendance list --meeting "$m" --json | jq length)" 27 "une ligne de moins"
before=$(cts "$T/a" status --json)
expect_status 0 "$CTSNODE" --home "$T/a" attendance remove --meeting "$m" --member "SIMON Jean-Pierre"
assert_contains "$OUT" "n'a pas de présence notée pour la réunion du 17/06/2020 : rien n'a changé"
assert_eq "$(cts "$T/a" status --json)" "$before" "rien d'écrit"
# Set brings the person back, whole.
cts "$T/a" attendance set --meeting "$m" --member "SIMON Jean-Pierre" --status absent >/dev/null
assert_eq "$(cts "$T/a" attendance list --meeting "$m" --json | jq -c '.[] | select(.last_name == "SIMON") | [.first_name, .college, .status]')" \
	'["Jean-Pierre","professionnels","absent"]' "ligne complète"
pass "attendance remove, puis set qui rétablit la ligne entière"

# Refusals write nothing.
before=$(cts "$T/a" status --json)
expect_status 1 "$CTSNODE" --home "$T/a" attendance set --meeting "$m" --member "FUSSEAU Alain" --status present
assert_contains "$ERR" "aucun membre « FUSSEAU Alain »"
assert_contains "$ERR" "vouliez-vous dire FUSEAU Alain ("
expect_status 1 "$CTSNODE" --home "$T/a" attendance set --meeting "$m" --member "DUPONT Jean" --status present
assert_contains "$ERR" "ctsnode member list"
expect_status 1 "$CTSNODE" --home "$T/a" attendance set --meeting "$m" --member "FUSEAU Alain" --status peut-être
expect_status 2 "$CTSNODE" --home "$T/a" attendance set --meeting "$m" --member "FUSEAU Alain"
mc=$(cts "$T/a" meeting add --body bureau --date 2020-06-20 --title "Bureau annulé" --status annulee)
expect_status 1 "$CTSNODE" --home "$T/a" attendance set --meeting "$mc" --member "FUSEAU Alain" --status present
assert_contains "$ERR" "annulée"
expect_status 1 "$CTSNODE" --home "$T/a" attendance remove --meeting "$mc" --member "FUSEAU Alain"
before_mc=$(cts "$T/a" status --json)
assert_eq "$(jq 'del(.pending_ops, .content_digest, .territory_digests)' <<<"$before_mc")" "$(jq 'del(.pending_ops, .content_digest, .territory_digests)' <<<"$before")" "état"
assert_eq "$(jq .pending_ops <<<"$before_mc")" "$(($(jq .pending_ops <<<"$before") + 1))" "seule la réunion ajoutée"
pass "refus : nom proche suggéré, inconnu, statut, réunion annulée ; rien d'écrit"

# Two devices correct the same mark without seeing each other.
cts "$T/a" sync --remote "$REPO" >/dev/null
cts "$T/b" sync --remote "$REPO" >/dev/null
assert_eq "$(status_of "$T/b" LECLERC)" present "B a la feuille"
cts "$T/a" attendance set --meeting "$m" --member "LECLERC Virginie" --status excused >/dev/null
cts "$T/b" attendance set --meeting "$m" --member "LECLERC Virginie" --status absent >/dev/null
cts "$T/a" sync >/dev/null; cts "$T/b" sync >/dev/null; cts "$T/a" sync >/dev/null
for h in a b; do
	c=$(cts "$T/$h" conflicts --json)
	assert_eq "$(jq length <<<"$c")" 1 "conflits chez $h"
	assert_eq "$(jq -r '.[0].field' <<<"$c")" status "champ en conflit"
	assert_eq "$(jq -c '[.[0].win_value, .[0].lose_value] | sort' <<<"$c")" '["absent","excused"]' "les deux valeurs gardées"
done
assert_eq "$(status_of "$T/a" LECLERC)" "$(status_of "$T/b" LECLERC)" "même gagnant"
da=$(cts "$T/a" status --json | jq -r .content_digest)
assert_eq "$(cts "$T/b" status --json | jq -r .content_digest)" "$da" "même contenu"
pass "corrections concurrentes d'une même présence : conflit gardé des deux côtés, même empreinte"

# The history of corrections rebuilds to the same content.
cts "$T/a" rebuild >/dev/null
assert_eq "$(cts "$T/a" status --json | jq -r .content_digest)" "$da" "empreinte après rebuild"
pass "rebuild après les corrections : même empreinte"
