// Browser test of pay (FW-9): the worker's Earnings section shows pending and available money and each line's
// gross, fees and net; the worker sets a payout method (a wrong IBAN is named under its field), withdraws, sees the
// payout listed, and later the failure reason when it fails; the admin's payouts panel makes a batch of a payout.
//
// Run from the repo root: node --test tests/browser/pay.test.mjs (needs FAIRLABEL_BIN or build/fairlabel and
// Debian's chromium). Screenshots and the server log go to test-artifacts/browser/.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, BIN, CHROMIUM, CHROMIUM_ARGS, isApi, runCli, signIn as signInPage, startServer, stepper } from '../lib/browser.mjs';

const STEP_TIMEOUT = 15_000;
const REQUESTER = { email: 'pay-req@example.org', password: 'requester-pass-1', name: 'Req' };
const WORKER = { email: 'pay-worker@example.org', password: 'worker-pass-12345', name: 'Amina Wanjiru' };
const ADMIN = { email: 'pay-admin@example.org', password: 'admin-pass-12345', name: 'Admin' };

let tmp, server, baseURL, browser;
const tokens = {};
const { step, state } = stepper(60_000);

async function api(method, path, { token, json, expect } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(baseURL + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (expect !== undefined) assert.equal(r.status, expect, `${method} ${path}: ${text.slice(0, 400)}`);
  return data;
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `pay-${name}.png`), fullPage: true });

async function signIn(who, home) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await signInPage(page, baseURL, who);
  await page.waitForURL((u) => u.pathname === home);
  return { context, page, errors };
}

describe('pay in the browser: earnings lines, a payout method, a withdrawal, the admin panel', { timeout: 240_000 }, () => {
  let worker, admin;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN}`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}`);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-pay-'));
    const db = `sqlite:${join(tmp, 't.db')}`;
    for (const [who, role] of [[REQUESTER, 'requester'], [WORKER, 'worker'], [ADMIN, 'admin']]) {
      runCli(tmp, ['user', 'add', '--db', db, '--email', who.email, '--role', role, '--country', 'KE', '--name', who.name,
        '--password', who.password]);
    }
    runCli(tmp, ['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000', '--currency', 'USD',
      '--reference', 'pay-browser']);
    process.env.FAIRLABEL_WORKER_FEE_BPS = '250'; // a 2.5% worker fee, so the lines show a fee
    [server, browser] = await Promise.all([
      startServer({ cwd: tmp, db, logFile: join(ARTIFACTS, 'pay-server.log') }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
    ]);
    delete process.env.FAIRLABEL_WORKER_FEE_BPS;
    baseURL = server.url;
    for (const [k, who] of [['requester', REQUESTER], ['worker', WORKER], ['admin', ADMIN]]) {
      const d = await api('POST', '/api/v1/auth/login', { json: { email: who.email, password: who.password }, expect: 200 });
      tokens[k] = d.token;
      who.id = d.user.id;
    }
    // Two answers: one accepted (available), one waiting (pending); a 9 USD bonus on top.
    const p = await api('POST', '/api/v1/projects', { token: tokens.requester, expect: 201, json: {
      name: 'Pay page', instructions: 'Pick one.', kind: 'text_classification', labels: ['a', 'b'], reward_micros: 1_000_000,
      currency: 'USD', estimated_seconds: 60, overlap: 1 } });
    const tasks = ['one', 'two', 'three'].map((t) => JSON.stringify({ data: { text: t } })).join('\n') + '\n';
    const imp = await fetch(`${baseURL}/api/v1/projects/${p.id}/tasks`, {
      method: 'POST', headers: { authorization: `Bearer ${tokens.requester}`, 'content-type': 'application/x-ndjson' }, body: tasks });
    assert.equal(imp.status, 201, await imp.text());
    await api('POST', `/api/v1/projects/${p.id}/publish`, { token: tokens.requester, expect: 200 });
    const answered = [];
    for (let i = 0; i < 2; i++) {
      const c = await api('POST', `/api/v1/projects/${p.id}/claim`, { token: tokens.worker, expect: 200 });
      await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: tokens.worker, expect: 200,
        json: { lease_token: c.lease_token, answer: { label: 'a' } } });
      answered.push(c.assignment_id);
    }
    await api('POST', `/api/v1/assignments/${answered[0]}/review`, { token: tokens.requester, expect: 200, json: { decision: 'accept' } });
    await api('POST', `/api/v1/projects/${p.id}/bonuses`, { token: tokens.requester, expect: 201,
      json: { worker_id: WORKER.id, amount_micros: 9_000_000, message: 'Thanks for the care', reference: 'b1' } });
  });

  after(async () => {
    if (state.failed) {
      for (const [s, n] of [[worker, 'failure-worker'], [admin, 'failure-admin']]) {
        try { if (s && !s.page.isClosed()) await shot(s.page, n); } catch { /* best effort */ }
      }
    }
    if (browser) await browser.close().catch(() => {});
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  step('the worker sees pending and available money, and gross, fees and net on each line', async () => {
    worker = await signIn(WORKER, '/worker');
    const page = worker.page;
    // 1.00 pending; available: 1.00 − 2.5% = 0.975, and the 9.00 bonus − 2.5% = 8.775
    await page.locator('[data-balance="USD-pending"]').filter({ hasText: '$1.00' }).waitFor();
    assert.equal((await page.locator('[data-balance="USD-available"]').textContent()).trim(), '$9.75');
    const cells = async (cause) => (await page.locator(`#earnings-body tr[data-cause="${cause}"]`).first().locator('td').allTextContents()).slice(3, 6);
    assert.deepEqual(await cells('approval'), ['$1.00', '$0.025', '$0.975'], 'gross, fees, net of the approved answer');
    assert.deepEqual(await cells('bonus'), ['$9.00', '$0.225', '$8.775']);
    assert.deepEqual(await cells('submission'), ['$1.00', '$0.00', '$1.00']);
    await shot(page, 'earnings');
  });

  step('the worker sets a payout method; a wrong IBAN is named under its field', async () => {
    const page = worker.page;
    await page.locator('#payout-method-current').filter({ hasText: 'No payout method yet' }).waitFor();
    await page.selectOption('#payout-rail', 'bank_transfer');
    await page.fill('#payout-holder', 'Amina Wanjiru');
    await page.fill('#payout-iban', 'DE89 3704 0044 0532 0130 01');
    await Promise.all([page.waitForResponse(isApi('PUT', /^\/api\/v1\/me\/payout-method$/)), page.click('#payout-method-save')]);
    await page.locator('#payout-iban-error').filter({ hasText: 'not a valid IBAN' }).waitFor();
    assert.equal(await page.getAttribute('#payout-iban', 'aria-invalid'), 'true');
    await page.fill('#payout-iban', 'DE89 3704 0044 0532 0130 00');
    await Promise.all([page.waitForResponse(isApi('PUT', /^\/api\/v1\/me\/payout-method$/)), page.click('#payout-method-save')]);
    await page.locator('#payout-method-status[data-kind="success"]').waitFor();
    await page.locator('#payout-method-current').filter({ hasText: 'Amina Wanjiru, DE89370400440532013000' }).waitFor();
    assert.equal(await page.locator('#payout-iban-error').count(), 0);
  });

  step('the worker withdraws 6.00 and sees it listed; the minimum and the balance are shown', async () => {
    const page = worker.page;
    assert.equal((await page.textContent('#payout-available')).trim(), 'Available: $9.75.');
    assert.equal((await page.textContent('#payout-minimum')).trim(), 'Minimum: $5.00.');
    await page.fill('#payout-amount', '4.99');
    await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/me\/payouts$/)), page.click('#payout-submit')]);
    await page.locator('#payout-amount-error').filter({ hasText: 'payout minimum' }).waitFor();
    await page.fill('#payout-amount', '6.00');
    const [resp] = await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/me\/payouts$/)), page.click('#payout-submit')]);
    assert.equal(resp.status(), 201);
    const row = page.locator('#payouts-body tr[data-state="requested"]');
    await row.waitFor();
    assert.match(await row.textContent(), /FLP\d+.*\$6\.00.*DE89370400440532013000.*Requested/);
    await page.locator('[data-balance="USD-available"]').filter({ hasText: '$3.75' }).waitFor();
    assert.equal((await page.textContent('#payout-available')).trim(), 'Available: $3.75.');
    await shot(page, 'withdrawal');
  });

  step('the admin panel makes a batch of it; a failure shows its reason to the worker', async () => {
    admin = await signIn(ADMIN, '/requester');
    const page = admin.page;
    await page.goto(`${baseURL}/admin#payouts-panel`);
    await page.locator('#payouts-panel[data-ready="true"]').waitFor();
    await page.locator('#open-payouts-body tr[data-state="requested"]').waitFor();
    await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/payout-batches$/)), page.click('#batch-create')]);
    const batch = page.locator('#batches-body tr[data-state="created"]');
    await batch.waitFor();
    assert.match(await batch.locator('a[data-action="download"]').getAttribute('href'), /^\/api\/v1\/payout-batches\/\d+\/file$/);
    await page.locator('#open-payouts-body tr[data-state="in_batch"]').waitFor();
    await page.fill('#open-payouts-body tr[data-state="in_batch"] input[data-role="reason"]', 'Account closed');
    await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/payouts\/\d+\/fail$/)),
      page.click('#open-payouts-body tr[data-state="in_batch"] button[data-action="fail"]')]);
    await page.locator('#batches-body tr[data-state="done"]').waitFor();
    await shot(page, 'admin-panel');
    const w = worker.page;
    await w.click('#refresh-earnings');
    await w.locator('#payouts-body tr[data-state="failed"] [data-role="reason"]').filter({ hasText: 'Account closed' }).waitFor();
    await w.locator('[data-balance="USD-available"]').filter({ hasText: '$9.75' }).waitFor();
    assert.deepEqual([...worker.errors, ...admin.errors], [], 'no page errors');
  });
});
