// Browser test of the quality pages: a reviewer rejects one answer (reason + note, FW-3) and fixes another by
// dragging its box in the image editor on /reviewer; the worker reads the decisions on /worker; the requester
// reads the consensus and every answer in the results view on /requester.
//
// Setup goes over the HTTP API: a requester, a reviewer and a worker (fairlabel user add), an image_annotation
// project whose every answer is reviewed, two tasks on an uploaded PNG, the reviewer assigned, and the worker's
// two answers with one box each.
//
// Run from the repo root: node --test tests/browser/quality.test.mjs
// Needs build/fairlabel (or FAIRLABEL_BIN) and Debian's chromium (/usr/bin/chromium, or CHROMIUM_BIN).
// Screenshots (quality-*.png) and the server log (quality-server.log) go to test-artifacts/browser/.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, BIN, CHROMIUM, CHROMIUM_ARGS, isApi, runCli as runCliIn, signIn as signInPage, startServer as startFairlabel, stepper } from '../lib/browser.mjs';
import { kittiBin, pngBytes } from '../lib/media.mjs';

const STEP_TIMEOUT = 10_000;

const REQUESTER = { email: 'quality-req@example.org', password: 'requester-pass-1', name: 'Rita Requester' };
const REVIEWER = { email: 'quality-rev@example.org', password: 'reviewer-pass-1', name: 'Ravi Reviewer' };
const WORKER = { email: 'quality-worker@example.org', password: 'worker-pass-12345', name: 'Wanjiru Worker' };
const WORKER2 = { email: 'quality-worker2@example.org', password: 'worker-pass-67890', name: 'Kofi Worker' };
const REASONS = [
  { code: 'wrong_class', title: 'The object is not a car' },
  { code: 'loose_box', title: 'The box does not fit the object' },
];
// The requester renames a reason while the reviewer has the page open: the old code is then refused.
const RENAMED = { code: 'box_fit', title: 'The box does not fit the object tightly' };
const NOTE = 'The box cuts off the front of the car; draw it around the whole car.';
const GOLD_EXPLANATION = 'A product that broke is a negative review.';
// The worker's box per task (image pixels, [x, y, w, h]).
const BOXES = { 'img-1': [60, 50, 120, 80], 'img-2': [200, 100, 120, 90] };
// Each worker's cuboid on the one lidar task (metres, radians).
const CUBOIDS = [
  { class: 'Car', center: [10, 2, -0.5], size: [4.2, 1.8, 1.5], yaw: 0.1 },
  { class: 'Car', center: [10.4, 2.2, -0.5], size: [4, 1.8, 1.5], yaw: 0.2 },
];

let tmp;
let server;
let baseURL;
let browser;
const tokens = {};
const { step, state } = stepper(60_000, { failed: false, project: null, lidar: null, gold: null, qual: null, assignments: {}, reviewerId: null, workerId: null });

// ---- server and API -------------------------------------------------------------------------------

async function api(method, path, { json, body, type, token = tokens.requester, expect } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  else if (type) headers['Content-Type'] = type;
  const r = await fetch(`${baseURL}${path}`, { method, headers, body });
  const text = await r.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (expect !== undefined) {
    const ok = Array.isArray(expect) ? expect.includes(r.status) : r.status === expect;
    assert.ok(ok, `${method} ${path} answered ${r.status} (wanted ${expect}): ${text.slice(0, 500)}`);
  }
  return { status: r.status, data, text };
}

async function login(who) {
  const { data } = await api('POST', '/api/v1/auth/login', { token: null, expect: 200, json: { email: who.email, password: who.password } });
  return data;
}

// ---- browser helpers ------------------------------------------------------------------------------

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `quality-${name}.png`), fullPage: true });

/** A new context signed in as `who` on /login; waits until the login page has sent it to `home`. */
async function signIn(who, home, viewport = { width: 1280, height: 1200 }) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A refused request is logged by Chromium itself; the test checks those replies where it expects them.
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) errors.push(`console.error: ${msg.text()}`);
  });
  await signInPage(page, baseURL, who);
  // login.js navigates by itself (homeFor); a second goto now would race with it.
  await page.waitForURL((u) => u.pathname === home);
  return { context, page, errors };
}

const near = (actual, expected, tol, what) => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ±${tol} of ${expected}`);
};

/** image pixel → viewport point, from the image editor's view transform hooks. */
async function imagePoint(page, x, y) {
  const canvas = page.locator('[data-testid="image-canvas"]');
  const b = await canvas.boundingBox();
  const scale = Number(await canvas.getAttribute('data-scale'));
  const ox = Number(await canvas.getAttribute('data-offset-x'));
  const oy = Number(await canvas.getAttribute('data-offset-y'));
  assert.ok(scale > 0 && Number.isFinite(ox) && Number.isFinite(oy), 'view transform');
  const p = [b.x + x * scale + ox, b.y + y * scale + oy];
  const vp = page.viewportSize();
  assert.ok(p[0] >= 0 && p[1] >= 0 && p[0] < vp.width && p[1] < vp.height, `(${x}, ${y}) → ${p} is on screen`);
  return p;
}

async function drag(page, from, to) {
  await page.mouse.move(...await imagePoint(page, ...from));
  await page.mouse.down();
  await page.mouse.move(...await imagePoint(page, ...to), { steps: 10 });
  await page.mouse.up();
}

// ---- the test -------------------------------------------------------------------------------------

describe('quality pages: review on /reviewer, decisions on /worker, results on /requester', { timeout: 240_000 }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN} (scripts/build.sh build, or set FAIRLABEL_BIN)`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium)`);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-quality-'));
    const db = `sqlite:${join(tmp, 't.db')}`;
    for (const [who, role, country] of [[REQUESTER, 'requester', 'DE'], [REVIEWER, 'reviewer', 'IN'], [WORKER, 'worker', 'KE'],
      [WORKER2, 'worker', 'GH']]) {
      runCliIn(tmp, ['user', 'add', '--db', db, '--email', who.email, '--role', role, '--country', country,
        '--name', who.name, '--password', who.password]);
    }
    // escrow to cover the projects' open work (FW-1)
    for (const cur of ['USD', 'EUR']) {
      runCliIn(tmp, ['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000000',
        '--currency', cur, '--reference', `browser-test-${cur}`]);
    }
    let srv;
    [srv, browser] = await Promise.all([
      startFairlabel({ cwd: tmp, db, logFile: join(ARTIFACTS, 'quality-server.log') }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
    ]);
    server = srv;
    baseURL = srv.url;
    tokens.requester = (await login(REQUESTER)).token;
    const rev = await login(REVIEWER);
    tokens.reviewer = rev.token;
    state.reviewerId = rev.user.id;
    const work = await login(WORKER);
    tokens.worker = work.token;
    state.workerId = work.user.id;

    const { data: media } = await api('POST', '/api/v1/media?name=street.png', {
      expect: [200, 201], body: pngBytes({ width: 400, height: 300, rgb: [90, 120, 150] }), type: 'image/png',
    });
    const { data: project } = await api('POST', '/api/v1/projects', {
      expect: 201,
      json: {
        name: 'Quality test: cars', instructions: 'Draw a tight box around every car.', kind: 'image_annotation',
        schema: { classes: [{ name: 'car', tools: ['bbox'] }] },
        reward_micros: 50_000, currency: 'USD', estimated_seconds: 60, overlap: 1, lease_seconds: 600,
        quality: { review: { mode: 'all' }, reject_reasons: REASONS },
      },
    });
    state.project = project;
    const lines = Object.keys(BOXES).map((ext) => JSON.stringify({ data: { image: { media_id: media.media_id } }, external_id: ext }));
    await api('POST', `/api/v1/projects/${project.id}/tasks`, { expect: 201, body: `${lines.join('\n')}\n`, type: 'application/x-ndjson' });
    await api('POST', `/api/v1/projects/${project.id}/publish`, { expect: 200 });
    await api('POST', `/api/v1/projects/${project.id}/reviewers`, { expect: 201, json: { user_id: state.reviewerId } });
    for (let i = 0; i < 2; i++) {
      const { data: c } = await api('POST', `/api/v1/projects/${project.id}/claim`, { token: tokens.worker, expect: 200 });
      const ext = c.task.external_id;
      await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
        token: tokens.worker, expect: 200,
        json: { lease_token: c.lease_token, answer: { objects: [{ class: 'car', type: 'bbox', bbox: BOXES[ext] }] } },
      });
      state.assignments[ext] = c.assignment_id;
    }

    // a lidar project where both workers answer the one task: the results list the cuboids side by side
    const { data: cloud } = await api('POST', '/api/v1/media?name=scan.bin', {
      expect: [200, 201], body: kittiBin([[10, 2, -0.5, 0.5], [11, 2.5, 0, 0.2], [-3, 4, 1, 0.9]]), type: 'application/octet-stream',
    });
    const { data: lidar } = await api('POST', '/api/v1/projects', {
      expect: 201,
      json: {
        name: 'Quality test: cuboids', kind: 'lidar_cuboids', schema: { classes: [{ name: 'Car' }, { name: 'Pedestrian' }] },
        reward_micros: 80_000, currency: 'USD', estimated_seconds: 90, overlap: 2, lease_seconds: 600,
      },
    });
    state.lidar = lidar;
    await api('POST', `/api/v1/projects/${lidar.id}/tasks`, {
      expect: 201, body: `${JSON.stringify({ data: { pointcloud: { media_id: cloud.media_id } }, external_id: 'scan-1' })}\n`, type: 'application/x-ndjson',
    });
    await api('POST', `/api/v1/projects/${lidar.id}/publish`, { expect: 200 });
    const tokens2 = [tokens.worker, (await login(WORKER2)).token];
    for (const [i, token] of tokens2.entries()) {
      const { data: c } = await api('POST', `/api/v1/projects/${lidar.id}/claim`, { token, expect: 200 });
      await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
        token, expect: 200, json: { lease_token: c.lease_token, answer: { objects: [CUBOIDS[i]] } },
      });
    }

    // "My quality" figures for the worker: gold answers (one wrong, so a rule lowers the weight) and a paid
    // qualification test that sets a skill
    const classification = (name, quality) => ({
      name, kind: 'text_classification', labels: ['positive', 'negative'], reward_micros: 100_000, currency: 'USD',
      estimated_seconds: 36, overlap: 1, lease_seconds: 600, quality,
    });
    const answerAll = async (projectId, n, labelOf) => {
      for (let i = 0; i < n; i++) {
        const { data: c } = await api('POST', `/api/v1/projects/${projectId}/claim`, { token: tokens.worker, expect: 200 });
        await api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
          token: tokens.worker, expect: 200, json: { lease_token: c.lease_token, answer: { label: labelOf(c.task.external_id) } },
        });
      }
    };
    const { data: gold } = await api('POST', '/api/v1/projects', {
      expect: 201,
      json: classification('Quality test: gold', {
        gold: { first: 2, percent: 0 },
        rules: [{ id: 'gold-low', reads: 'gold_accuracy', window: 2, threshold: 0.6, action: 'lower_weight' }],
      }),
    });
    state.gold = gold;
    await api('POST', `/api/v1/projects/${gold.id}/tasks`, {
      expect: 201, type: 'application/x-ndjson',
      body: [
        { data: { text: 'Lovely, works well.' }, external_id: 'g1', gold: { answer: { label: 'positive' } } },
        { data: { text: 'Broke on day two.' }, external_id: 'g2', gold: { answer: { label: 'negative' }, explanation: GOLD_EXPLANATION } },
        { data: { text: 'Fine.' }, external_id: 'n1' },
      ].map((l) => JSON.stringify(l)).join('\n') + '\n',
    });
    await api('POST', `/api/v1/projects/${gold.id}/publish`, { expect: 200 });
    await answerAll(gold.id, 2, () => 'positive'); // the first two tasks are gold: g1 right, g2 wrong

    const { data: qual } = await api('POST', '/api/v1/projects', {
      expect: 201, json: classification('Quality test: qualification', { qualification: { pass_mark: 0.5, skill: 'sentiment' } }),
    });
    state.qual = qual;
    await api('POST', `/api/v1/projects/${qual.id}/tasks`, {
      expect: 201, type: 'application/x-ndjson',
      body: [
        { data: { text: 'Great!' }, external_id: 'q1', gold: { answer: { label: 'positive' }, qualification: true } },
        { data: { text: 'Awful.' }, external_id: 'q2', gold: { answer: { label: 'negative' }, qualification: true } },
        { data: { text: 'Okay.' }, external_id: 'n1' },
      ].map((l) => JSON.stringify(l)).join('\n') + '\n',
    });
    await api('POST', `/api/v1/projects/${qual.id}/publish`, { expect: 200 });
    await answerAll(qual.id, 2, (ext) => (ext === 'q1' ? 'positive' : 'negative'));
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  let reviewer; // {context, page, errors} of the reviewer, kept across the two review steps

  step('reviewer: Reject needs a reason and a note; a reason the server refuses is shown at the select', async () => {
    reviewer = await signIn(REVIEWER, '/reviewer');
    const { page } = reviewer;
    const row = page.locator(`#project-list [data-project-id="${state.project.id}"]`);
    await row.waitFor({ state: 'visible' });
    const [next] = await Promise.all([
      page.waitForResponse(isApi('GET', new RegExp(`^/api/v1/projects/${state.project.id}/review/next$`))),
      row.locator('[data-action="review"]').click(),
    ]);
    assert.equal(next.status(), 200);
    const item = await next.json();
    await page.locator('#review-editor [data-testid="editor-image_annotation"]').waitFor({ state: 'visible' });
    await page.locator('[data-testid="image-canvas"][data-state="ready"][data-scale]').waitFor();
    const ext = item.task.external_id;
    assert.equal(await page.locator('#review-view').getAttribute('data-assignment-id'), String(state.assignments[ext]));
    assert.equal(ext, 'img-1', 'the oldest pending answer comes first');
    // the worker's answer is in the editor
    await page.locator('[data-testid="object-0"]').filter({ hasText: 'car' }).waitFor();
    assert.match(await page.locator('#review-meta').textContent(), new RegExp(`img-1.*Worker #${state.workerId}`));

    const reject = page.locator('#reject');
    assert.equal(await reject.isDisabled(), true, 'Reject is disabled before a reason and a note');
    assert.equal(await page.locator('#fix').isDisabled(), true, 'Fix is disabled before an edit');
    const options = await page.locator('#reject-reason option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(options, ['', ...REASONS.map((r) => r.code)]);
    await page.locator('#reject-reason').selectOption('loose_box');
    assert.equal(await reject.isDisabled(), true, 'a reason without a note is not enough');
    await page.locator('#reject-note').fill('   ');
    assert.equal(await reject.isDisabled(), true, 'a blank note is not a note');
    await page.locator('#reject-note').fill(NOTE);
    assert.equal(await reject.isDisabled(), false, 'Reject is enabled with a reason and a note');

    // Meanwhile the requester renames the reason: the server refuses the old code (422, field /reason_code).
    const { data: p } = await api('GET', `/api/v1/projects/${state.project.id}`, { expect: 200 });
    await api('PUT', `/api/v1/projects/${state.project.id}/quality`, {
      expect: 200, json: { ...p.quality, reject_reasons: [REASONS[0], RENAMED] },
    });
    const [refused] = await Promise.all([
      page.waitForResponse(isApi('POST', /^\/api\/v1\/assignments\/\d+\/review$/)),
      reject.click(),
    ]);
    assert.equal(refused.status(), 422);
    assert.equal((await refused.json()).field, '/reason_code');
    const fieldError = page.locator('#reject-reason-error');
    await fieldError.waitFor({ state: 'visible' });
    assert.match(await fieldError.textContent(), /not in this project's published list/);
    assert.equal(await page.locator('#reject-reason').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#reject-reason').getAttribute('aria-describedby'), /reject-reason-error/);
    assert.equal(await page.locator('#review-status').getAttribute('data-kind'), 'error');
    // the page fetched the reasons again: the renamed one is offered, none is chosen, Reject waits for it
    await page.locator(`#reject-reason option[value="${RENAMED.code}"]`).waitFor({ state: 'attached' });
    assert.equal(await page.locator('#reject-reason').inputValue(), '');
    assert.equal(await reject.isDisabled(), true);
    assert.equal(await page.locator('#reject-note').inputValue(), NOTE, 'the note is kept');
    await shot(page, 'reviewer-reason-refused');

    await page.locator('#reject-reason').selectOption(RENAMED.code);
    assert.equal(await fieldError.count(), 0, 'the error goes once a reason is chosen again');
    const [done, following] = await Promise.all([
      page.waitForResponse(isApi('POST', new RegExp(`^/api/v1/assignments/${state.assignments['img-1']}/review$`))),
      page.waitForResponse(isApi('GET', new RegExp(`^/api/v1/projects/${state.project.id}/review/next$`))),
      reject.click(),
    ]);
    assert.equal(done.status(), 200);
    const decided = await done.json();
    assert.equal(decided.review_state, 'rejected');
    assert.equal(decided.reason_code, RENAMED.code);
    assert.equal(decided.note, NOTE);
    assert.equal(following.status(), 200, 'the next answer is loaded after a decision');
    await page.locator(`#review-view[data-assignment-id="${state.assignments['img-2']}"]`).waitFor();
    assert.deepEqual(reviewer.errors, []);
  });

  step('reviewer: drag the box of the second answer with the mouse, then Fix saves version 2', async () => {
    const { page } = reviewer;
    await page.locator('[data-testid="image-canvas"][data-state="ready"][data-scale]').waitFor();
    await page.locator('[data-testid="object-0"]').filter({ hasText: 'car' }).waitFor();
    assert.equal(await page.locator('#reject-reason').inputValue(), '', 'the form starts empty for the next answer');
    assert.equal(await page.locator('#reject-note').inputValue(), '');
    await page.locator('[data-testid="image-canvas"]').scrollIntoViewIfNeeded();
    const [x, y, w, h] = BOXES['img-2'];
    // move the box by (+40, +30): press inside it, drag
    await drag(page, [x + w / 2, y + h / 2], [x + w / 2 + 40, y + h / 2 + 30]);
    // then pull its bottom-right corner by (+20, +20)
    await drag(page, [x + 40 + w, y + 30 + h], [x + 40 + w + 20, y + 30 + h + 20]);
    const expected = [x + 40, y + 30, w + 20, h + 20];
    await page.waitForFunction(() => !document.querySelector('#fix').disabled);
    await shot(page, 'reviewer-fix');

    const [fixed, following] = await Promise.all([
      page.waitForResponse(isApi('POST', new RegExp(`^/api/v1/assignments/${state.assignments['img-2']}/review$`))),
      page.waitForResponse(isApi('GET', new RegExp(`^/api/v1/projects/${state.project.id}/review/next$`))),
      page.locator('#fix').click(),
    ]);
    const sent = JSON.parse(fixed.request().postData());
    assert.equal(sent.decision, 'fix');
    assert.equal(fixed.status(), 200, await fixed.text());
    assert.equal((await fixed.json()).answer_version, 2);
    assert.equal(following.status(), 204);
    await page.locator('#empty-state').waitFor({ state: 'visible' });
    assert.match(await page.locator('#empty-state').textContent(), /Nothing to review/);
    assert.match(await page.locator('#review-status').textContent(), /Fixed.*Nothing to review/);
    await shot(page, 'reviewer-nothing-left');
    assert.deepEqual(reviewer.errors, []);
    await reviewer.context.close();

    const { data: hist } = await api('GET', `/api/v1/assignments/${state.assignments['img-2']}/history`, { token: tokens.reviewer, expect: 200 });
    assert.deepEqual(hist.versions.map((v) => [v.version, v.source]), [[1, 'worker'], [2, 'review_fix']]);
    assert.deepEqual(hist.versions[0].answer.objects[0].bbox, BOXES['img-2'], 'the worker\'s version is kept');
    const box = hist.versions[1].answer.objects[0];
    assert.equal(box.class, 'car');
    expected.forEach((v, i) => near(box.bbox[i], v, 3, `bbox[${i}] of ${JSON.stringify(box.bbox)}`));
    assert.equal(hist.versions[1].author_id, state.reviewerId);
    assert.equal(hist.reviews[0].decision, 'fix');
  });

  step('worker: "Decisions on my work" shows the rejection with its reason, note and reviewer', async () => {
    const { context, page, errors } = await signIn(WORKER, '/worker');
    try {
      const rejected = page.locator(`#decision-list li[data-decision="reject"][data-assignment-id="${state.assignments['img-1']}"]`);
      await rejected.waitFor({ state: 'visible' });
      assert.match(await rejected.locator('[data-role="reason"]').textContent(), new RegExp(`${RENAMED.title}.*${RENAMED.code}`));
      assert.equal(await rejected.locator('[data-role="note"]').textContent(), NOTE);
      assert.equal(await rejected.locator('[data-role="reviewer"]').textContent(), REVIEWER.name);
      assert.match(await rejected.textContent(), /Rejected.*Quality test: cars/);
      const fixed = page.locator(`#decision-list li[data-decision="fix"][data-assignment-id="${state.assignments['img-2']}"]`);
      await fixed.waitFor({ state: 'visible' });
      assert.equal(await fixed.locator('[data-role="reviewer"]').textContent(), REVIEWER.name);
      // the fixed version, on request
      await fixed.locator('summary').click();
      await fixed.locator('.versions li').nth(1).waitFor();
      assert.match(await fixed.locator('.versions').textContent(), new RegExp(`Version 1 \\(your answer.*Version 2 \\(by ${REVIEWER.name}`, 's'));
      // my quality: per project figures, the gold mistake explained, the test passed and paid, the rule event
      const goldRow = page.locator(`#quality-projects tr[data-project-id="${state.gold.id}"]`);
      await goldRow.waitFor();
      const figures = await goldRow.locator('th, td').allTextContents();
      assert.deepEqual([...figures.slice(0, 3), ...figures.slice(4)], ['Quality test: gold', '2', '50%', '0.5', 'normal']);
      assert.match(figures[3], /^\d+%$/, 'estimated accuracy');
      const mistakes = page.locator('#gold-mistakes > li');
      assert.equal(await mistakes.count(), 1);
      assert.equal(await mistakes.locator('[data-role="answer"]').textContent(), 'positive');
      assert.equal(await mistakes.locator('[data-role="expected"]').textContent(), 'negative');
      assert.equal(await mistakes.locator('[data-role="explanation"]').textContent(), GOLD_EXPLANATION);
      assert.match(await mistakes.locator('[data-role="difference"]').textContent(), /negative/);
      const test = page.locator(`#qualifications tr[data-project-id="${state.qual.id}"]`);
      assert.equal(await test.getAttribute('data-state'), 'passed');
      assert.match(await page.locator('#skills').textContent(), /sentiment: 100/);
      assert.equal(await page.locator('#qualification-pay tbody tr').count(), 2);
      assert.match(await page.locator('[data-role="owed-total"]').textContent(), /Owed in total: \$\d+\.\d{2}/);
      const event = page.locator('#rule-events li[data-action="lower_weight"]');
      assert.match(await event.textContent(), /Quality test: gold.*gold-low.*count half/);
      await shot(page, 'worker-quality');
      await page.locator('#decisions').scrollIntoViewIfNeeded();
      await shot(page, 'worker-decisions');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  step('requester: the results view lists each task\'s consensus and every answer, drawn over the image', async () => {
    const { context, page, errors } = await signIn(REQUESTER, '/requester', { width: 1280, height: 1400 });
    try {
      const row = page.locator(`#project-list [data-project-id="${state.project.id}"]`);
      await row.waitFor({ state: 'visible' });
      const [results] = await Promise.all([
        page.waitForResponse(isApi('GET', new RegExp(`^/api/v1/projects/${state.project.id}/results$`))),
        row.locator('.project-name').click(),
      ]);
      assert.equal(results.status(), 200);
      await page.locator('#quality-panel').waitFor({ state: 'visible' });
      assert.match(await page.locator('#quality-settings').textContent(), /every answer is reviewed/);
      assert.match(await page.locator('#quality-settings').textContent(), new RegExp(RENAMED.title));

      const t1 = page.locator('#results-body tr[data-external-id="img-1"]');
      const t2 = page.locator('#results-body tr[data-external-id="img-2"]');
      await t1.waitFor();
      await t2.waitFor();
      // task 2: the reviewer's fix is the answer and the consensus
      const fixedAnswer = t2.locator(`[data-role="answers"] li[data-assignment-id="${state.assignments['img-2']}"]`);
      assert.equal(await fixedAnswer.getAttribute('data-review-state'), 'fixed');
      assert.match(await fixedAnswer.textContent(), new RegExp(`${WORKER.name}.*fixed by a reviewer.*1 object: car box at \\(24\\d`));
      assert.match(await t2.locator('[data-role="consensus"] .result-text').textContent(), /^1 object: car box at \(24\d/);
      assert.match(await t2.locator('[data-role="confidence"]').textContent(), /^\d+%$/);
      assert.notEqual(await t2.locator('[data-role="method"]').textContent(), '–');
      assert.match(await t2.locator('[data-role="final"]').textContent(), /^(Final|Not final)$/);
      // the row below draws the consensus and each answer over the image, with a legend
      const f2 = page.locator(`#results-body tr.result-figure[data-figure-for="${await t2.getAttribute('data-task-id')}"]`);
      assert.equal(await f2.locator('svg g[data-layer="consensus"] rect').count(), 1);
      assert.equal(await f2.locator(`svg g[data-layer="answer-${state.assignments['img-2']}"] rect`).count(), 1);
      const drawn = await f2.locator('svg g[data-layer="consensus"] rect').evaluate((r) => ['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k))));
      [240, 130, 140, 110].forEach((v, i) => near(drawn[i], v, 3, `consensus rect ${drawn}`));
      const legend = await f2.locator('.overlay-legend').textContent();
      assert.match(legend, /Consensus/);
      assert.match(legend, new RegExp(WORKER.name));
      await page.waitForFunction(() => [...document.querySelectorAll('.overlay-img')].every((i) => i.complete && i.naturalWidth > 0));
      // a layer can be hidden from the legend
      await f2.locator('.overlay-legend input[data-layer="consensus"]').uncheck();
      assert.equal(await f2.locator('svg g[data-layer="consensus"]').evaluate((g) => getComputedStyle(g).display), 'none');
      await f2.locator('.overlay-legend input[data-layer="consensus"]').check();
      // task 1: the rejected answer is listed as rejected; no consensus is left
      const rejectedAnswer = t1.locator(`[data-role="answers"] li[data-assignment-id="${state.assignments['img-1']}"]`);
      assert.equal(await rejectedAnswer.getAttribute('data-review-state'), 'rejected');
      assert.match(await rejectedAnswer.textContent(), /1 object: car box at \(60, 50\) 120×80/);

      // the worker table
      const w = page.locator(`#workers-body tr[data-worker-id="${state.workerId}"]`);
      await w.waitFor();
      const cells = await w.locator('th, td').allTextContents();
      assert.deepEqual(cells.slice(0, 5), [WORKER.name, 'KE', '2', '1', '0']);
      // agreement between workers (one answer per task here: nothing to compare yet)
      await page.locator('#agreement').getByText(/^Agreement: mean pairwise IoU – over 0 tasks\.$/).waitFor();
      await t2.scrollIntoViewIfNeeded();
      await shot(page, 'requester-results');

      // the filters ask the server again
      const [gold] = await Promise.all([
        page.waitForResponse((r) => isApi('GET', /\/results$/)(r) && new URL(r.url()).searchParams.get('filter') === 'gold'),
        page.locator('#results-filter').selectOption('gold'),
      ]);
      assert.equal(gold.status(), 200);
      await page.locator('#results-status').filter({ hasText: 'No gold tasks to show.' }).waitFor();
      assert.equal(await page.locator('#results-body tr').count(), 0);
      assert.equal(await page.locator('#results-below-field').isHidden(), true);
      await page.locator('#results-filter').selectOption('all'); // (its reply is waited for below)
      await page.locator('#results-body tr[data-external-id="img-2"]').waitFor();
      const [low] = await Promise.all([
        page.waitForResponse((r) => isApi('GET', /\/results$/)(r) && new URL(r.url()).searchParams.get('filter') === 'low_confidence'),
        page.locator('#results-filter').selectOption('low_confidence'),
      ]);
      assert.equal(new URL(low.url()).searchParams.get('below'), '0.7');
      assert.equal(await page.locator('#results-below-field').isVisible(), true);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  step('requester: lidar cuboids of the consensus and of each worker side by side', async () => {
    const { context, page, errors } = await signIn(REQUESTER, '/requester');
    try {
      const row = page.locator(`#project-list [data-project-id="${state.lidar.id}"]`);
      await row.waitFor({ state: 'visible' });
      await row.locator('.project-name').click();
      const task = page.locator('#results-body tr[data-external-id="scan-1"]');
      await task.waitFor();
      const tables = page.locator(`#results-body tr.result-figure[data-figure-for="${await task.getAttribute('data-task-id')}"] .cuboid-compare table`);
      assert.deepEqual(await tables.locator('caption').allTextContents(),
        ['Consensus', `${WORKER.name} (not reviewed)`, `${WORKER2.name} (not reviewed)`]);
      for (const [i, c] of CUBOIDS.entries()) {
        const cells = await tables.nth(i + 1).locator('tbody tr').first().locator('td').allTextContents();
        assert.deepEqual(cells, ['0', 'Car', c.center.join(', '), c.size.join(' × '), String(c.yaw)]);
      }
      const consensus = await tables.first().locator('tbody tr').first().locator('td').allTextContents();
      assert.equal(consensus[1], 'Car');
      assert.match(await task.locator('[data-role="confidence"]').textContent(), /^\d+%$/);
      assert.equal(await task.locator('[data-role="answers"] li').count(), 2);
      await task.scrollIntoViewIfNeeded();
      await shot(page, 'requester-lidar');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
