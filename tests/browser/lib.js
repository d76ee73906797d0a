/*
 * Browser test helpers for `ctsnode ui`: Debian's Chromium driven by
 * puppeteer-core, every page checked by axe-core (WCAG 2.1 A and AA: zero
 * violations), for Content-Security-Policy errors, for its language, title
 * and heading, and photographed. A Driver does the same steps either with
 * the mouse or with the keyboard alone (Tab, Shift+Tab, Enter, Space,
 * arrows), checking in the latter that the focus is visible on every
 * control it reaches.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const puppeteer = require('puppeteer-core');

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/* Every `ctsnode ui` started here is stopped when the test ends, even on
 * a failure. */
const running = new Set();
process.on('exit', () => {
	for (const p of running) {
		try {
			p.kill('SIGKILL');
		} catch (e) { /* already gone */ }
	}
});

function fail(msg) {
	throw new Error(msg);
}

function assert(cond, msg) {
	if (!cond)
		fail(msg);
}

async function launch() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cts-chrome-'));
	const browser = await puppeteer.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		userDataDir: dir,
		/* French as a secretary's browser: date fields show jj/mm/aaaa. */
		args: ['--no-sandbox', '--lang=fr-FR', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
		env: { ...process.env, LANGUAGE: 'fr_FR', LANG: 'fr_FR.UTF-8' },
	});
	browser.ctsDir = dir;
	return browser;
}

async function closeBrowser(browser) {
	await browser.close();
	fs.rmSync(browser.ctsDir, { recursive: true, force: true });
}

/* `ctsnode --home HOME ui --no-browser`: resolves once it printed its
 * address (the first line of its output). */
function startUi(ctsnode, home, env) {
	return new Promise((resolve, reject) => {
		const proc = spawn(ctsnode, ['--home', home, 'ui', '--no-browser'], {
			env: Object.assign({}, process.env, env || {}),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '', err = '', done = false;
		running.add(proc);
		proc.on('exit', () => running.delete(proc));
		proc.stdout.on('data', (d) => {
			out += d;
			const nl = out.indexOf('\n');
			if (nl >= 0 && !done) {
				done = true;
				const url = out.slice(0, nl);
				if (!/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/.test(url))
					return reject(new Error('première ligne inattendue : ' + url));
				resolve({ url, base: url.replace(/\/\?token=.*$/, ''), proc, stderr: () => err });
			}
		});
		proc.stderr.on('data', (d) => { err += d; });
		proc.on('exit', (code) => {
			if (!done)
				reject(new Error('ctsnode ui s\'est arrêté (' + code + ') : ' + err));
		});
	});
}

/* Ctrl-C: the interface must stop cleanly (status 0; under ASan, no leak). */
async function stopUi(ui) {
	const status = await new Promise((resolve) => {
		ui.proc.on('exit', (code, sig) => resolve(code === null ? sig : code));
		ui.proc.kill('SIGINT');
	});
	assert(status === 0, 'ctsnode ui s\'est arrêté avec ' + status + ' : ' + ui.stderr());
}

function cli(ctsnode, home, args) {
	return execFileSync(ctsnode, ['--home', home].concat(args), { encoding: 'utf8' });
}

function cliJson(ctsnode, home, args) {
	return JSON.parse(cli(ctsnode, home, ['--json'].concat(args)));
}

class Driver {
	/* opts: mode 'mouse' | 'keyboard', shots (folder), prefix, widths */
	constructor(browser, opts) {
		this.browser = browser;
		this.mode = opts.mode;
		this.shots = opts.shots;
		this.prefix = opts.prefix;
		this.widths = opts.widths || [1280];
		this.count = 0;
		this.status = 0;
		this.problems = [];
		this.visited = [];
	}

	async open(url) {
		const page = await this.browser.newPage();
		this.page = page;
		await page.setViewport({ width: 1280, height: 800 });
		page.on('console', (m) => {
			const t = m.text();
			if (/Content Security Policy|Refused to/.test(t))
				this.problems.push('console : ' + t);
		});
		page.on('pageerror', (e) => this.problems.push('erreur de script : ' + e.message));
		page.on('response', (r) => {
			if (r.request().isNavigationRequest() && r.frame() === page.mainFrame())
				this.status = r.status();
		});
		/* The first address is typed, as a person pastes it. */
		await page.goto(url, { waitUntil: 'load' });
	}

	/* Checks of every page: status, language, title, one h1, no CSP error,
	 * axe (WCAG 2.1 A/AA) without violation; then the screenshots. */
	async check(name, wantStatus) {
		const page = this.page;
		const want = wantStatus || 200;
		if (this.status !== want) {
			const body = (await this.text()).slice(0, 600);
			fail(`${name} : statut HTTP ${this.status} au lieu de ${want} (${page.url()}) :\n${body}`);
		}
		const info = await page.evaluate(() => ({
			lang: document.documentElement.lang,
			title: document.title,
			h1: document.querySelectorAll('h1').length,
		}));
		assert(info.lang === 'fr', `${name} : langue « ${info.lang} »`);
		assert(info.title.length > 0, `${name} : pas de titre`);
		assert(info.h1 === 1, `${name} : ${info.h1} titres h1`);
		await page.evaluate(axeSource); /* DevTools evaluation: not subject to the page's CSP */
		const res = await page.evaluate(() => window.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
		}));
		if (res.violations.length) {
			const what = res.violations.map((v) => `${v.id} (${v.impact}) : ${v.help} — ` +
				v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')).join('\n  ');
			fail(`${name} : axe-core trouve ${res.violations.length} violation(s) :\n  ${what}`);
		}
		if (this.problems.length)
			fail(`${name} : ${this.problems.join(' ; ')}`);
		this.count++;
		const n = String(this.count).padStart(2, '0');
		for (const w of this.widths) {
			await page.setViewport({ width: w, height: w >= 1280 ? 800 : 768 });
			await page.screenshot({ path: path.join(this.shots, `${this.prefix}-${n}-${name}-${w}.png`), fullPage: true });
		}
		await page.setViewport({ width: 1280, height: 800 });
		this.visited.push(name);
	}

	async text() {
		return this.page.evaluate(() => document.body.innerText);
	}

	async expectText(s, name) {
		const t = await this.text();
		assert(t.includes(s), `${name || this.page.url()} : « ${s} » absent de la page`);
	}

	async handle(selector) {
		const h = await this.page.$(selector);
		assert(h, 'élément introuvable : ' + selector);
		return h;
	}

	/* Keyboard: Tab (or Shift+Tab) until `h` has the focus, and check
	 * that the focus is visible there. */
	async tabTo(h, what) {
		const page = this.page;
		for (let i = 0; i < 400; i++) {
			await page.keyboard.press('Tab');
			const at = await page.evaluate((el) => document.activeElement === el ||
				(el.type === 'radio' && document.activeElement.name === el.name), h);
			if (at) {
				const visible = await page.evaluate(() => {
					const s = getComputedStyle(document.activeElement);
					return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
				});
				assert(visible, 'focus invisible sur ' + what);
				return;
			}
		}
		fail('inaccessible au clavier (Tab) : ' + what);
	}

	async navigate(action) {
		const [resp] = await Promise.all([this.page.waitForNavigation({ waitUntil: 'load' }), action()]);
		if (resp)
			this.status = resp.status();
	}

	/* Follow a link or press a button that leads to another page. */
	async go(selector) {
		const h = await this.handle(selector);
		if (this.mode === 'keyboard') {
			await this.tabTo(h, selector);
			await this.navigate(() => this.page.keyboard.press('Enter'));
		} else {
			await this.navigate(() => h.click());
		}
	}

	async fill(selector, value) {
		const h = await this.handle(selector);
		if (this.mode === 'keyboard')
			await this.tabTo(h, selector);
		else
			await h.click();
		/* Empty the field first (select all, delete), as a person would. */
		await this.page.keyboard.down('Control');
		await this.page.keyboard.press('KeyA');
		await this.page.keyboard.up('Control');
		await this.page.keyboard.press('Backspace');
		await this.page.keyboard.type(value);
		const got = await this.page.evaluate((el) => el.value, h);
		assert(got === value, `${selector} : « ${got} » au lieu de « ${value} »`);
	}

	/* A date field: digits typed in the order the browser's locale shows. */
	async fillDate(selector, iso) {
		const h = await this.handle(selector);
		if (this.mode === 'keyboard')
			await this.tabTo(h, selector);
		else
			await h.click({ offset: { x: 8, y: 8 } }); /* the first segment */
		const order = await this.page.evaluate(() => new Intl.DateTimeFormat(navigator.language)
			.formatToParts(new Date(2020, 5, 17)).filter((p) => ['day', 'month', 'year'].includes(p.type))
			.map((p) => p.type));
		const [y, m, d] = iso.split('-');
		const parts = { day: d, month: m, year: y };
		await this.page.keyboard.type(order.map((t) => parts[t]).join(''));
		const got = await this.page.evaluate((el) => el.value, h);
		assert(got === iso, `${selector} : « ${got} » au lieu de « ${iso} »`);
	}

	async choose(selector, value) {
		const h = await this.handle(selector);
		if (this.mode === 'keyboard') {
			await this.tabTo(h, selector);
			const values = await this.page.evaluate((el) => Array.from(el.options).map((o) => o.value), h);
			const want = values.indexOf(value);
			assert(want >= 0, `${selector} : pas d'option ${value}`);
			for (let i = 0; i < values.length + 1; i++) {
				const cur = values.indexOf(await this.page.evaluate((el) => el.value, h));
				if (cur === want)
					break;
				await this.page.keyboard.press(cur < want ? 'ArrowDown' : 'ArrowUp');
			}
		} else {
			await this.page.select(selector, value);
		}
		const got = await this.page.evaluate((el) => el.value, h);
		assert(got === value, `${selector} : option « ${got} » au lieu de « ${value} »`);
	}

	async radio(name, value) {
		const sel = `input[type=radio][name="${name}"][value="${value}"]`;
		const h = await this.handle(sel);
		if (this.mode === 'keyboard') {
			const first = await this.handle(`input[type=radio][name="${name}"]`);
			await this.tabTo(first, name);
			for (let i = 0; i < 10; i++) {
				const at = await this.page.evaluate(() => document.activeElement.value);
				if (at === value) {
					await this.page.keyboard.press('Space');
					break;
				}
				await this.page.keyboard.press('ArrowDown');
			}
		} else {
			await h.click();
		}
		assert(await this.page.evaluate((el) => el.checked, h), `${sel} : pas coché`);
	}

	async check_box(selector) {
		const h = await this.handle(selector);
		if (this.mode === 'keyboard') {
			await this.tabTo(h, selector);
			await this.page.keyboard.press('Space');
		} else {
			await h.click();
		}
		assert(await this.page.evaluate((el) => el.checked, h), `${selector} : pas cochée`);
	}

	/* A file field: reached like any field, the file given as the system
	 * dialog would (a dialog cannot be driven inside the page). */
	async upload(selector, file) {
		const h = await this.handle(selector);
		if (this.mode === 'keyboard')
			await this.tabTo(h, selector);
		await h.uploadFile(file);
	}

	/* Wait until a background job's page shows its outcome (the page
	 * reloads itself when the job ends). */
	async waitFor(selector, timeout) {
		await this.page.waitForSelector(selector, { timeout: timeout || 120000 });
		this.status = 200;
	}

	async focusedId() {
		return this.page.evaluate(() => document.activeElement && document.activeElement.id);
	}

	async attr(selector, name) {
		return this.page.$eval(selector, (el, n) => el.getAttribute(n), name);
	}

	/* A download link: fetched by the page itself (same session). */
	async fetchLink(selector) {
		const href = await this.attr(selector, 'href');
		return this.page.evaluate(async (u) => {
			const r = await fetch(u, { credentials: 'same-origin' });
			const b = new Uint8Array(await r.arrayBuffer());
			return {
				status: r.status, type: r.headers.get('content-type'),
				disposition: r.headers.get('content-disposition'),
				bytes: Array.from(b.slice(0, 3)), text: new TextDecoder().decode(b),
			};
		}, href);
	}
}

module.exports = { launch, closeBrowser, startUi, stopUi, cli, cliJson, Driver, fail, assert };
