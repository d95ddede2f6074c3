// Browser test of issue 6 (FW-15, FW-17, FW-18, FW-20): a worker in a country that two admins wind down sees the
// notice banner with the date and a decision statement to appeal; after the effective date the banner says why no
// work is offered and the worker still opens Earnings and asks for a payout; a locked-out person opens a ticket on
// /contact without signing in, follows the emailed one-time link (a real SMTP sink), replies, support answers from
// /support and the person sees the answer.
//
// Run from the repo root: node --test tests/browser/due-process.test.mjs (needs FAIRLABEL_BIN or build/fairlabel and
// Debian's chromium). Screenshots and the server log go to test-artifacts/browser/.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, BIN, CHROMIUM, CHROMIUM_ARGS, apiLogin, isApi, jsonApi, runCli, signIn as signInPage, startServer, stepper } from '../lib/browser.mjs';
import { createDatabase, eventually } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const STEP_TIMEOUT = 15_000;
const DAY = 86_400_000;
const COUNTRY = 'NG';
const REQUESTER = { email: 'dp-req@example.org', password: 'requester-pass-1', name: 'Req', role: 'requester' };
const WORKER = { email: 'dp-worker@example.org', password: 'worker-pass-12345', name: 'Chinedu Okafor', role: 'worker' };
const ADMIN1 = { email: 'dp-admin1@example.org', password: 'admin-pass-12345', name: 'Admin One', role: 'admin' };
const ADMIN2 = { email: 'dp-admin2@example.org', password: 'admin-pass-67890', name: 'Admin Two', role: 'admin' };
const SUPPORT = { email: 'dp-support@example.org', password: 'support-pass-123', name: 'Sam Support', role: 'support' };

let tmp, server, baseURL, browser, sink, database;
const tokens = {};
const { step, state } = stepper(90_000, { failed: false, effective: 0 });

const api = jsonApi(() => baseURL);
const login = (who) => apiLogin(api, who);
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `due-process-${name}.png`), fullPage: true });
const day = (ms) => new Date(ms).toISOString().slice(0, 10);

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return { context, page, errors };
}

async function signIn(who, goto) {
  const s = await newPage();
  await signInPage(s.page, baseURL, who);
  if (new URL(s.page.url()).pathname !== goto) await s.page.goto(baseURL + goto);
  return s;
}

describe('issue 6 in the browser: a closing region, a decision and its appeal, the login-free contact page', { timeout: 400_000 }, () => {
  const open = [];
  let worker;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN}`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}`);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-dp-'));
    database = await createDatabase();
    const db = database.url;
    for (const who of [REQUESTER, WORKER, ADMIN1, ADMIN2, SUPPORT]) {
      runCli(tmp, ['user', 'add', '--db', db, '--email', who.email, '--role', who.role, '--country', who === WORKER ? COUNTRY : 'FR',
        '--name', who.name, '--password', who.password]);
    }
    runCli(tmp, ['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000', '--currency', 'USD',
      '--reference', 'dp-browser']);
    sink = await startSmtpSink();
    const saved = { clock: process.env.FAIRLABEL_TEST_CLOCK, smtp: process.env.FAIRLABEL_SMTP_URL };
    process.env.FAIRLABEL_TEST_CLOCK = '1';
    process.env.FAIRLABEL_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
    try {
      [server, browser] = await Promise.all([
        startServer({ cwd: tmp, db, logFile: join(ARTIFACTS, 'due-process-server.log') }),
        chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
      ]);
    } finally {
      for (const [k, v] of [['FAIRLABEL_TEST_CLOCK', saved.clock], ['FAIRLABEL_SMTP_URL', saved.smtp]]) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
    baseURL = server.url;
    for (const [k, who] of [['requester', REQUESTER], ['worker', WORKER], ['admin1', ADMIN1], ['admin2', ADMIN2]]) {
      tokens[k] = await login(who);
    }
    // Two answers: one accepted, one rejected with a written reason (a decision record); a 9 USD bonus on top.
    const p = (await api('POST', '/api/v1/projects', { token: tokens.requester, expect: 201, json: {
      name: 'Due process page', instructions: 'Pick the sentiment.', kind: 'text_classification',
      labels: ['positive', 'negative'], reward_micros: 1_000_000, currency: 'USD', estimated_seconds: 60, overlap: 1 } })).data;
    const tasks = ['one', 'two', 'three', 'four'].map((t) => JSON.stringify({ data: { text: t } })).join('\n') + '\n';
    const imp = await fetch(`${baseURL}/api/v1/projects/${p.id}/tasks`, {
      method: 'POST', headers: { authorization: `Bearer ${tokens.requester}`, 'content-type': 'application/x-ndjson' }, body: tasks });
    assert.equal(imp.status, 201, await imp.text());
    await api('POST', `/api/v1/projects/${p.id}/publish`, { token: tokens.requester, expect: 200 });
    state.projectId = p.id;
    const answered = [];
    for (let i = 0; i < 2; i++) {
      const c = (await api('POST', `/api/v1/projects/${p.id}/claim`, { token: tokens.worker, expect: 200 })).data;
      await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: tokens.worker, expect: 200,
        json: { lease_token: c.lease_token, answer: { label: 'positive' } } });
      answered.push(c.assignment_id);
    }
    await api('POST', `/api/v1/assignments/${answered[0]}/review`, { token: tokens.requester, expect: 200, json: { decision: 'accept' } });
    await api('POST', `/api/v1/assignments/${answered[1]}/review`, { token: tokens.requester, expect: 200,
      json: { decision: 'reject', reason_code: 'wrong_answer', note: 'The text is clearly negative.' } });
    await api('POST', `/api/v1/projects/${p.id}/bonuses`, { token: tokens.requester, expect: 201,
      json: { worker_id: WORKER.id, amount_micros: 9_000_000, message: 'Thanks for the care', reference: 'dp-b1' } });
  });

  after(async () => {
    if (state.failed) {
      for (const [s, n] of open) {
        try { if (!s.page.isClosed()) await shot(s.page, `failure-${n}`); } catch { /* best effort */ }
      }
    }
    if (browser) await browser.close().catch(() => {});
    await server?.stop();
    await sink?.close();
    await database?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  step('two admins wind the country down: the worker sees the banner with the effective date', async () => {
    const now = Date.parse((await api('POST', '/api/v1/test/clock', { token: tokens.admin1, json: { advance_ms: 0 }, expect: 200 })).data.now);
    state.effective = now + 31 * DAY;
    const p = await api('POST', '/api/v1/region-changes', { token: tokens.admin1, expect: 201, json: {
      country: COUNTRY, to: 'winding_down', reason: 'The payment rail to Nigeria is withdrawn',
      explanation: 'fairlabel can no longer pay workers in Nigeria.', legal_basis: 'payment_rail',
      legal_reference: 'Provider notice 2026-11', effective_at: new Date(state.effective).toISOString() } });
    await api('POST', `/api/v1/region-changes/${p.data.id}/approve`, { token: tokens.admin2, json: {}, expect: 200 });

    worker = await signIn(WORKER, '/worker');
    open.push([worker, 'worker']);
    const banner = worker.page.locator('#region-banner[data-state="winding_down"]');
    await banner.waitFor();
    const text = await banner.textContent();
    assert.ok(text.includes(day(state.effective)), `banner names the date ${day(state.effective)}: ${text}`);
    assert.match(text, /can no longer pay workers in Nigeria/);
    assert.match(text, /paid out by/);
    // the notice is in the inbox too
    await worker.page.locator('#notification-list li').filter({ hasText: day(state.effective) }).first().waitFor();
    await shot(worker.page, '1-winding-down-banner');
  });

  step('the worker reads the decision statement and appeals from the page', async () => {
    const page = worker.page;
    const item = page.locator('#dp-decisions li[data-kind="rejection"]').first();
    await item.waitFor();
    assert.match(await item.locator('.dp-statement').textContent(), /clearly negative/);
    await item.locator('form[data-role="appeal"] textarea').fill('The text says the product is great; it is positive.');
    const [resp] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && /appeal/.test(new URL(r.url()).pathname)),
      item.locator('button[data-action="appeal"]').click()]);
    assert.equal(resp.status(), 201, await resp.text());
    await item.filter({ hasText: 'it is positive' }).waitFor();
    assert.equal(await item.locator('form[data-role="appeal"]').count(), 0, 'one appeal per decision');
    await item.scrollIntoViewIfNeeded();
    await shot(page, '2-decision-appealed');
  });

  step('after the effective date no work is offered and the worker still asks for a payout', async () => {
    const now = Date.parse((await api('POST', '/api/v1/test/clock', { token: tokens.admin1, json: { advance_ms: 0 }, expect: 200 })).data.now);
    await api('POST', '/api/v1/test/clock', { token: tokens.admin1, json: { advance_ms: state.effective - now + 60_000 } });
    tokens.worker = await login(WORKER); // sessions last 7 days
    await eventually(async () => (await api('GET', `/api/v1/regions?country=${COUNTRY}`)).data.items[0].state === 'closed', 'closed', 15_000);
    const claim = await api('POST', `/api/v1/projects/${state.projectId}/claim`, { token: tokens.worker });
    assert.equal(claim.status, 403);
    assert.equal(claim.data.name, 'REGION_CLOSED');
    assert.ok(claim.data.detail.includes(day(state.effective)), claim.data.detail);

    await worker.context.close();
    worker = await signIn(WORKER, '/worker');
    open.push([worker, 'worker-closed']);
    const page = worker.page;
    const banner = page.locator('#region-banner[data-state="closed"]');
    await banner.waitFor();
    const text = await banner.textContent();
    assert.ok(text.includes(`no longer offers new work in ${COUNTRY} (since ${day(state.effective)})`), text);
    assert.match(text, /The payment rail to Nigeria is withdrawn/);

    // Earnings still open: set a payout method, then withdraw everything available: 1.00 accepted, the 9.00 bonus,
    // and 1.00 for the rejection whose appeal nobody decided within 14 days (resolved in the worker's favour, FW-20).
    await page.locator('#earnings').scrollIntoViewIfNeeded();
    await page.selectOption('#payout-rail', 'bank_transfer');
    await page.fill('#payout-holder', WORKER.name);
    await page.fill('#payout-iban', 'DE89 3704 0044 0532 0130 00');
    await page.fill('#payout-bank-code', 'COBADEFFXXX');
    const [pm] = await Promise.all([page.waitForResponse(isApi('PUT', /^\/api\/v1\/me\/payout-method$/)), page.click('#payout-method-save')]);
    assert.equal(pm.status(), 200, await pm.text());
    await page.locator('#payout-available').filter({ hasText: '$11.00' }).waitFor();
    await page.click('#payout-all');
    const [resp] = await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/me\/payouts$/)), page.click('#payout-submit')]);
    assert.equal(resp.status(), 201, await resp.text());
    await page.locator('#payouts-body tr[data-state="requested"]').filter({ hasText: '$11.00' }).waitFor();
    await page.locator('#dp-decisions li[data-kind="rejection"]').filter({ hasText: 'resolved in your favour' }).first().waitFor();
    await shot(page, '3-closed-payout-requested');
    assert.deepEqual(worker.errors, []);
  });

  step('a locked-out person opens a ticket on /contact, follows the emailed link and replies; support answers', async () => {
    const person = await newPage();
    open.push([person, 'contact']);
    const page = person.page;
    await page.goto(`${baseURL}/contact`);
    await page.fill('#contact-email', WORKER.email);
    await page.selectOption('#contact-category', 'account');
    await page.fill('#contact-subject', 'I cannot sign in any more');
    await page.fill('#contact-message', 'My password stopped working after the notice about Nigeria.');
    const [resp] = await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/contact$/)), page.click('#contact-submit')]);
    assert.equal(resp.status(), 202, await resp.text());
    await page.locator('#contact-status[data-kind="success"]').waitFor();
    await shot(page, '4-contact-sent');

    const mail = await sink.waitFor((m) => m.to.includes(WORKER.email) && /\/contact\?t=/.test(m.text), 15_000);
    const token = /\/contact\?t=([A-Za-z0-9_-]+)/.exec(mail.text)[1];
    await page.goto(`${baseURL}/contact?t=${token}`);
    await page.locator('#contact-followup').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#contact-thread-title'), /I cannot sign in any more/);
    await page.locator('#contact-thread').filter({ hasText: 'My password stopped working' }).waitFor();
    await page.fill('#contact-reply', 'My account email is this address; the error says the password is wrong.');
    await Promise.all([page.waitForResponse(isApi('POST', /^\/api\/v1\/contact\/ticket\/messages$/)), page.click('#contact-reply-submit')]);
    await page.locator('#contact-thread').filter({ hasText: 'the error says the password is wrong' }).waitFor();
    await shot(page, '5-contact-thread-replied');

    const staff = await signIn(SUPPORT, '/support');
    open.push([staff, 'support']);
    const row = staff.page.locator('#queue-body tr').filter({ hasText: 'I cannot sign in any more' });
    await row.waitFor();
    await row.locator('button[data-action="open"]').click();
    await staff.page.locator('#ticket-thread').filter({ hasText: 'the error says the password is wrong' }).waitFor();
    await staff.page.fill('#reply-body', 'We reset your password: use the link we just sent you.');
    const [sr] = await Promise.all([staff.page.waitForResponse(isApi('POST', /^\/api\/v1\/tickets\/\d+\/messages$/)), staff.page.click('#reply-submit')]);
    assert.equal(sr.status(), 201, await sr.text());
    await staff.page.locator('#ticket-thread').filter({ hasText: 'We reset your password' }).waitFor();
    await shot(staff.page, '6-support-answered');

    await page.reload(); // the ticket-scoped token stays in this tab
    await page.locator('#contact-thread').filter({ hasText: 'We reset your password' }).waitFor();
    await shot(page, '7-contact-sees-answer');
    assert.deepEqual([...person.errors, ...staff.errors], []);
  });
});
