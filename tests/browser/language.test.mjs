// Browser test of the worker's language (issue 6): the header select starts at the profile's language (en),
// choosing Français saves it (PUT /api/v1/me/language), switches the page's texts at once and sets <html lang>;
// a reload keeps French, and GET /api/v1/me says fr. A worker whose profile says French sees the whole worker page in
// French (header, project list, task card, the message after a submit, earnings, tickets) with French dates and
// money, and none of a list of English texts. The login and contact pages speak French with ?lang=fr, remember a
// choice made with their switch, and follow the browser's language. The admin's email outbox panel says that SMTP
// is not configured.
//
// Run from the repo root: node --test tests/browser/language.test.mjs
// Needs build/fairlabel (or FAIRLABEL_BIN) and Debian's chromium. Screenshots go to test-artifacts/browser/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, runCli, signIn as signInPage, startServer } from '../lib/browser.mjs';

const WORKER = { email: `lang-worker-${process.pid}@example.org`, password: 'worker-pass-12345' };
const ADMIN = { email: `lang-admin-${process.pid}@example.org`, password: 'admin-pass-12345' };
const FR_WORKER = { email: `lang-fr-${process.pid}@example.org`, password: 'worker-pass-12345' };
const REQUESTER = { email: `lang-req-${process.pid}@example.org`, password: 'requester-pass-12345' };
const PROJECT = 'Sentiment des avis';
let tmp, server, browser;

async function api(method, path, { token, json, body, type, expect } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (type) headers['content-type'] = type;
  const r = await fetch(server.url + path, { method, headers, body: json === undefined ? body : JSON.stringify(json) });
  const text = await r.text();
  if (expect !== undefined) assert.equal(r.status, expect, `${method} ${path}: ${text.slice(0, 400)}`);
  return text ? JSON.parse(text) : null;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-lang-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const db = `sqlite:${join(tmp, 'fl.db')}`;
  runCli(tmp, ['migrate', '--db', db]);
  runCli(tmp, ['user', 'add', '--db', db, '--email', WORKER.email, '--role', 'worker', '--country', 'SN',
    '--name', 'Awa Diop', '--password', WORKER.password]);
  runCli(tmp, ['user', 'add', '--db', db, '--email', ADMIN.email, '--role', 'admin', '--country', 'SN',
    '--name', 'Admin', '--password', ADMIN.password]);
  runCli(tmp, ['user', 'add', '--db', db, '--email', FR_WORKER.email, '--role', 'worker', '--country', 'SN',
    '--name', 'Fatou Ndiaye', '--password', FR_WORKER.password]);
  runCli(tmp, ['user', 'add', '--db', db, '--email', REQUESTER.email, '--role', 'requester', '--country', 'FR',
    '--name', 'Req', '--password', REQUESTER.password]);
  runCli(tmp, ['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000', '--currency', 'USD',
    '--reference', 'lang-browser']);
  server = await startServer({ cwd: tmp, db, logFile: join(ARTIFACTS, 'language-server.log') });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

  // A published classification project with two tasks; the French worker's profile says fr.
  const req = await api('POST', '/api/v1/auth/login', { json: REQUESTER, expect: 200 });
  const p = await api('POST', '/api/v1/projects', { token: req.token, expect: 201, json: {
    name: PROJECT, instructions: 'Positif ou négatif ?', kind: 'text_classification', labels: ['positif', 'négatif'],
    reward_micros: 1_250_000, currency: 'USD', estimated_seconds: 60, overlap: 1 } });
  const tasks = ['Très bien', 'Pas terrible'].map((text) => JSON.stringify({ data: { text } })).join('\n') + '\n';
  await api('POST', `/api/v1/projects/${p.id}/tasks`, { token: req.token, body: tasks, type: 'application/x-ndjson', expect: 201 });
  await api('POST', `/api/v1/projects/${p.id}/publish`, { token: req.token, expect: 200 });
  const fr = await api('POST', '/api/v1/auth/login', { json: FR_WORKER, expect: 200 });
  await api('PUT', '/api/v1/me/language', { token: fr.token, json: { language: 'fr' }, expect: 200 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function signIn(who, home) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await signInPage(page, server.url, who);
  await page.waitForURL((u) => u.pathname === home);
  return { context, page, errors };
}

test('the worker switches the page and their notices to French', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await signIn(WORKER, '/worker');

  const select = page.locator('.topbar #language-select');
  await select.waitFor();
  assert.equal(await select.inputValue(), 'en');
  assert.equal(await page.locator('label[for="language-select"]').textContent(), 'Language');
  assert.equal(await page.locator('#projects-title').textContent(), 'Available projects');

  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/v1/me/language'),
    select.selectOption('fr'),
  ]);
  assert.equal(resp.status(), 200);
  await page.locator('#projects-title', { hasText: 'Projets disponibles' }).waitFor();
  assert.equal(await page.locator('label[for="language-select"]').textContent(), 'Langue');
  assert.equal(await page.locator('#logout').textContent(), 'Se déconnecter');
  assert.equal(await page.locator('#notifications-title').textContent(), 'Notifications');
  assert.match(await page.locator('#language-status').textContent(), /français/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  await page.screenshot({ path: join(ARTIFACTS, 'language-fr.png') });

  await page.reload();
  await page.locator('#projects-title', { hasText: 'Projets disponibles' }).waitFor();
  assert.equal(await page.locator('#language-select').inputValue(), 'fr');
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
  assert.equal(me.language, 'fr');
  assert.deepEqual(errors, []);
  await context.close();
});

// English texts of the worker page that must not remain once it speaks French (whole words, case-sensitive).
const ENGLISH = ['Skip to content', 'Done', 'Unread', 'Sign out', 'Language', 'Available projects', 'Refresh', 'Start',
  'Reward', 'Estimated time', 'Hourly at estimate', 'Measured time', 'My quality', 'Per project', 'Gold mistakes',
  'Qualification tests', 'Skills', 'Earnings', 'When', 'Gross', 'Fees', 'Pending', 'Available', 'Submitted (pending)',
  'Withdraw your money', 'Where to pay you', 'Payout method', 'Bank transfer', 'Save payout method', 'Ask for a payout',
  'Currency', 'Amount', 'All available', 'Withdraw', 'No payouts yet', 'Decisions on my work', 'Announcements',
  'No announcements yet', 'Help and tickets', 'Open a ticket', 'Subject', 'Attachments', 'Send answer', 'Mark resolved',
  'Open', 'Waiting for you', 'A person answers by', 'Nothing new', 'Instructions'];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a worker whose language is French sees the worker page in French', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await signIn(FR_WORKER, '/worker');
  await page.locator('#projects-title', { hasText: 'Projets disponibles' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  assert.equal(await page.title(), 'Travail · fairlabel');
  // header
  assert.equal(await page.locator('#logout').textContent(), 'Se déconnecter');
  assert.equal(await page.locator('label[for="language-select"]').textContent(), 'Langue');
  assert.equal(await page.locator('#language-select').inputValue(), 'fr');
  assert.equal(await page.locator('#done-count').evaluate((n) => n.previousElementSibling.textContent), 'Envoyées');
  assert.equal(await page.locator('.skip-link').textContent(), 'Aller au contenu');
  assert.equal(await page.locator('#user-name').textContent(), 'Fatou Ndiaye · travailleur');
  // project list and task card: French money (decimal comma, the currency code kept)
  const row = page.locator('#project-list .project-row', { hasText: PROJECT });
  await row.waitFor();
  assert.equal(await row.locator('button[data-action="start"]').textContent(), 'Commencer');
  assert.equal(await row.locator('button[data-action="start"]').getAttribute('aria-label'), `Commencer ${PROJECT}`);
  assert.equal(await row.locator('[data-role="reward"] dt').textContent(), 'Rémunération');
  assert.equal(await row.locator('[data-role="reward"] dd').textContent(), '1,25\u00a0USD');
  assert.equal(await row.locator('[data-role="hourly"] dd').textContent(), '75,00\u00a0USD/h');
  assert.match(await row.locator('[data-role="median"] dd').textContent(), /^affiché dès que 10 réponses sont chronométrées \(0 pour le moment\)$/);
  await page.screenshot({ path: join(ARTIFACTS, 'language-fr-worker.png'), fullPage: true });

  // the task flow: buttons, timers and the message after a submit
  await row.locator('button[data-action="start"]').click();
  await page.locator('#task-panel:not([hidden])').waitFor();
  assert.equal(await page.locator('#back').textContent(), '← Tous les projets');
  assert.equal(await page.locator('#instructions-box summary').textContent(), 'Consignes');
  assert.equal(await page.locator('#skip').textContent(), 'Passer');
  assert.equal(await page.locator('#submit').textContent(), 'Envoyer Entrée');
  assert.match(await page.locator('#task-timer').textContent(), /^Temps sur la tâche \d+:\d\d \(estimation 1:00\)$/);
  assert.match(await page.locator('#lease-timer').textContent(), /^Réservée pour vous : \d+:\d\d$/);
  assert.match(await page.locator('#work-reward').textContent(), /^1,25\u00a0USD par tâche · ~1 min · 75,00\u00a0USD\/h$/);
  assert.equal(await page.locator('#labels').getAttribute('aria-label'), 'Choisissez une étiquette (touches 1–9)');
  assert.equal(await page.locator('[data-testid="shortcut-help"] summary').textContent(), 'Raccourcis clavier ?');
  await page.keyboard.press('1');
  const [submitted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && /\/submit$/.test(new URL(r.url()).pathname)),
    page.click('#submit'),
  ]);
  assert.equal(submitted.status(), 200);
  await page.locator('#work-status[data-kind="success"]', { hasText: 'Enregistré.' }).waitFor();
  assert.equal(await page.locator('#done-count').textContent(), '1');
  await page.screenshot({ path: join(ARTIFACTS, 'language-fr-task.png') });
  await page.click('#back');
  await page.locator('#projects-view:not([hidden])').waitFor();

  // earnings: French labels, money and dates
  await page.locator('#refresh-earnings', { hasText: 'Actualiser' }).click();
  const line = page.locator('#earnings-body tr[data-cause="submission"]');
  await line.waitFor();
  const cells = await line.locator('td').allTextContents();
  assert.equal(cells[1], 'Envoyée (en attente)');
  assert.equal(cells[1 + 2], '1,25\u00a0USD', 'gross');
  assert.match(cells[0], /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/, `a French date and time: ${cells[0]}`);
  assert.equal(await page.locator('#earnings-title').textContent(), 'Gains');
  assert.equal(await page.locator('#earnings-balances dt').first().textContent(), 'USD en attente');
  assert.equal(await page.locator('[data-balance="USD-pending"]').textContent(), '1,25\u00a0USD');
  assert.equal(await page.locator('#payouts-title').textContent(), 'Retirer votre argent');
  assert.equal(await page.locator('#payout-available').textContent(), 'Rien n\'est encore disponible.');
  assert.equal(await page.locator('#payout-method-current').textContent(), 'Pas encore de moyen de versement : ajoutez-en un pour retirer de l\'argent.');

  // tickets: open one from the page
  assert.equal(await page.locator('#tickets-title').textContent(), 'Aide et demandes');
  await page.locator('.ticket-new summary', { hasText: 'Ouvrir une demande' }).click();
  await page.selectOption('#ticket-category', 'pay');
  assert.equal(await page.locator('#ticket-category option[value="pay"]').textContent(), 'Paie ou versements');
  await page.fill('#ticket-subject', 'Question sur ma paie');
  await page.fill('#ticket-message', 'Quand ma réponse sera-t-elle approuvée ?');
  await page.locator('#ticket-submit', { hasText: 'Ouvrir la demande' }).click();
  await page.locator('#tickets-status[data-kind="success"]', { hasText: /^Demande \d+ ouverte\. Une personne répond sous 72 heures\.$/ }).waitFor();
  await page.locator('#ticket-view-title', { hasText: /^Demande \d+ : Question sur ma paie$/ }).waitFor();
  assert.match(await page.locator('#ticket-meta').textContent(), /^Paie ou versements · Ouverte · Une personne répond d'ici le \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} \(encore 2 j 23 h\)$/);
  assert.equal(await page.locator('#ticket-thread .ticket-msg-head strong').first().textContent(), 'Vous');
  assert.equal(await page.locator('#ticket-resolve').textContent(), 'Marquer comme résolue');
  assert.equal(await page.locator('#announcements-status').textContent(), 'Aucune annonce pour le moment.');

  // no English left (the due-process section is drawn by decisions.js, not yet translated)
  const text = await page.evaluate(() => {
    const skipped = [document.getElementById('due-process'), document.getElementById('language-select')];
    for (const n of skipped) n.hidden = true;
    const shown = document.body.innerText; // what is rendered: hidden parts are left out
    for (const n of skipped) n.hidden = false;
    return shown;
  });
  const left = ENGLISH.filter((s) => new RegExp(`(^|[^\\p{L}])${escape(s)}($|[^\\p{L}])`, 'u').test(text));
  assert.deepEqual(left, [], 'English texts left on the French worker page');
  await page.screenshot({ path: join(ARTIFACTS, 'language-fr-worker-after.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the login and contact pages speak French with ?lang=fr, remember the switch, and follow the browser', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto(`${server.url}/login?lang=fr`);
  await page.locator('#login-title', { hasText: 'Connexion' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  assert.equal(await page.title(), 'Connexion · fairlabel');
  assert.equal(await page.locator('label[for="password"]').textContent(), 'Mot de passe');
  assert.equal(await page.locator('#register-link').textContent(), 'Créer un compte de travailleur');
  assert.equal(await page.locator('.language-switch a[aria-current="true"]').textContent(), 'Français');
  await page.locator('#login-submit', { hasText: 'Se connecter' }).click();
  assert.equal(await page.locator('#email-error').textContent(), 'Saisissez votre adresse e-mail.');
  await page.fill('#email', 'nobody@example.org');
  await page.fill('#password', 'not-the-password');
  await page.click('#login-submit');
  await page.locator('#login-status[data-kind="error"]', { hasText: 'E-mail ou mot de passe incorrect.' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'language-fr-login.png') });

  // the switch: English, remembered without ?lang=
  await Promise.all([page.waitForURL((u) => u.searchParams.get('lang') === 'en'), page.click('.language-switch a[data-lang="en"]')]);
  await page.locator('#login-title', { hasText: 'Sign in' }).waitFor();
  await page.goto(`${server.url}/contact`);
  await page.locator('#contact-title', { hasText: 'Contact a person' }).waitFor();
  await Promise.all([page.waitForURL((u) => u.searchParams.get('lang') === 'fr'), page.click('.language-switch a[data-lang="fr"]')]);
  await page.goto(`${server.url}/contact`);
  await page.locator('#contact-title', { hasText: 'Contacter une personne' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('fairlabel.language')), 'fr');
  assert.equal(await page.locator('label[for="contact-email"]').textContent(), 'Votre e-mail');
  assert.equal(await page.locator('#contact-category option[value="pay"]').textContent(), 'Paie ou versements');
  await page.fill('#contact-subject', 'Compte bloqué');
  await page.fill('#contact-message', 'Je ne peux plus me connecter.');
  await page.locator('#contact-submit', { hasText: 'Envoyer' }).click();
  await page.locator('#contact-status[data-kind="error"]',
    { hasText: 'Indiquez votre e-mail pour que nous puissions vous répondre. Seul un signalement de sécurité peut être envoyé sans.' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'language-fr-contact.png') });
  await context.close();

  // no ?lang= and nothing remembered: the browser's languages decide
  const frBrowser = await browser.newContext({ locale: 'fr-FR' });
  const p2 = await frBrowser.newPage();
  p2.on('pageerror', (err) => errors.push(err.message));
  await p2.goto(`${server.url}/register`);
  await p2.locator('#register-title', { hasText: 'Créer un compte de travailleur' }).waitFor();
  assert.equal(await p2.locator('#country option[value="SN"]').textContent(), 'Sénégal (SN)');
  await p2.goto(`${server.url}/regions`);
  await p2.locator('#regions-title', { hasText: 'Où fairlabel travaille' }).waitFor();
  await p2.goto(`${server.url}/transparency`);
  await p2.locator('#transparency-title', { hasText: 'Toutes les règles automatiques qui touchent les travailleurs' }).waitFor();
  await p2.locator('#rules article.rule dt', { hasText: 'Seuils' }).first().waitFor();
  await frBrowser.close();
  assert.deepEqual(errors, []);
});

test('the admin outbox panel says that SMTP is not configured', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await signIn(ADMIN, '/requester');
  await page.goto(`${server.url}/admin#mail-panel`);
  await page.locator('#mail-smtp', { hasText: 'FAIRLABEL_SMTP_URL is not set' }).waitFor();
  assert.equal(await page.locator('#mail-totals').textContent(), '0 queued · 0 sent · 0 failed');
  assert.equal(await page.locator('#mail-empty').isVisible(), true);
  await page.locator('#mail-state').selectOption('failed');
  await page.locator('#mail-panel a, #admin-nav a[href="#mail-panel"]').first().waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
