# Node creation, key file protection, passphrases, domain validation.
. "$CTS_E2E_LIB"

# Encrypted key: 0600, no secret in clear, wrong passphrase refused.
CTSNODE_PASSPHRASE="correct horse battery staple" cts "$T/region" region init --region normandie --node region-normandie >/dev/null
key="$T/region/node.key"
assert_eq "$(stat -c %a "$key")" 600 "mode du fichier de clé"
assert_eq "$(stat -c %a "$T/region")" 700 "mode du dossier du nœud"
grep -q '^kdf none' "$key" && fail "la clé est en clair malgré la phrase de passe"
expect_status 0 "$CTSNODE" --home "$T/region" key show
assert_contains "$OUT" "ssh-ed25519 AAAA"
assert_contains "$OUT" "region-normandie"
authority=$(awk '{print $1" "$2}' <<<"$OUT")
CTSNODE_PASSPHRASE="mauvaise" expect_status 1 "$CTSNODE" --home "$T/region" seal
assert_contains "$ERR" "phrase de passe"
CTSNODE_PASSPHRASE="correct horse battery staple" expect_status 0 "$CTSNODE" --home "$T/region" seal
pass "clé chiffrée, 0600, mauvaise phrase de passe refusée"

# Without any passphrase source and no terminal: a clear refusal, nothing created.
expect_status 1 "$CTSNODE" --home "$T/t1" init --territory rouen-elbeuf --node re-1 --authority-key "$authority" </dev/null
assert_contains "$ERR" "CTSNODE_PASSPHRASE"
[ ! -e "$T/t1/node.db" ] || fail "nœud créé sans phrase de passe"
pass "pas de phrase de passe : refus clair"

# A second init on the same home is refused and changes nothing.
cts "$T/t2" init --territory rouen-elbeuf --node re-2 --authority-key "$authority" --no-passphrase >/dev/null
before=$(sha256sum "$T/t2/node.key")
expect_status 1 "$CTSNODE" --home "$T/t2" init --territory le-havre --node lh-1 --authority-key "$authority" --no-passphrase
assert_contains "$ERR" "existe déjà"
assert_eq "$(sha256sum "$T/t2/node.key")" "$before" "clé après un second init"
expect_status 1 "$CTSNODE" --home "$T/t3" init --territory "Rouen Elbeuf" --node re-3 --authority-key "$authority" --no-passphrase
expect_status 1 "$CTSNODE" --home "$T/t3" init --territory rouen --node re-3 --authority-key "ssh-rsa AAAA" --no-passphrase
pass "init refusé proprement"

# CTSNODE_HOME is honoured.
CTSNODE_HOME="$T/t2" expect_status 0 "$CTSNODE" status --json
assert_eq "$(jq -r .node <<<"$OUT")" re-2 "nœud via CTSNODE_HOME"

# Domain validation, in French, nothing written.
n="$T/t2"
expect_status 1 "$CTSNODE" --home "$n" member add --last-name A --first-name B --organisation C --college astronautes
assert_contains "$ERR" "collège inconnu"
expect_status 1 "$CTSNODE" --home "$n" member add --last-name A --first-name B --organisation C --college usagers --seat premier
expect_status 1 "$CTSNODE" --home "$n" member add --last-name A --first-name B --organisation C --college usagers --mandate-start 2020-02-30
assert_contains "$ERR" "date"
cts "$n" member add --last-name Lefèvre --first-name Élise --organisation UDAF --college usagers >/dev/null
expect_status 1 "$CTSNODE" --home "$n" member add --last-name LEFEVRE --first-name elise --organisation X --college etat
assert_contains "$ERR" "existe déjà"
expect_status 1 "$CTSNODE" --home "$n" meeting add --body conseil --date 2020-06-16 --title T
assert_contains "$ERR" "instance inconnue"
expect_status 1 "$CTSNODE" --home "$n" meeting add --body bureau --date 31/06/2020 --title T
assert_contains "$ERR" "AAAA-MM-JJ"
m=$(cts "$n" meeting add --body bureau --date 2020-06-16 --title "Bureau")
expect_status 1 "$CTSNODE" --home "$n" opinion add --meeting "$m" --subject S --for 1 --against 0 --abstain 0 --outcome mitigé
expect_status 1 "$CTSNODE" --home "$n" opinion add --meeting "$m" --subject S --for -1 --against 0 --abstain 0 --outcome favorable
expect_status 1 "$CTSNODE" --home "$n" contribution add --theme inconnu --title T --text X
assert_contains "$ERR" "thème inconnu"
expect_status 0 "$CTSNODE" --home "$n" contribution add --theme segur-pilier-2 --title T --text X --meeting "$m"
# Votes above the members present are refused once attendance is known.
printf 'NOM;Prénom;Structure;Collège;Présent;Excusé\nLEFEVRE;Elise;UDAF;usagers;X;\nMARTIN;Paul;CH;professionnels;;X\n' >"$T/s.csv"
cts "$n" attendance import --meeting "$m" "$T/s.csv" --create-missing >/dev/null
expect_status 1 "$CTSNODE" --home "$n" opinion add --meeting "$m" --subject S --for 2 --against 0 --abstain 0 --outcome favorable
assert_contains "$ERR" "membres présents"
expect_status 0 "$CTSNODE" --home "$n" opinion add --meeting "$m" --subject "Diagnostic territorial en santé mentale" --for 1 --against 0 --abstain 0 --outcome favorable
assert_eq "$(cts "$n" opinion list --json | jq length)" 1 "avis enregistrés"
# The domain rules (src/rules.c) the importers apply, at input too; nothing written.
ops=$(cts "$n" status --json | jq .pending_ops)
expect_status 1 "$CTSNODE" --home "$n" member add --last-name $'DUPONT\nX' --first-name A --organisation O --college etat
assert_contains "$ERR" "le nom contient un caractère de contrôle"
expect_status 1 "$CTSNODE" --home "$n" member add --last-name "  " --first-name A --organisation O --college etat
assert_contains "$ERR" "le nom est obligatoire"
expect_status 1 "$CTSNODE" --home "$n" meeting add --body bureau --date 2020-13-45 --title T
assert_contains "$ERR" "« 2020-13-45 » n'est pas une date réelle"
expect_status 1 "$CTSNODE" --home "$n" opinion add --meeting "$m" --subject S --for 0 --against 10001 --abstain 0 --outcome favorable
assert_contains "$ERR" "10001"
expect_status 1 "$CTSNODE" --home "$n" contribution add --theme "Pilier 1" --title T --text X
assert_contains "$ERR" "le thème « Pilier 1 »"
assert_eq "$(cts "$n" status --json | jq .pending_ops)" "$ops" "opérations écrites par des saisies refusées"
# A sheet cell typed on two lines is one line of text.
printf 'NOM;Prénom;Structure;Collège;Présent;Excusé\nLEFEVRE;Elise;"UDAF\r\nSeine-Maritime";usagers;X;\nMARTIN;Paul;CH;professionnels;;X\n' >"$T/s2.csv"
m2=$(cts "$n" meeting add --body pleniere --date 2020-06-30 --title "Plénière")
expect_status 0 "$CTSNODE" --home "$n" attendance import --meeting "$m2" "$T/s2.csv"
assert_eq "$(cts "$n" attendance list --meeting "$m2" --json | jq -r '.[] | select(.last_name == "LEFEVRE") | .organisation')" \
	"UDAF Seine-Maritime" "structure sur deux lignes"
pass "validation des saisies"

# The journal: every write waits to be sealed; status shows it.
st=$(cts "$n" status --json)
[ "$(jq .pending_ops <<<"$st")" -gt 0 ] || fail "aucune opération en attente"
for k in node territory pending_ops last_seq content_digest queued_push pending held refused; do
	assert_eq "$(jq "has(\"$k\")" <<<"$st")" true "status --json: $k"
done
cts "$n" seal >/dev/null
st=$(cts "$n" status --json)
assert_eq "$(jq .pending_ops <<<"$st")" 0 "opérations après scellement"
assert_eq "$(jq .last_seq <<<"$st")" 1 "premier changeset"
x=$(xdir "$n")
[ -f "$x/changesets/re-2/000000000001.json" ] || fail "changeset non écrit"
[ -f "$x/changesets/re-2/000000000001.json.sig" ] || fail "signature non écrite"
assert_eq "$(jq -r .node "$x/changesets/re-2/000000000001.json")" re-2 "changeset exporté"
[ ! -e "$n/changesets" ] || fail "historique écrit en fichiers dans le dossier du nœud"
pass "journal et scellement"
