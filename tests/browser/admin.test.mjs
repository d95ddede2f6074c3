// Browser test of the admin report panel: a small quarter of approved answers (KE and PH workers, known active
// times on the test clock) and one held rejection; the admin signs in, the panel draws the report's charts (the
// per-country distribution with the legal minimum and living wage lines, the trend of hours below them) and its
// tables, and the admin overturns the held rejection from the panel.
//
// Run from the repo root: node --test tests/browser/admin.test.mjs
// Needs build/fairlabel (or FAIRLABEL_BIN) and Debian's chromium. Screenshots go to test-artifacts/browser/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, runCli, startServer } from '../lib/browser.mjs';

const STEP_TIMEOUT = 15_000;
const PASSWORD = 'admin-report-pass-1';
let tmp, server, browser;
const users = {};

async function api(method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && typeof body !== 'string') {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(server.url + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

async function login(email) {
  const r = await api('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-admin-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const db = `sqlite:${join(tmp, 'fl.db')}`;
  runCli(tmp, ['migrate', '--db', db]);
  for (const [key, role, country] of [['admin', 'admin', 'KE'], ['requester', 'requester', 'KE'], ['ke', 'worker', 'KE'], ['ph', 'worker', 'PH']]) {
    users[key] = { email: `${key}-${process.pid}@example.org` };
    runCli(tmp, ['user', 'add', '--db', db, '--email', users[key].email, '--role', role, '--country', country,
      '--name', `${key} user`, '--password', PASSWORD]);
  }
  runCli(tmp, ['escrow', 'deposit', '--db', db, '--email', users.requester.email, '--amount', '100000000', '--currency', 'USD',
    '--reference', 'admin-report-test']);
  process.env.FAIRLABEL_TEST_CLOCK = '1';
  server = await startServer({ cwd: tmp, db, logFile: join(ARTIFACTS, 'admin-server.log') });
  for (const u of Object.values(users)) u.token = await login(u.email);

  const rt = users.requester.token, at = users.admin.token;
  const p = await api('POST', '/api/v1/projects', {
    token: rt,
    body: { name: 'Report sentiment', instructions: 'Pick one.', kind: 'text_classification', labels: ['positive', 'negative'],
      reward_micros: 1000000, currency: 'USD', estimated_seconds: 60, overlap: 1, lease_seconds: 7200,
      quality: { review: { mode: 'all' } } },
  });
  assert.equal(p.status, 201, p.text);
  const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify({ data: { text: `text ${i}` } })).join('\n') + '\n';
  assert.equal((await api('POST', `/api/v1/projects/${p.json.id}/tasks`, { token: rt, body: lines, headers: { 'content-type': 'application/x-ndjson' } })).status, 201);
  assert.equal((await api('POST', `/api/v1/projects/${p.json.id}/publish`, { token: rt })).status, 200);
  // KE: 100, 40 and 10 minutes; PH: 30 and 12; two more KE answers are rejected: the first applies, the second is
  // held (FW-4: 2 of 5 is more than 10%)
  const ids = [];
  for (const [who, minutes] of [['ke', 100], ['ke', 40], ['ke', 10], ['ph', 30], ['ph', 12], ['ke', 5], ['ke', 5]]) {
    const c = await api('POST', `/api/v1/projects/${p.json.id}/claim`, { token: users[who].token });
    assert.equal(c.status, 200, c.text);
    assert.equal((await api('POST', '/api/v1/test/clock', { token: at, body: { advance_ms: minutes * 60000 } })).status, 200);
    const s = await api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
      token: users[who].token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
    });
    assert.equal(s.status, 200, s.text);
    ids.push(c.json.assignment_id);
  }
  for (const id of ids.slice(0, 5)) {
    assert.equal((await api('POST', `/api/v1/assignments/${id}/review`, { token: rt, body: { decision: 'accept' } })).status, 200);
  }
  const reject = (id) => api('POST', `/api/v1/assignments/${id}/review`, {
    token: rt, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'Not positive.' },
  });
  assert.equal((await reject(ids[5])).json.review_state, 'rejected');
  users.heldAnswer = ids[6]; // rejected on the reviewer page below
  users.projectId = p.json.id;
  const earn = await api('GET', '/api/v1/me/earnings', { token: users.ke.token });
  const d = new Date(earn.json.lines.find((l) => l.cause === 'approval').created_at);
  users.quarter = `${d.getUTCFullYear()}Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function signIn(page, email) {
  await page.goto(`${server.url}/login`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL((u) => u.pathname !== '/login', { timeout: STEP_TIMEOUT });
}

test('the reviewer page says when a rejection is held for human review (FW-4)', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await signIn(page, users.requester.email);
  await page.goto(`${server.url}/reviewer`);
  await page.click(`li.project-row[data-project-id="${users.projectId}"] button[data-action="review"]`, { timeout: STEP_TIMEOUT });
  await page.waitForSelector(`#review-view[data-assignment-id="${users.heldAnswer}"]`, { timeout: STEP_TIMEOUT });
  await page.selectOption('#reject-reason', 'wrong_answer');
  await page.fill('#reject-note', 'Not positive.');
  await page.click('#reject');
  await page.locator('#review-status').getByText('Held for human review').waitFor({ timeout: STEP_TIMEOUT });
  assert.match(await page.locator('#review-status').innerText(), /2 of this worker's 5 answers here would be rejected, more than 10%/);
  await page.screenshot({ path: join(ARTIFACTS, 'reviewer-held.png'), fullPage: true });
  await page.close();
});

test('the admin report panel draws the charts with the reference lines, and decides a held rejection', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, users.admin.email);
  await page.goto(`${server.url}/admin#report-panel`);
  await page.waitForSelector('section#report-panel[data-ready="true"]', { timeout: STEP_TIMEOUT });
  if (await page.inputValue('#report-quarter') !== users.quarter) {
    await page.selectOption('#report-quarter', users.quarter);
    await page.click('#report-form button[type="submit"]');
  }
  const panel = page.locator('#report-panel');
  await panel.locator('svg#chart-distribution g.country').first().waitFor({ timeout: STEP_TIMEOUT });

  // the distribution chart: one row per country, each with its minimum and living wage lines
  assert.deepEqual(await panel.locator('svg#chart-distribution g.country').evaluateAll((gs) => gs.map((g) => g.dataset.country)), ['KE', 'PH']);
  assert.equal(await panel.locator('svg#chart-distribution line.ref-minimum').count(), 2);
  assert.equal(await panel.locator('svg#chart-distribution line.ref-living').count(), 2);
  assert.equal(await panel.locator('svg#chart-distribution rect.box').count(), 2);
  assert.ok(await panel.locator('svg#chart-distribution circle.strip').count() >= 2);
  // lines are drawn where the figures are: the KE minimum (0.55 USD/h) left of the KE living wage (1.05 USD/h)
  const x = async (cls) => Number(await panel.locator(`svg#chart-distribution g[data-country="KE"] line.${cls}`).getAttribute('x1'));
  assert.ok(await x('ref-minimum') < await x('ref-living'));
  // the trend chart: both series per country
  assert.equal(await panel.locator('svg#chart-trend polyline.trend-minimum').count(), 2);
  assert.equal(await panel.locator('svg#chart-trend polyline.trend-living').count(), 2);
  // the tables: a row per country and the project
  assert.equal(await panel.locator('table.countries tr').count(), 3);
  assert.match(await panel.locator('table.countries').innerText(), /KE Kenya/);
  assert.match(await panel.locator('table.projects').innerText(), /Report sentiment/);
  assert.equal(await panel.locator('#report-downloads a[data-format]').count(), 3);
  await page.locator('#report-panel').screenshot({ path: join(ARTIFACTS, 'admin-report.png') });

  // the held rejection: a note is required, then overturned from the panel
  const row = panel.locator('#holds-table tr[data-hold-id]');
  assert.equal(await row.count(), 1);
  await row.locator('button[data-decision="overturn"]').click();
  await panel.getByText('Write a note first').waitFor({ timeout: STEP_TIMEOUT });
  await row.locator('input.hold-note').fill('The answer is right.');
  await row.locator('button[data-decision="overturn"]').click();
  await panel.locator('#holds-table').getByText('No rejection is waiting for a decision.').waitFor({ timeout: STEP_TIMEOUT });
  const earn = await api('GET', '/api/v1/me/earnings', { token: users.ke.token });
  assert.equal(earn.json.balances.USD.available_micros, 4000000, 'the overturned answer is paid with the three accepted');
  await page.screenshot({ path: join(ARTIFACTS, 'admin-report-page.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no script errors on the page');
});
