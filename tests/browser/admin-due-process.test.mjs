// Browser test of issue 6's admin panels: two admins wind a country down through the regions panel (the proposer
// gets no Approve button, the second admin approves, the timeline names both and the dates); a second admin decides
// a worker's appeal against a rejection in the decisions panel and the worker's balance moves; the risk panel shows a
// worker's score; an announcement naming a rule reaches the public /transparency change log; the fairwork panel
// lists every rule row of the quarter.
//
// Run from the repo root: node --test tests/browser/admin-due-process.test.mjs (needs FAIRLABEL_BIN or
// build/fairlabel and Debian's chromium; FAIRLABEL_TEST_PG_URL runs it on PostgreSQL). Screenshots and the server
// log go to test-artifacts/browser/.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, BIN, CHROMIUM, CHROMIUM_ARGS, apiLogin, isApi, jsonApi, runCli, signIn, startServer, stepper } from '../lib/browser.mjs';
import { createDatabase, randomId } from '../lib/server.mjs';

const STEP_TIMEOUT = 15_000;
const DAY = 86_400_000;
const COUNTRY = 'PH'; // wound down; the worker lives elsewhere, so their work goes on
const REQUESTER = { email: 'adp-req@example.org', password: 'requester-pass-1', name: 'Rita Requester', role: 'requester' };
const WORKER = { email: 'adp-worker@example.org', password: 'worker-pass-12345', name: 'Wanjiru Kamau', role: 'worker' };
const ADMIN_A = { email: 'adp-admin-a@example.org', password: 'admin-pass-12345', name: 'Ada Proposer', role: 'admin' };
const ADMIN_B = { email: 'adp-admin-b@example.org', password: 'admin-pass-67890', name: 'Bea Approver', role: 'admin' };

let tmp, server, baseURL, browser, database;
const tokens = {};
const { step, state } = stepper(90_000);

const api = jsonApi(() => baseURL);
const login = (who) => apiLogin(api, who);
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `admin-dp-${name}.png`), fullPage: true });
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const available = async () => (await api('GET', '/api/v1/me/earnings', { token: tokens.worker, expect: 200 }))
  .data.balances.USD?.available_micros ?? 0;

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return { context, page, errors };
}

/** Signs `who` in through /login, then opens /admin#panel and waits for the panel's module to draw. */
async function adminPanel(who, panel, ready) {
  const s = await newPage();
  await signIn(s.page, baseURL, who);
  await s.page.goto(`${baseURL}/admin#${panel}`);
  await s.page.locator(`section#${panel} ${ready}`).first().waitFor();
  return s;
}

describe('issue 6 admin panels: regions, decisions, risk, announcements, fairwork', { timeout: 400_000 }, () => {
  const open = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN}`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}`);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-adp-'));
    database = await createDatabase();
    const db = database.url;
    for (const who of [REQUESTER, WORKER, ADMIN_A, ADMIN_B]) {
      runCli(tmp, ['user', 'add', '--db', db, '--email', who.email, '--role', who.role, '--country', who === WORKER ? 'KE' : 'FR',
        '--name', who.name, '--password', who.password]);
    }
    runCli(tmp, ['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000', '--currency', 'USD',
      '--reference', 'adp-browser']);
    [server, browser] = await Promise.all([
      startServer({ cwd: tmp, db, logFile: join(ARTIFACTS, 'admin-dp-server.log') }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
    ]);
    baseURL = server.url;
    for (const [k, who] of [['requester', REQUESTER], ['worker', WORKER], ['adminA', ADMIN_A], ['adminB', ADMIN_B]]) {
      tokens[k] = await login(who);
    }
    // Two answers by the worker: one accepted, one rejected with a written reason (the decision to appeal).
    const p = (await api('POST', '/api/v1/projects', { token: tokens.requester, expect: 201, json: {
      name: 'Admin panels', instructions: 'Pick the sentiment.', kind: 'text_classification',
      labels: ['positive', 'negative'], reward_micros: 1_000_000, currency: 'USD', estimated_seconds: 60, overlap: 1 } })).data;
    const tasks = ['one', 'two', 'three'].map((t) => JSON.stringify({ data: { text: t } })).join('\n') + '\n';
    const imp = await fetch(`${baseURL}/api/v1/projects/${p.id}/tasks`, {
      method: 'POST', headers: { authorization: `Bearer ${tokens.requester}`, 'content-type': 'application/x-ndjson' }, body: tasks });
    assert.equal(imp.status, 201, await imp.text());
    await api('POST', `/api/v1/projects/${p.id}/publish`, { token: tokens.requester, expect: 200 });
    const answered = [];
    for (let i = 0; i < 2; i++) {
      const c = (await api('POST', `/api/v1/projects/${p.id}/claim`, { token: tokens.worker, expect: 200 })).data;
      await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: tokens.worker, expect: 200,
        json: { lease_token: c.lease_token, answer: { label: 'positive' } } });
      answered.push(c.assignment_id);
    }
    await api('POST', `/api/v1/assignments/${answered[0]}/review`, { token: tokens.requester, expect: 200, json: { decision: 'accept' } });
    const rej = await api('POST', `/api/v1/assignments/${answered[1]}/review`, { token: tokens.requester, expect: 200,
      json: { decision: 'reject', reason_code: 'wrong_answer', note: 'The text is clearly negative.' } });
    assert.equal(rej.data.review_state, 'rejected', 'the rejection applies (not held)');
  });

  after(async () => {
    if (state.failed) {
      for (const [s, n] of open) {
        try { if (!s.page.isClosed()) await shot(s.page, `failure-${n}`); } catch { /* best effort */ }
      }
    }
    if (browser) await browser.close().catch(() => {});
    await server?.stop();
    await database?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  step('admin A proposes winding down in the regions panel; only admin B can approve; the timeline names both', async () => {
    const a = await adminPanel(ADMIN_A, 'regions-panel', '#region-form');
    open.push([a, 'regions-a']);
    await a.page.locator('section#regions-panel[data-ready="true"]').waitFor();
    const effective = Date.now() + 40 * DAY;
    await a.page.fill('#region-country', COUNTRY.toLowerCase());
    await a.page.selectOption('#region-to', 'winding_down');
    await a.page.fill('#region-reason', 'The payment rail to the Philippines is withdrawn');
    await a.page.fill('#region-explanation', 'fairlabel can no longer pay workers in the Philippines.');
    await a.page.selectOption('#region-basis', 'payment_rail');
    await a.page.fill('#region-reference', 'Provider notice 2026-12');
    await a.page.fill('#region-effective', day(effective));
    const [resp] = await Promise.all([a.page.waitForResponse(isApi('POST', /^\/api\/v1\/region-changes$/)),
      a.page.click('#region-form button[type="submit"]')]);
    assert.equal(resp.status(), 201, await resp.text());
    const change = await resp.json();
    await a.page.locator('#region-status[data-kind="success"]').filter({ hasText: `Change ${change.id} proposed for ${COUNTRY}` }).waitFor();
    const row = a.page.locator(`#region-proposals tr[data-change-id="${change.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Ada Proposer/);
    assert.equal(await row.locator('button[data-decision="approve"]').count(), 0, 'no Approve button on your own proposal');
    assert.match(await row.innerText(), /another admin must approve it/);
    const proposed = a.page.locator(`#region-timeline section[data-country="${COUNTRY}"] li[data-change-id="${change.id}"][data-state="proposed"]`);
    assert.match(await proposed.innerText(), /proposed by Ada Proposer/);
    // the server refuses A's approval too (the panel offers no button, so ask directly)
    const self = await api('POST', `/api/v1/region-changes/${change.id}/approve`, { token: tokens.adminA, json: {}, expect: 409 });
    assert.equal(self.data.name, 'REGION_SECOND_ADMIN');
    await shot(a.page, '1-region-proposed');

    const b = await adminPanel(ADMIN_B, 'regions-panel', '#region-form');
    open.push([b, 'regions-b']);
    const brow = b.page.locator(`#region-proposals tr[data-change-id="${change.id}"]`);
    await brow.waitFor();
    assert.match(await brow.innerText(), /Ada Proposer/);
    const [ok] = await Promise.all([b.page.waitForResponse(isApi('POST', new RegExp(`^/api/v1/region-changes/${change.id}/approve$`))),
      brow.locator('button[data-decision="approve"]').click()]);
    assert.equal(ok.status(), 200, await ok.text());
    const approved = await ok.json();
    await b.page.locator('#region-status[data-kind="success"]').filter({ hasText: `Change ${change.id} approved` }).waitFor();
    const item = b.page.locator(`#region-timeline section[data-country="${COUNTRY}"] li[data-change-id="${change.id}"][data-state="approved"]`);
    await item.waitFor();
    const text = await item.innerText();
    assert.match(text, /open → winding_down/);
    assert.ok(text.includes(`${day(Date.parse(approved.created_at))} proposed by Ada Proposer`), text);
    assert.ok(text.includes(`${day(Date.parse(approved.decided_at))} approved by Bea Approver`), text);
    assert.ok(text.includes(`effective ${day(Date.parse(approved.effective_at))}`), text);
    assert.equal(await b.page.locator(`#region-proposals tr[data-change-id="${change.id}"]`).count(), 0, 'no longer waiting');
    const pub = await api('GET', `/api/v1/regions?country=${COUNTRY}`, { expect: 200 });
    assert.equal(pub.data.items[0].state, 'winding_down');
    await b.page.locator('#regions-panel').screenshot({ path: join(ARTIFACTS, 'admin-dp-2-region-approved.png') });
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.context.close();
    await b.context.close();
  });

  step('admin B decides the worker\'s appeal in the decisions panel: overturned, and the worker is paid', async () => {
    const before = await available();
    const decisions = await api('GET', '/api/v1/me/decisions', { token: tokens.worker, expect: 200 });
    const rejection = decisions.data.items.find((d) => d.kind === 'rejection');
    assert.ok(rejection, 'the rejection made a decision record');
    const appeal = (await api('POST', `/api/v1/decisions/${rejection.id}/appeal`, { token: tokens.worker, expect: 201,
      json: { statement: 'The text says the product is great; it is positive.' } })).data;

    const b = await adminPanel(ADMIN_B, 'due-process-panel', '#dp-restrict-form');
    open.push([b, 'decisions-b']);
    const row = b.page.locator(`#dp-appeals-body tr[data-appeal-id="${appeal.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /it is positive/);
    assert.match(await row.innerText(), new RegExp(WORKER.email));
    await row.locator('select[data-role="outcome"]').selectOption('overturned');
    await row.locator('input[data-role="note"]').fill('Re-read: the answer is right.');
    const [resp] = await Promise.all([b.page.waitForResponse(isApi('POST', new RegExp(`^/api/v1/appeals/${appeal.id}/decide$`))),
      row.locator('button[data-action="decide"]').click()]);
    assert.equal(resp.status(), 200, await resp.text());
    await b.page.locator('#dp-admin-status[data-kind="success"]').filter({ hasText: `Appeal ${appeal.id} overturned.` }).waitFor();
    await b.page.locator(`#dp-appeals-body tr[data-appeal-id="${appeal.id}"]`).waitFor({ state: 'detached' });
    const decided = b.page.locator('#dp-decisions-body tr').filter({ hasText: 'overturned' });
    await decided.first().waitFor();
    assert.match(await decided.first().innerText(), /rejection/);
    assert.equal(await available(), before + 1_000_000, 'the overturned rejection pays the 1 USD reward');
    const mine = await api('GET', '/api/v1/me/decisions', { token: tokens.worker, expect: 200 });
    const after = mine.data.items.find((d) => d.id === rejection.id);
    assert.equal(after.appeal.state, 'overturned');
    await shot(b.page, '3-appeal-overturned');
    assert.deepEqual(b.errors, []);
    await b.context.close();
  });

  step('the risk panel shows a worker\'s score and the published rules', async () => {
    const a = await adminPanel(ADMIN_A, 'risk-panel', '#risk-rules tr[data-rule]');
    open.push([a, 'risk']);
    const rules = (await api('GET', '/api/v1/risk/rules', { token: tokens.adminA, expect: 200 })).data;
    assert.equal(await a.page.locator('#risk-rules tr[data-rule]').count(), rules.rules.length);
    for (const r of rules.rules) await a.page.locator(`#risk-rules tr[data-rule="${r.id}"]`).waitFor();
    const score = (await api('GET', `/api/v1/users/${WORKER.id}/risk`, { token: tokens.adminA, expect: 200 })).data;
    assert.equal(score.score, 0, 'a worker with no signals scores 0');
    await a.page.fill('#risk-user', String(WORKER.id));
    await Promise.all([a.page.waitForResponse(isApi('GET', new RegExp(`^/api/v1/users/${WORKER.id}/risk$`))), a.page.click('#risk-show')]);
    const result = a.page.locator('#risk-result');
    await result.locator('dd').first().filter({ hasText: '0 / 100' }).waitFor();
    const pairs = await result.evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    assert.equal(pairs.Score, '0 / 100');
    assert.equal(pairs.Action, score.action);
    assert.equal(pairs['Rules that fired'], 'none');
    await a.page.locator('#risk-panel').screenshot({ path: join(ARTIFACTS, 'admin-dp-4-risk.png') });
    // an unknown id is refused with the server's message
    await a.page.fill('#risk-user', '999999');
    await a.page.click('#risk-show');
    await a.page.locator('#risk-status[data-kind="error"]').filter({ hasText: 'no user 999999' }).waitFor();
    assert.deepEqual(a.errors, []);
    await a.context.close();
  });

  step('an announcement naming a rule, posted in the panel, is in the public change log', async () => {
    const a = await adminPanel(ADMIN_A, 'announcements-panel', '#announce-form');
    open.push([a, 'announce']);
    const title = `Weekly top-ups move to Mondays ${randomId(4)}`;
    await a.page.selectOption('#announce-kind', 'pay_rules');
    await a.page.fill('#announce-title', title);
    await a.page.fill('#announce-body', 'Top-ups to the floor will be paid each Monday instead of Sunday.');
    await a.page.fill('#announce-rule', 'weekly_topup');
    const [resp] = await Promise.all([a.page.waitForResponse(isApi('POST', /^\/api\/v1\/announcements$/)),
      a.page.click('#announce-form button[type="submit"]')]);
    assert.equal(resp.status(), 201, await resp.text());
    const created = await resp.json();
    await a.page.locator('#announce-status[data-kind="success"]').filter({ hasText: `Announcement ${created.id}` }).waitFor();
    await a.page.locator(`#announce-list li[data-announcement-id="${created.id}"]`).filter({ hasText: title }).waitFor();

    const visitor = await newPage(); // the change log is public: no sign-in
    open.push([visitor, 'transparency']);
    await visitor.page.goto(`${baseURL}/transparency`);
    const row = visitor.page.locator('#changes tr').filter({ hasText: `#${created.id}` });
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[1], 'weekly_topup');
    assert.equal(cells[3], ADMIN_A.name);
    assert.ok(cells.join(' ').includes(title), `the change names the announcement: ${cells.join(' | ')}`);
    await visitor.page.locator('article.rule[data-rule-id="weekly_topup"]').waitFor();
    await shot(visitor.page, '5-transparency-change-log');
    assert.deepEqual([...a.errors, ...visitor.errors], []);
    await a.context.close();
    await visitor.context.close();
  });

  step('the fairwork panel shows every rule row of the quarter, as the report gives them', async () => {
    const a = await adminPanel(ADMIN_A, 'fairwork-panel', '#fairwork-table tr[data-item]');
    open.push([a, 'fairwork']);
    const quarter = await a.page.inputValue('#fairwork-quarter');
    const report = (await api('GET', `/api/v1/reports/fairwork?quarter=${quarter}&format=json`, { token: tokens.adminA, expect: 200 })).data;
    const rows = await a.page.locator('#fairwork-table tr[data-item]').evaluateAll((trs) => trs.map((tr) => ({
      item: tr.dataset.item, status: tr.dataset.status, rule: tr.cells[0].textContent, title: tr.cells[1].textContent })));
    assert.deepEqual(rows, report.items.map((it) => ({ item: it.item, status: it.status, rule: it.rule, title: it.title })));
    const byItem = Object.fromEntries(rows.map((r) => [r.item, r]));
    for (const [item, rule] of [['approval_latency', 'FW-2'], ['region_notice', 'FW-15'], ['appeals', 'FW-20'], ['requesters_flagged', 'FW-24']]) {
      assert.equal(byItem[item]?.rule, rule, `row ${item}`);
    }
    // this quarter's region change gave 40 days' notice and the appeal was decided at once
    assert.equal(byItem.region_notice.status, 'pass');
    assert.equal(byItem.appeals.status, 'pass');
    await a.page.locator('#fairwork-status').filter({ hasText: `${quarter}:` }).waitFor();
    assert.equal(await a.page.locator('#fairwork-downloads a[data-format]').count(), 3);
    await a.page.locator('#fairwork-panel').screenshot({ path: join(ARTIFACTS, 'admin-dp-6-fairwork.png') });
    assert.deepEqual(a.errors, []);
    await a.context.close();
  });
});
