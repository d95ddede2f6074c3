// Browser test of the worker's language (issue 6): the header select starts at the profile's language (en),
// choosing Français saves it (PUT /api/v1/me/language), switches the page's texts at once and sets <html lang>;
// a reload keeps French, and GET /api/v1/me says fr. The admin's email outbox panel says that SMTP is not configured.
//
// Run from the repo root: node --test tests/browser/language.test.mjs
// Needs build/fairlabel (or FAIRLABEL_BIN) and Debian's chromium. Screenshots go to test-artifacts/browser/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, runCli, startServer } from '../lib/browser.mjs';

const WORKER = { email: `lang-worker-${process.pid}@example.org`, password: 'worker-pass-12345' };
const ADMIN = { email: `lang-admin-${process.pid}@example.org`, password: 'admin-pass-12345' };
let tmp, server, browser;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-lang-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const db = `sqlite:${join(tmp, 'fl.db')}`;
  runCli(tmp, ['migrate', '--db', db]);
  runCli(tmp, ['user', 'add', '--db', db, '--email', WORKER.email, '--role', 'worker', '--country', 'SN',
    '--name', 'Awa Diop', '--password', WORKER.password]);
  runCli(tmp, ['user', 'add', '--db', db, '--email', ADMIN.email, '--role', 'admin', '--country', 'SN',
    '--name', 'Admin', '--password', ADMIN.password]);
  server = await startServer({ cwd: tmp, db, logFile: join(ARTIFACTS, 'language-server.log') });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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
  await page.goto(`${server.url}/login`);
  await page.locator('#email').fill(who.email);
  await page.locator('#password').fill(who.password);
  await page.click('#login-submit');
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
