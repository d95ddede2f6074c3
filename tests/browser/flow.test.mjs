// Browser end-to-end test of fairlabel: requester creates and publishes a project, a worker
// registers and labels every task with the keyboard, the requester sees the progress and exports.
//
// Run from the repo root: node --test tests/browser/
// Needs build/fairlabel (or FAIRLABEL_BIN) and Debian's chromium (/usr/bin/chromium, or CHROMIUM_BIN).
// Screenshots and the server log go to test-artifacts/browser/.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, BIN, CHROMIUM, CHROMIUM_ARGS, runCli as runCliIn, signIn, startServer as startFairlabel, stepper } from '../lib/browser.mjs';

const STEP_TIMEOUT = 15_000;

const REQUESTER = { email: 'req@example.org', password: 'requester-pass-1', name: 'Req' };
const WORKER = {
  email: `worker-${process.pid}@example.org`,
  password: 'worker-pass-12345',
  name: 'Wanjiru Worker',
  country: 'KE',
};
const LABELS = ['positive', 'negative', 'neutral'];
// The worker's choice for each task, keyed by the task text (the claim order is the server's).
const TASKS = [
  { external_id: 'e2e-1', text: 'The delivery was fast and the blender works perfectly.', label: 'positive' },
  { external_id: 'e2e-2', text: 'The screen cracked on the second day and support never replied.', label: 'negative' },
  { external_id: 'e2e-3', text: 'It is a phone case. It fits the phone.', label: 'neutral' },
];
const PROJECT = {
  name: `E2E sentiment ${new Date().toISOString()}`,
  instructions: 'Choose the sentiment of the product review.',
  reward: '0.05',
  currency: 'USD',
  estimatedSeconds: '15',
  overlap: '1',
};

let tmp;
let server;
let baseURL;
let browser;
let shotCounter = 0;
const pageErrors = [];
const { step, state } = stepper(60_000, { projectId: null, workerId: null, chosen: new Map(), failed: false });

function runCli(args) {
  return runCliIn(tmp, args);
}

async function startServer(db) {
  server = await startFairlabel({ cwd: tmp, db, logFile: join(ARTIFACTS, 'server.log') });
  return server.url;
}

async function stopServer() {
  await server?.stop();
}

async function shot(page, name) {
  shotCounter += 1;
  const file = join(ARTIFACTS, `${String(shotCounter).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

function watch(page, who) {
  page.on('pageerror', (err) => pageErrors.push(`${who}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log(`[${who} console.error] ${msg.text()}`);
  });
}

// Fill an <input>/<textarea>, or pick an <option> of a <select> (by value, then by label).
async function setField(page, selector, value) {
  const el = page.locator(selector);
  await el.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  const tag = await el.evaluate((e) => e.tagName.toLowerCase());
  if (tag === 'select') {
    try {
      await el.selectOption({ value }, { timeout: 2_000 });
    } catch {
      await el.selectOption({ label: value }, { timeout: 2_000 });
    }
  } else {
    await el.fill(value);
  }
}

// A reply's body, or null when it is gone (the page navigated away before it was read).
async function bodyOf(resp) {
  try {
    const text = await resp.text();
    try { return JSON.parse(text); } catch { return text; }
  } catch {
    return null;
  }
}

function isApi(method, pathRe) {
  return (r) => r.request().method() === method && pathRe.test(new URL(r.url()).pathname);
}

async function login(page, who) {
  // The login page sends the user on to their page (directly or through /).
  await signIn(page, baseURL, who);
  // The session cookie now works for the API (page.request shares the context's cookies).
  const me = await page.request.get(`${baseURL}/api/v1/me`);
  assert.equal(me.status(), 200, 'GET /api/v1/me after login');
  return me.json();
}

describe('fairlabel in the browser: requester → worker → export', { timeout: 300_000 }, () => {
  let reqContext, reqPage, workContext, workPage;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN} (run ninja -C build, or set FAIRLABEL_BIN)`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium)`);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-browser-'));
    const db = `sqlite:${join(tmp, 't.db')}`;
    runCli(['user', 'add', '--db', db, '--email', REQUESTER.email, '--role', 'requester', '--country', 'DE',
      '--name', REQUESTER.name, '--password', REQUESTER.password]);
    // escrow to cover the project's open work (FW-1)
    runCli(['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000000', '--currency', 'USD',
      '--reference', 'browser-test']);
    baseURL = await startServer(db);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    reqContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    workContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    reqContext.setDefaultTimeout(STEP_TIMEOUT);
    workContext.setDefaultTimeout(STEP_TIMEOUT);
    reqPage = await reqContext.newPage();
    workPage = await workContext.newPage();
    watch(reqPage, 'requester');
    watch(workPage, 'worker');
  });

  after(async () => {
    if (state.failed) {
      for (const [p, n] of [[reqPage, 'failure-requester'], [workPage, 'failure-worker']]) {
        try { if (p && !p.isClosed()) await shot(p, n); } catch { /* best effort */ }
      }
    }
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  step('requester logs in on /login', async () => {
    const me = await login(reqPage, REQUESTER);
    assert.equal(me.role, 'requester');
    assert.equal(me.email, REQUESTER.email);
    if (new URL(reqPage.url()).pathname !== '/requester') await reqPage.goto(`${baseURL}/requester`);
    await reqPage.locator('#project-create').waitFor({ state: 'visible' });
    await shot(reqPage, 'requester-page');
  });

  step('requester creates a project', async () => {
    await setField(reqPage, '#project-name', PROJECT.name);
    await setField(reqPage, '#project-instructions', PROJECT.instructions);
    const labelsTag = await reqPage.locator('#project-labels').evaluate((e) => e.tagName.toLowerCase());
    await setField(reqPage, '#project-labels', LABELS.join(labelsTag === 'textarea' ? '\n' : ', '));
    await setField(reqPage, '#project-reward', PROJECT.reward);
    await setField(reqPage, '#project-currency', PROJECT.currency);
    await setField(reqPage, '#project-estimated-seconds', PROJECT.estimatedSeconds);
    await setField(reqPage, '#project-overlap', PROJECT.overlap);
    await shot(reqPage, 'project-form');
    const [resp] = await Promise.all([
      reqPage.waitForResponse(isApi('POST', /^\/api\/v1\/projects$/)),
      reqPage.click('#project-create'),
    ]);
    const project = await bodyOf(resp);
    assert.equal(resp.status(), 201, `project creation answered ${resp.status()}: ${JSON.stringify(project)}`);
    assert.deepEqual(project.labels, LABELS);
    assert.equal(project.overlap, 1);
    assert.equal(project.reward_micros, 50_000);
    assert.equal(project.currency, 'USD');
    assert.equal(project.estimated_seconds, 15);
    assert.equal(project.status, 'draft');
    state.projectId = project.id;
    const row = reqPage.locator(`[data-project-id="${project.id}"]`);
    await row.first().waitFor({ state: 'visible' });
    await assert.doesNotReject(row.first().getByText(PROJECT.name).first().waitFor({ state: 'visible' }));
    await shot(reqPage, 'project-created');
  });

  step('requester uploads 3 tasks as JSONL and publishes', async () => {
    const file = join(tmp, 'tasks.jsonl');
    writeFileSync(file, TASKS.map((t) => JSON.stringify({ data: { text: t.text }, external_id: t.external_id }))
      .join('\n') + '\n');
    await reqPage.setInputFiles('#tasks-file', file);
    const tasksPath = new RegExp(`^/api/v1/projects/${state.projectId}/tasks$`);
    const [upload] = await Promise.all([
      reqPage.waitForResponse(isApi('POST', tasksPath)),
      reqPage.click('#tasks-upload'),
    ]);
    const uploaded = await bodyOf(upload);
    assert.equal(upload.status(), 201, `upload answered ${upload.status()}: ${JSON.stringify(uploaded)}`);
    assert.equal(uploaded.imported, 3);
    await shot(reqPage, 'tasks-uploaded');

    const row = reqPage.locator(`[data-project-id="${state.projectId}"]`).first();
    const publishPath = new RegExp(`^/api/v1/projects/${state.projectId}/publish$`);
    const [pub] = await Promise.all([
      reqPage.waitForResponse(isApi('POST', publishPath)),
      row.locator('[data-action="publish"]').click(),
    ]);
    const published = await bodyOf(pub);
    assert.equal(pub.status(), 200, `publish answered ${pub.status()}: ${JSON.stringify(published)}`);
    assert.equal(published.status, 'published');
    await reqPage.locator(`[data-project-id="${state.projectId}"]`).first()
      .getByText(/published/i).first().waitFor({ state: 'visible' });
    await shot(reqPage, 'project-published');
  });

  step('worker registers on /register and logs in', async () => {
    await workPage.goto(`${baseURL}/register`);
    await setField(workPage, '#email', WORKER.email);
    await setField(workPage, '#password', WORKER.password);
    await setField(workPage, '#display-name', WORKER.name);
    await setField(workPage, '#country', WORKER.country);
    await shot(workPage, 'register-form');
    const [reg] = await Promise.all([
      workPage.waitForResponse(isApi('POST', /^\/api\/v1\/auth\/register$/)),
      workPage.click('#register-submit'),
    ]);
    const user = await bodyOf(reg);
    assert.equal(reg.status(), 201, `register answered ${reg.status()}: ${JSON.stringify(user)}`);
    if (user && typeof user === 'object') { // null when the page navigated on before it was read
      assert.equal(user.role, 'worker');
      assert.equal(user.email, WORKER.email);
      assert.equal(user.country, WORKER.country);
    }
    // The register page signs the new worker in and moves on by itself; wait for that
    // navigation so it cannot abort ours.
    await workPage.waitForURL((u) => u.pathname === '/worker' || u.pathname === '/login', { timeout: STEP_TIMEOUT });
    await workPage.waitForLoadState('load');
    await shot(workPage, 'registered');
    // Then sign in again through the login form, from a clean session.
    await workPage.goto('about:blank');
    await workPage.context().clearCookies();

    const me = await login(workPage, WORKER);
    assert.equal(me.role, 'worker');
    assert.equal(me.email, WORKER.email);
    assert.equal(me.display_name, WORKER.name);
    assert.equal(me.country, WORKER.country);
    state.workerId = me.id;
    if (new URL(workPage.url()).pathname !== '/worker') await workPage.goto(`${baseURL}/worker`);
    await shot(workPage, 'worker-page');
  });

  step('worker starts the project and labels 3 tasks with the keyboard', async () => {
    const row = workPage.locator(`[data-project-id="${state.projectId}"]`).first();
    await row.waitFor({ state: 'visible' });
    const claimPath = new RegExp(`^/api/v1/projects/${state.projectId}/claim$`);
    const [claim] = await Promise.all([
      workPage.waitForResponse(isApi('POST', claimPath)),
      row.locator('[data-action="start"]').click(),
    ]);
    assert.equal(claim.status(), 200, `first claim answered ${claim.status()}`);
    const taskText = workPage.locator('#task-text');

    for (let i = 1; i <= TASKS.length; i++) {
      await taskText.waitFor({ state: 'visible' });
      await workPage.waitForFunction(
        (texts) => texts.includes(document.querySelector('#task-text')?.textContent.trim()),
        TASKS.map((t) => t.text),
      );
      const text = (await taskText.textContent()).trim();
      assert.ok(!state.chosen.has(text), `task "${text}" was shown twice`);
      const task = TASKS.find((t) => t.text === text);
      const key = String(LABELS.indexOf(task.label) + 1);
      await workPage.keyboard.press(key);
      const button = workPage.locator(`[data-label="${task.label}"]`);
      // The chosen label must be shown as chosen (aria-pressed / aria-checked / a class).
      await workPage.waitForFunction((label) => {
        const b = document.querySelector(`[data-label="${label}"]`);
        return b && (b.getAttribute('aria-pressed') === 'true' || b.getAttribute('aria-checked') === 'true' ||
          /selected|active|chosen|checked/.test(b.className));
      }, task.label);
      assert.equal(await button.count(), 1);
      await shot(workPage, `task-${i}-key-${key}`);

      const expectNext = i < TASKS.length;
      const [submit] = await Promise.all([
        workPage.waitForResponse(isApi('POST', /^\/api\/v1\/assignments\/\d+\/submit$/)),
        workPage.waitForResponse(isApi('POST', claimPath)), // the next claim (204 after the last task)
        workPage.keyboard.press('Enter'),
      ]);
      const submitted = await bodyOf(submit);
      assert.equal(submit.status(), 200, `submit answered ${submit.status()}: ${JSON.stringify(submitted)}`);
      assert.equal(submitted.status, 'submitted');
      state.chosen.set(text, task.label);
      await workPage.locator('#done-count').filter({ hasText: String(i) }).waitFor({ state: 'visible' });
      if (expectNext) {
        await workPage.waitForFunction((prev) => {
          const t = document.querySelector('#task-text');
          return t && t.textContent.trim() !== prev && t.textContent.trim() !== '';
        }, text);
      }
    }
    await workPage.locator('#empty-state').waitFor({ state: 'visible' });
    assert.match(await workPage.locator('#done-count').textContent(), /\b3\b/);
    await shot(workPage, 'worker-empty-state');
    assert.equal(state.chosen.size, 3);
    // the three rewards wait in the worker's pending balance, one line each
    await workPage.goto(`${baseURL}/worker`);
    await workPage.locator('#earnings-body tr[data-cause="submission"]').nth(2).waitFor();
    assert.equal((await workPage.locator('[data-balance="USD-pending"]').textContent()).trim(), '$0.15');
    await workPage.locator('#earnings').scrollIntoViewIfNeeded();
    await shot(workPage, 'worker-earnings');
  });

  step('requester sees 3 answers and exports them', async () => {
    await reqPage.goto(`${baseURL}/requester`);
    const row = reqPage.locator(`[data-project-id="${state.projectId}"]`).first();
    await row.waitFor({ state: 'visible' });
    const progressPath = new RegExp(`^/api/v1/projects/${state.projectId}/progress$`);
    const progressSeen = reqPage.waitForResponse(isApi('GET', progressPath));
    // Select the project (clicking its row, away from its action buttons).
    await row.click({ position: { x: 5, y: 5 } });
    const progressResp = await progressSeen;
    const progress = await bodyOf(progressResp);
    assert.equal(progress.tasks_total, 3);
    assert.equal(progress.answers_submitted, 3);
    assert.equal(progress.tasks_complete, 3);
    await reqPage.waitForFunction(() => {
      const t = document.querySelector('#progress')?.textContent || '';
      return /\b3\b/.test(t) && /answer/i.test(t);
    });
    await shot(reqPage, 'requester-progress');

    const href = await reqPage.locator('#export-link').evaluate((a) => a.href);
    assert.match(new URL(href).pathname, new RegExp(`^/api/v1/projects/${state.projectId}/export$`));
    const exported = await reqPage.evaluate(async (url) => {
      const r = await fetch(url, { credentials: 'same-origin' });
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    }, href);
    assert.equal(exported.status, 200);
    assert.match(exported.type || '', /application\/x-ndjson/);
    writeFileSync(join(ARTIFACTS, 'export.jsonl'), exported.text);
    const lines = exported.text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    for (const line of lines) {
      const task = TASKS.find((t) => t.external_id === line.external_id);
      assert.ok(task, `unexpected export line ${JSON.stringify(line)}`);
      assert.equal(line.data.text, task.text);
      assert.equal(line.answers.length, 1);
      assert.equal(line.answers[0].worker_id, state.workerId);
      assert.deepEqual(line.answers[0].answer, { label: state.chosen.get(task.text) });
      assert.equal(state.chosen.get(task.text), task.label);
    }
    assert.deepEqual(lines.map((l) => l.task_id), [...lines.map((l) => l.task_id)].sort((a, b) => a - b));
  });

  step('no uncaught errors in the pages', async () => {
    assert.deepEqual(pageErrors, []);
  });
});
