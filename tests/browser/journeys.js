/*
 * The secretary's and the coordinator's journeys through `ctsnode ui`, in
 * a real browser, each step checked in the page AND against
 * `ctsnode --home H --json ...`. Run by tests/e2e/t_ui_browser.sh, which
 * prepares the homes:
 *
 *   CTSNODE   the binary             SHOTS    folder for the screenshots
 *   DATA      tests/data             REPO     the bare regional repository
 *   REGION    the regional node      PASS     passphrase of the territory keys
 *   T1, T2    two territory nodes (le-havre, rouen-elbeuf), not yet enrolled
 *   DIEPPE    a territory node with one conflict to trench
 *
 * Pass 1 is done with the mouse (T1, Le Havre, the Windows-1252 sheet),
 * pass 2 with the keyboard alone (T2, Rouen-Elbeuf); the coordinator
 * enrols and receives the territory of each pass.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const lib = require('./lib');

const { assert } = lib;
const env = process.env;
const CTS = env.CTSNODE;
const cli = (home, args) => lib.cli(CTS, home, args);
const cliJson = (home, args) => lib.cliJson(CTS, home, args);

const passes = [
	{
		mode: 'mouse', home: env.T1, territory: 'le-havre', node: 'le-havre-secretariat',
		sheet: path.join(env.DATA, 'attendance/le-havre.excel-windows1252.csv'),
		member: { last: 'CASADEI', first: 'François', org: 'URPS Infirmiers', college: 'professionnels' },
		meeting: { body: 'pleniere', date: '2020-06-17', title: 'Consultation Ségur de la santé', place: 'Le Havre' },
		counts: { members: 18, present: 15, excused: 3, absent: 0, guests: 10 },
		widths: [1280, 1024], tour: true,
	},
	{
		mode: 'keyboard', home: env.T2, territory: 'rouen-elbeuf', node: 'rouen-elbeuf-secretariat',
		sheet: path.join(env.DATA, 'attendance/rouen-elbeuf.csv'),
		member: { last: 'ALBY', first: 'Jérôme', org: 'Association La Boussole', college: 'professionnels' },
		meeting: { body: 'pleniere', date: '2020-06-16', title: 'Séance plénière', place: 'Rouen' },
		counts: { members: 29, present: 24, excused: 4, absent: 1, guests: 11 },
		widths: [1280],
	},
];

async function secretary(browser, p) {
	const ui = await lib.startUi(CTS, p.home);
	const d = new lib.Driver(browser, { mode: p.mode, shots: env.SHOTS, prefix: `secretaire-${p.mode}`, widths: p.widths });
	await d.open(ui.url);
	assert(!d.page.url().includes('token='), 'le jeton reste dans la barre d\'adresse');
	assert((await d.page.evaluate(() => navigator.language)).startsWith('fr'),
		'navigateur pas en français (paquet chromium-l10n : tools/deps.sh)');
	await d.check('tableau-de-bord');
	await d.expectText('Pas encore inscrit');

	/* A member: first a refused form (nothing written), then the right one. */
	await d.go('nav a[href="/membres"]');
	await d.check('membres');
	await d.go('a[href="/membres/nouveau"]');
	await d.check('membre-nouveau');
	await d.fill('#f-first_name', p.member.first);
	await d.go('form.form button[type=submit]');
	await d.check('membre-refuse', 400);
	assert(await d.focusedId() === 'erreurs', 'le résumé des erreurs n\'a pas le focus');
	assert(await d.attr('#f-last_name', 'aria-invalid') === 'true', 'le champ nom n\'est pas marqué invalide');
	assert((await d.attr('#f-last_name', 'aria-describedby')).includes('f-last_name-err'), 'erreur non liée au champ');
	assert(await d.page.$eval('#f-first_name', (e) => e.value) === p.member.first, 'la saisie n\'est pas gardée');
	assert(cliJson(p.home, ['member', 'list']).length === 0, 'un formulaire refusé a écrit un membre');
	await d.fill('#f-last_name', p.member.last);
	await d.fill('#f-organisation', p.member.org);
	await d.choose('#f-college', p.member.college);
	await d.radio('seat', 'titulaire');
	await d.go('form.form button[type=submit]');
	await d.check('membres-apres-ajout');
	await d.expectText(`${p.member.first} ${p.member.last} a été ajouté(e)`);
	let members = cliJson(p.home, ['member', 'list']);
	assert(members.length === 1 && members[0].last_name === p.member.last && members[0].first_name === p.member.first &&
		members[0].college === p.member.college && members[0].seat === 'titulaire', 'membre absent de member list --json');

	/* A meeting. */
	await d.go('nav a[href="/reunions"]');
	await d.check('reunions');
	await d.go('a[href="/reunions/nouvelle"]');
	await d.check('reunion-nouvelle');
	await d.choose('#f-body', p.meeting.body);
	await d.fillDate('#f-date', p.meeting.date);
	await d.fill('#f-title', p.meeting.title);
	await d.fill('#f-place', p.meeting.place);
	await d.go('form.form button[type=submit]');
	await d.check('reunion');
	const meetings = cliJson(p.home, ['meeting', 'list']);
	assert(meetings.length === 1 && meetings[0].date === p.meeting.date && meetings[0].title === p.meeting.title,
		'réunion absente de meeting list --json');
	const mid = meetings[0].id;
	assert(d.page.url().endsWith('/reunions/' + mid), 'pas sur la page de la réunion');

	/* The sheet: refused without creating members, previewed, confirmed. */
	await d.upload('#f-sheet', p.sheet);
	await d.go('form[enctype="multipart/form-data"] button[type=submit]');
	await d.check('feuille-refusee', 400);
	await d.expectText('ne figurent pas parmi les membres');
	assert(cliJson(p.home, ['attendance', 'list', '--meeting', mid]).length === 0, 'un aperçu refusé a écrit');
	await d.go('form.inline-buttons input[name=reuse] ~ button');
	await d.check('feuille-apercu');
	await d.expectText('Si vous confirmez');
	const rows = await d.page.$$eval('table tbody tr', (t) => t.length);
	assert(rows === p.counts.members + p.counts.guests, `aperçu : ${rows} lignes`);
	assert(cliJson(p.home, ['member', 'list']).length === 1, 'l\'aperçu a écrit des membres');
	assert(cliJson(p.home, ['attendance', 'list', '--meeting', mid]).length === 0, 'l\'aperçu a écrit des présences');
	await d.go('form[action$="/feuille/confirmer"] button');
	await d.check('reunion-presences');
	const c = p.counts;
	await d.expectText(`${c.present} présent(s), ${c.excused} excusé(s), ${c.absent} absent(s) ; ${c.guests} invité(s).`);
	const att = cliJson(p.home, ['attendance', 'list', '--meeting', mid]);
	const count = (f) => att.filter(f).length;
	assert(att.length === c.members + c.guests && count((a) => !a.guest && a.status === 'present') === c.present &&
		count((a) => !a.guest && a.status === 'excused') === c.excused && count((a) => a.guest) === c.guests,
	'attendance list --json ne correspond pas à la feuille');
	members = cliJson(p.home, ['member', 'list']);
	assert(members.length === c.members, `${members.length} membres après l'import`);

	/* One person's mark corrected in the meeting's list of the roll. */
	const one = att.find((a) => !a.guest && a.status === 'present');
	await d.radio(`m_${one.member}`, 'excused');
	await d.go('form.attendance button[type=submit]');
	await d.check('reunion-presence-corrigee');
	await d.expectText('1 présence(s) modifiée(s)');
	await d.expectText(`${c.present - 1} présent(s), ${c.excused + 1} excusé(s)`);
	const att2 = cliJson(p.home, ['attendance', 'list', '--meeting', mid]);
	assert(att2.find((a) => !a.guest && a.member === one.member).status === 'excused',
		'attendance list --json : la correction manque');
	assert(att2.length === att.length && att2.filter((a) => !a.guest && a.status === 'present').length === c.present - 1,
		'attendance list --json : une seule présence devait changer');

	/* The meeting's title corrected. */
	const title2 = `${p.meeting.title} (matin)`;
	await d.go(`a[href="/reunions/${mid}/modifier"]`);
	await d.check('reunion-modifier');
	await d.fill('#f-title', title2);
	await d.go('form.form button[type=submit]');
	await d.check('reunion-modifiee');
	await d.expectText(`titre « ${p.meeting.title} » → « ${title2} »`);
	assert(cliJson(p.home, ['meeting', 'list'])[0].title === title2, 'meeting list --json : titre non modifié');

	/* An opinion: too many votes first (the library's message, by the field). */
	await d.go(`a[href="/avis/nouveau?meeting=${mid}"]`);
	await d.check('avis-nouveau');
	assert(await d.page.$eval('#f-meeting', (e) => e.value) === mid, 'la réunion n\'est pas choisie');
	await d.fill('#f-subject', 'Projet territorial de santé mentale');
	await d.fill('#f-for', '99');
	await d.fill('#f-against', '0');
	await d.fill('#f-abstain', '3');
	await d.radio('outcome', 'favorable');
	await d.go('form.form button[type=submit]');
	await d.check('avis-refuse', 400);
	await d.expectText('membres présents');
	assert(await d.attr('#f-for', 'aria-invalid') === 'true', 'le champ « pour » n\'est pas marqué invalide');
	assert(await d.page.$eval('#f-subject', (e) => e.value) === 'Projet territorial de santé mentale', 'objet perdu');
	assert(cliJson(p.home, ['opinion', 'list']).length === 0, 'un avis refusé a été écrit');
	await d.fill('#f-for', '11'); /* 14 present after the correction */
	await d.go('form.form button[type=submit]');
	await d.check('reunion-avec-avis');
	await d.expectText('Avis enregistré.');
	const ops = cliJson(p.home, ['opinion', 'list']);
	assert(ops.length === 1 && ops[0].votes_for === 11 && ops[0].votes_abstain === 3 && ops[0].outcome === 'favorable',
		'avis absent de opinion list --json');

	/* The opinion withdrawn (entered by mistake), then restored. */
	const oid = ops[0].id;
	await d.go(`a[href="/avis/${oid}"]`);
	await d.check('avis-modifier');
	await d.go(`a[href="/avis/${oid}/retirer"]`);
	await d.check('avis-retirer');
	await d.go('form.form button[type=submit]');
	await d.check('avis-retire');
	await d.expectText('0 avis rendu(s), 1 retiré(s), par date de réunion');
	assert(cliJson(p.home, ['opinion', 'list'])[0].status === 'retire', 'opinion list --json : avis non retiré');
	await d.go(`a[href="/avis/${oid}"]`);
	await d.go(`a[href="/avis/${oid}/retablir"]`);
	await d.check('avis-retablir');
	await d.go('form.form button[type=submit]');
	await d.check('avis-retabli');
	assert(cliJson(p.home, ['opinion', 'list'])[0].status === 'rendu', 'opinion list --json : avis non rétabli');

	if (p.tour)
		await tour(d, p, mid);

	/* Synchroniser: the passphrase is asked (wrong, then right). */
	await d.go('header form[action="/synchroniser"] button');
	await d.check('phrase-de-passe');
	await d.fill('#f-passphrase', 'pas la bonne');
	await d.go('form.form button[type=submit]');
	await d.check('phrase-refusee', 400);
	await d.expectText('phrase de passe incorrecte');
	await d.fill('#f-passphrase', env.PASS);
	await d.go('form.form button[type=submit]');
	await d.waitFor('.outcome');
	await d.check('synchronisation');
	await d.expectText('Synchronisation réussie.');
	await d.expectText('Envoyé :');
	const st = cliJson(p.home, ['status']);
	assert(st.pending_ops === 0 && st.queued_push === false, 'status --json : travail non envoyé');
	const refs = require('child_process').execFileSync('git', ['--git-dir', env.REPO, 'for-each-ref', '--format=%(refname)'],
		{ encoding: 'utf8' });
	assert(refs.includes('refs/heads/nodes/' + p.node), 'branche du poste absente du dépôt régional');

	/* The dashboard, then Verrouiller. */
	await d.go('nav a[href="/"]');
	await d.check('tableau-de-bord-apres');
	await d.expectText('rien : tout est envoyé');
	assert(!(await d.text()).includes('réussie\njamais'), 'dernière synchronisation inconnue');
	await d.go('header form[action="/verrouiller"] button');
	await d.check('verrouille');
	await d.expectText('Phrase de passe oubliée');
	assert(!(await d.page.$('header form[action="/verrouiller"]')), 'toujours déverrouillé');
	await d.page.close();
	await lib.stopUi(ui);
	return d.visited.length;
}

/* The other pages of a territory: lists, a contribution, a member edited
 * then another removed, the territory's report. */
async function tour(d, p, mid) {
	await d.go('nav a[href="/avis"]');
	await d.check('avis');
	await d.expectText('Projet territorial de santé mentale');
	await d.go('nav a[href="/contributions"]');
	await d.check('contributions');
	await d.go('a[href="/contributions/nouvelle"]');
	await d.check('contribution-nouvelle');
	await d.choose('#f-theme', 'segur-pilier-1');
	await d.fill('#f-title', 'Attractivité des métiers');
	await d.fill('#f-text', 'Logements pour les internes et les soignants.');
	await d.choose('#f-meeting', mid);
	await d.go('form.form button[type=submit]');
	await d.check('contributions-apres-ajout');
	const cons = cliJson(p.home, ['contribution', 'list']);
	assert(cons.length === 1 && cons[0].theme === 'segur-pilier-1' && cons[0].meeting === mid, 'contribution list --json');

	await d.go('nav a[href="/membres"]');
	const m = cliJson(p.home, ['member', 'list']).find((x) => x.last_name === p.member.last);
	await d.go(`a[href="/membres/${m.id}"]`);
	await d.check('membre-modifier');
	await d.fill('#f-role', 'Président');
	await d.go('form.form button[type=submit]');
	await d.check('membres-apres-modification');
	assert(cliJson(p.home, ['member', 'list']).find((x) => x.id === m.id).role === 'Président', 'rôle non modifié');
	await d.go('a[href="/membres/nouveau"]');
	await d.fill('#f-last_name', 'DURAND');
	await d.fill('#f-first_name', 'Claire');
	await d.choose('#f-college', 'usagers');
	await d.go('form.form button[type=submit]');
	const durand = cliJson(p.home, ['member', 'list']).find((x) => x.last_name === 'DURAND');
	await d.go(`a[href="/membres/${durand.id}"]`);
	await d.go(`a[href="/membres/${durand.id}/retirer"]`);
	await d.check('membre-retirer');
	await d.go('form.form button[type=submit]');
	await d.check('membres-apres-retrait');
	await d.expectText('Claire DURAND a été retiré(e)');
	assert(!cliJson(p.home, ['member', 'list']).some((x) => x.last_name === 'DURAND'), 'membre toujours listé');
	await d.go('a[href="/membres/retires"]');
	await d.check('membres-retires');
	await d.expectText('DURAND');
	await d.go(`form[action="/membres/${durand.id}/retablir"] button`);
	await d.check('membres-apres-retablissement');
	assert(cliJson(p.home, ['member', 'list']).some((x) => x.id === durand.id), 'membre non rétabli');

	/* A second meeting of the same body on the same day: refused next to
	 * the date, added with "again", then cancelled and restored. */
	await d.go('nav a[href="/reunions"]');
	await d.go('a[href="/reunions/nouvelle"]');
	await d.choose('#f-body', p.meeting.body);
	await d.fillDate('#f-date', p.meeting.date);
	await d.fill('#f-title', 'Séance de l\'après-midi');
	await d.go('form.form button[type=submit]');
	await d.check('reunion-doublon', 409);
	assert(await d.attr('#f-date', 'aria-invalid') === 'true', 'la date n\'est pas marquée invalide');
	assert(!(await d.text()).includes('--again'), 'message de la ligne de commande dans la page');
	await d.check_box('#f-again');
	await d.go('form.form button[type=submit]');
	await d.check('reunion-ajoutee-quand-meme');
	const second = cliJson(p.home, ['meeting', 'list']).find((x) => x.id !== mid);
	assert(second && second.title === 'Séance de l\'après-midi', 'meeting list --json : seconde réunion absente');
	await d.go(`a[href="/reunions/${second.id}/annuler"]`);
	await d.check('reunion-annuler');
	await d.go('form.form button[type=submit]');
	await d.check('reunion-annulee');
	assert(cliJson(p.home, ['meeting', 'list']).find((x) => x.id === second.id).status === 'annulee', 'réunion non annulée');
	await d.go(`a[href="/reunions/${second.id}/retablir"]`);
	await d.check('reunion-retablir');
	await d.go('form.form button[type=submit]');
	await d.check('reunion-retablie');
	assert(cliJson(p.home, ['meeting', 'list']).find((x) => x.id === second.id).status === 'tenue', 'réunion non rétablie');

	/* A contribution withdrawn, then restored; its received date set. */
	const con = cliJson(p.home, ['contribution', 'list'])[0];
	await d.go('nav a[href="/contributions"]');
	await d.go(`a[href="/contributions/${con.id}"]`);
	await d.check('contribution-modifier');
	await d.fillDate('#f-date', '2020-06-20');
	await d.go('form.form button[type=submit]');
	await d.check('contributions-apres-modification');
	assert(cliJson(p.home, ['contribution', 'list'])[0].date === '2020-06-20', 'contribution list --json : date non notée');
	await d.go(`a[href="/contributions/${con.id}"]`);
	await d.go(`a[href="/contributions/${con.id}/retirer"]`);
	await d.check('contribution-retirer');
	await d.go('form.form button[type=submit]');
	assert(cliJson(p.home, ['contribution', 'list'])[0].status === 'retiree', 'contribution non retirée');
	await d.go(`a[href="/contributions/${con.id}"]`);
	await d.go(`a[href="/contributions/${con.id}/retablir"]`);
	await d.go('form.form button[type=submit]');
	await d.check('contributions-apres-retablissement');
	assert(cliJson(p.home, ['contribution', 'list'])[0].status === 'transmise', 'contribution non rétablie');

	await d.go('nav a[href="/rapports"]');
	await d.check('rapports-du-territoire');
	await d.expectText(`Chiffres clés 2020 — ${p.territory}`);
	await d.go('nav a[href="/reunions"]');
	await d.check('reunions-par-annee');
	await d.expectText(p.meeting.title);
}

/* A conflict between two devices of one territory, trenched in the page. */
async function conflict(browser) {
	const ui = await lib.startUi(CTS, env.DIEPPE);
	const d = new lib.Driver(browser, { mode: 'mouse', shots: env.SHOTS, prefix: 'conflit', widths: [1280, 1024] });
	const before = cliJson(env.DIEPPE, ['conflicts']);
	await d.open(ui.url);
	await d.check('tableau-de-bord');
	await d.go('a[href="/conflits"]');
	await d.check('conflits');
	await d.expectText('la structure du membre GESLIN Annie');
	await d.expectText(before[0].win_value);
	await d.expectText(before[0].lose_value);
	await d.expectText('écrite par le poste');
	await d.radio('keep', 'ecartee');
	await d.go('form[action^="/conflits/"] button');
	await d.check('conflits-apres');
	await d.expectText('Aucun conflit à trancher');
	assert(cliJson(env.DIEPPE, ['conflicts']).length === 0, 'conflit toujours ouvert');
	assert(cliJson(env.DIEPPE, ['member', 'list'])[0].organisation === before[0].lose_value, 'valeur choisie non appliquée');
	await d.page.close();
	await lib.stopUi(ui);
	return d.visited.length;
}

async function coordinator(browser, p) {
	const ui = await lib.startUi(CTS, env.REGION);
	const d = new lib.Driver(browser, { mode: p.mode, shots: env.SHOTS, prefix: `coordinateur-${p.mode}`, widths: p.widths });
	await d.open(ui.url);
	await d.check('tableau-de-bord');

	/* Enrol the territory's device by pasting its key. */
	const keyLine = cli(p.home, ['key', 'show']).trim();
	await d.go('nav a[href="/territoires"]');
	await d.check('territoires');
	await d.fill('#f-key', keyLine);
	await d.fill('#f-territory', p.territory);
	await d.go('form.form button[type=submit]');
	await d.check('territoires-apres-inscription');
	await d.expectText(`Poste ${p.node} inscrit pour le territoire ${p.territory}`);
	assert(cli(env.REGION, ['region', 'allowed-signers']).includes(p.node + ' '), 'poste absent du registre');

	/* Receive. */
	await d.go('nav a[href="/reception"]');
	await d.check('reception');
	await d.go('form[action="/reception"] button');
	await d.waitFor('.outcome');
	await d.check('reception-faite');
	await d.expectText('Réception réussie.');
	const rep = cliJson(env.REGION, ['report', '--year', '2020', '--territory', p.territory, '--format', 'json']);
	const t = rep.territories.find((x) => x.code === p.territory);
	/* One mark corrected (present → excused); the tour adds a second meeting. */
	const meetingsHeld = p.tour ? 2 : 1, present = p.counts.present - 1;
	assert(t && t.meetings === meetingsHeld && t.present === present, 'le rapport régional ne montre pas le territoire reçu');

	/* The report of the year for that territory. */
	await d.go('nav a[href="/rapports"]');
	await d.check('rapports');
	await d.fill('#f-year', '2020');
	await d.choose('#f-territory', p.territory);
	await d.go('form.row button[type=submit]');
	await d.check('rapport-territoire');
	const fig = await d.page.$$eval('dl.kpi dd', (dd) => dd.map((e) => e.textContent));
	assert(fig[0] === String(meetingsHeld) && fig[3] === String(present), 'chiffres clés différents du rapport : ' + fig.join(','));
	const json = await d.fetchLink('a[href*="format=json"]');
	assert(json.status === 200 && json.type.startsWith('application/json') && /attachment/.test(json.disposition),
		'téléchargement JSON');
	const cliText = cli(env.REGION, ['report', '--year', '2020', '--territory', p.territory, '--format', 'json']);
	assert(json.text === cliText, 'le JSON téléchargé diffère de celui de la ligne de commande');
	const csv = await d.fetchLink('a[href*="format=csv"]');
	assert(csv.status === 200 && csv.bytes[0] === 0xef && csv.bytes[1] === 0xbb, 'CSV sans BOM');
	for (const f of ['md', 'html']) {
		const x = await d.fetchLink(`a[href*="format=${f}"]`);
		assert(x.status === 200 && x.text.length > 100, 'téléchargement ' + f);
	}
	await d.go('a[href^="/rapports/voir"]');
	await d.check('rapport-complet');
	await d.expectText('Taux de présence par collège');
	await d.navigate(() => d.page.goBack());

	/* The audit of the regional repository. */
	await d.go('nav a[href="/audit"]');
	await d.check('audit');
	await d.go('form[action="/audit"] button');
	await d.waitFor('#h-result');
	await d.check('audit-fait');
	const audit = JSON.parse(require('child_process').execFileSync(CTS, ['--json', 'audit', env.REPO], { encoding: 'utf8' }));
	assert(audit.ok === true, 'ctsnode audit --json trouve des constats');
	await d.expectText('Aucun constat');
	await d.expectText(`${audit.changesets} changeset(s)`);
	await d.page.close();
	await lib.stopUi(ui);
	return d.visited.length;
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

(async () => {
	fs.mkdirSync(env.SHOTS, { recursive: true });
	const browser = await lib.launch();
	let pages = 0;
	try {
		for (const p of passes) {
			pages += await secretary(browser, p);
			console.log(`ok - parcours de la secrétaire (${p.mode === 'keyboard' ? 'clavier seul' : 'souris'}, ${p.territory}) ${elapsed()}`);
			pages += await coordinator(browser, p);
			console.log(`ok - parcours du coordinateur (${p.mode === 'keyboard' ? 'clavier seul' : 'souris'}, ${p.territory}) ${elapsed()}`);
		}
		pages += await conflict(browser);
		console.log(`ok - conflit tranché dans la page ${elapsed()}`);
	} finally {
		await lib.closeBrowser(browser);
	}
	console.log(`ok - ${pages} pages vérifiées par axe-core (0 violation A/AA), captures dans ${env.SHOTS}`);
})().catch((e) => {
	console.error('ÉCHEC : ' + (e && e.stack || e));
	process.exit(1);
});
