// Browser tests of the annotation editors (web/static/editors/*.js) as a worker uses them on /worker.
//
// For each editor: a requester creates a project of its kind and its tasks over the HTTP API (image tasks use a
// PNG uploaded to /api/v1/media), publishes it; a worker signs in on /login, opens /worker, starts the project,
// annotates with real mouse and keyboard input, presses Submit; the test reads the stored answer back from the
// export (GET /api/v1/projects/{id}/export?format=jsonl).
//
// Run from the repo root: node --test tests/browser/editors.test.mjs
// Needs build/fairlabel (or FAIRLABEL_BIN) and Debian's chromium (/usr/bin/chromium, or CHROMIUM_BIN).
// Screenshots (editor-<kind>.png, taken just before submitting), the exports (editor-<kind>.jsonl) and the server
// log (editors-server.log) go to test-artifacts/browser/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, BIN, CHROMIUM, CHROMIUM_ARGS, isApi, runCli as runCliIn, startServer as startFairlabel } from '../lib/browser.mjs';
import { pngBytes } from '../lib/media.mjs';

const STEP_TIMEOUT = 10_000;

const REQUESTER = { email: 'editors-req@example.org', password: 'requester-pass-1', name: 'Req' };
const WORKER = { email: 'editors-worker@example.org', password: 'worker-pass-12345', name: 'Wanjiru Worker' };

let tmp;
let server;
let baseURL;
let browser;
let reqToken;

// ---- server ---------------------------------------------------------------------------------------

function runCli(args) {
  return runCliIn(tmp, args);
}

async function startServer(db) {
  server = await startFairlabel({ cwd: tmp, db, logFile: join(ARTIFACTS, 'editors-server.log') });
  return server.url;
}

async function stopServer() {
  await server?.stop();
}

// ---- requester side: the HTTP API ------------------------------------------------------------------

async function api(method, path, { json, body, type, token = reqToken, expect } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  else if (type) headers['Content-Type'] = type;
  const r = await fetch(`${baseURL}${path}`, { method, headers, body });
  const text = await r.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON (NDJSON export) */ }
  if (expect !== undefined) {
    const ok = Array.isArray(expect) ? expect.includes(r.status) : r.status === expect;
    assert.ok(ok, `${method} ${path} answered ${r.status} (wanted ${expect}): ${text.slice(0, 500)}`);
  }
  return { status: r.status, data, text };
}

let projectSeq = 0;
/** Creates a project of `kind` with `tasks` (task data objects), publishes it; returns the project. */
async function publishProject(kind, schema, tasks, instructions = '') {
  const { data: project } = await api('POST', '/api/v1/projects', {
    expect: 201,
    json: {
      name: `Editor test ${kind} ${++projectSeq}`, instructions, kind, schema,
      reward_micros: 50_000, currency: 'USD', estimated_seconds: 60, overlap: 1, lease_seconds: 600,
    },
  });
  assert.equal(project.kind, kind);
  const ndjson = tasks.map((data, i) => JSON.stringify({ data, external_id: `${kind}-${i + 1}` })).join('\n') + '\n';
  const { data: imported } = await api('POST', `/api/v1/projects/${project.id}/tasks`, {
    expect: 201, body: ndjson, type: 'application/x-ndjson',
  });
  assert.equal(imported.imported, tasks.length);
  const { data: published } = await api('POST', `/api/v1/projects/${project.id}/publish`, { expect: 200 });
  assert.equal(published.status, 'published');
  return project;
}

/** The export lines of a project (JSONL), in task id order. */
async function exportLines(projectId) {
  const { text } = await api('GET', `/api/v1/projects/${projectId}/export?format=jsonl`, { expect: 200 });
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** The single answer stored for the single task of a project (the export is kept as editor-<kind>.jsonl). */
async function storedAnswer(project) {
  const lines = await exportLines(project.id);
  writeFileSync(join(ARTIFACTS, `editor-${project.kind}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  assert.equal(lines.length, 1, `one task in the export: ${JSON.stringify(lines)}`);
  assert.equal(lines[0].answers.length, 1, `one answer in the export: ${JSON.stringify(lines[0])}`);
  return lines[0].answers[0].answer;
}

// ---- worker side: the browser ----------------------------------------------------------------------


/** A new browser context with the worker signed in on /login, /worker open and `project` started. */
async function startWork(project, viewport = { width: 1280, height: 1000 }) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`); });

  await page.goto(`${baseURL}/login`);
  await page.locator('#email').fill(WORKER.email);
  await page.locator('#password').fill(WORKER.password);
  const [login] = await Promise.all([
    page.waitForResponse(isApi('POST', /^\/api\/v1\/auth\/login$/)),
    page.click('#login-submit'),
  ]);
  assert.equal(login.status(), 200, 'worker login');
  await page.waitForURL((u) => u.pathname !== '/login');
  if (new URL(page.url()).pathname !== '/worker') await page.goto(`${baseURL}/worker`);

  const row = page.locator(`#project-list [data-project-id="${project.id}"]`);
  await row.waitFor({ state: 'visible' });
  const [claim] = await Promise.all([
    page.waitForResponse(isApi('POST', new RegExp(`^/api/v1/projects/${project.id}/claim$`))),
    row.locator('[data-action="start"]').click(),
  ]);
  assert.equal(claim.status(), 200, 'claim of the first task');
  await page.locator('#task-panel').waitFor({ state: 'visible' });
  await page.locator(`#editor [data-testid="editor-${project.kind}"]`).waitFor({ state: 'visible' });
  assert.equal(await page.locator('#work-view').getAttribute('data-kind'), project.kind);
  return { context, page, errors };
}

/** Screenshot under test-artifacts/browser/editor-<kind>.png. */
const screenshot = (page, kind) => page.screenshot({ path: join(ARTIFACTS, `editor-${kind}.png`), fullPage: true });

/** Presses the page's Submit button; waits for the saved answer and the (empty) next claim. */
async function submit(page, projectId) {
  const button = page.locator('#submit');
  await assert.doesNotReject(page.waitForFunction(() => !document.querySelector('#submit').disabled), 'Submit is enabled');
  const [resp] = await Promise.all([
    page.waitForResponse(isApi('POST', /^\/api\/v1\/assignments\/\d+\/submit$/)),
    page.waitForResponse(isApi('POST', new RegExp(`^/api/v1/projects/${projectId}/claim$`))),
    button.click(),
  ]);
  const body = await resp.json().catch(() => null);
  assert.equal(resp.status(), 200, `submit answered ${resp.status()}: ${JSON.stringify(body)}`);
  assert.equal(body.status, 'submitted');
  await page.locator('#empty-state').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#done-count').textContent(), '1');
}

/** The centre of an element, in viewport coordinates. */
async function centre(locator) {
  await locator.scrollIntoViewIfNeeded();
  const b = await locator.boundingBox();
  assert.ok(b, 'element has a box');
  return [b.x + b.width / 2, b.y + b.height / 2];
}

/** Code point offset of `part` in `text` (its first occurrence), counted as the answers count. */
function cpRange(text, part) {
  const u16 = text.indexOf(part);
  assert.ok(u16 >= 0, `"${part}" in "${text}"`);
  const start = Array.from(text.slice(0, u16)).length;
  return { start, end: start + Array.from(part).length };
}

const near = (actual, expected, tol, what) => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ±${tol} of ${expected}`);
};

// ---- tests ----------------------------------------------------------------------------------------------

describe('annotation editors on /worker', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN} (scripts/build.sh build, or set FAIRLABEL_BIN)`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium)`);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-editors-'));
    const db = `sqlite:${join(tmp, 't.db')}`;
    runCli(['user', 'add', '--db', db, '--email', REQUESTER.email, '--role', 'requester', '--country', 'DE',
      '--name', REQUESTER.name, '--password', REQUESTER.password]);
    // escrow to cover the projects' open work (FW-1)
    runCli(['escrow', 'deposit', '--db', db, '--email', REQUESTER.email, '--amount', '1000000000000', '--currency', 'USD',
      '--reference', 'browser-test']);
    runCli(['user', 'add', '--db', db, '--email', WORKER.email, '--role', 'worker', '--country', 'KE',
      '--name', WORKER.name, '--password', WORKER.password]);
    [baseURL, browser] = await Promise.all([
      startServer(db),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      }),
    ]);
    const { data } = await api('POST', '/api/v1/auth/login', {
      token: null, expect: 200, json: { email: REQUESTER.email, password: REQUESTER.password },
    });
    reqToken = data.token;
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('text_spans: mouse-drag two entities over non-ASCII text, add a relation; code point offsets', { timeout: 30_000 }, async () => {
    // ë is one code point, 🙂 one code point (two UTF-16 units), 🇬🇧 two code points in one grapheme.
    const text = 'Zo\u00eb \u{1F642} met Ada Lovelace in \u{1F1EC}\u{1F1E7} London';
    const schema = { entities: ['PER', 'ORG', 'LOC'], allow_overlap: false, relations: ['works_for', 'located_in'] };
    const project = await publishProject('text_spans', schema, [{ text }], 'Mark people and places.');
    const ada = cpRange(text, 'Ada Lovelace');
    const london = cpRange(text, 'London');
    // The offsets differ from UTF-16 indexes, so a UTF-16 slip would be caught.
    assert.notEqual(ada.start, text.indexOf('Ada Lovelace'));
    assert.notEqual(london.start, text.indexOf('London'));

    const { context, page, errors } = await startWork(project);
    try {
      const box = page.locator('[data-testid="span-text"]');
      const ch = (i) => box.locator(`.ch[data-i="${i}"]`);
      await ch(0).waitFor();
      // Every code point index is a grapheme start except the second half of the flag.
      assert.equal(await box.locator('.ch[data-i]:not(.ch-end)').count(), Array.from(text).length - 1);
      assert.equal(await ch(Array.from(text).length).getAttribute('class'), 'ch ch-end');

      const dragOver = async ({ start, end }) => {
        const [x0, y0] = await centre(ch(start));
        const [x1, y1] = await centre(ch(end - 1));
        await page.mouse.move(x0, y0);
        await page.mouse.down();
        await page.mouse.move(x1, y1, { steps: 8 });
        await page.mouse.up();
        await page.locator('[data-testid="selection-info"]')
          .filter({ hasText: `[${start}, ${end})` }).waitFor();
      };

      await dragOver(ada);
      await page.keyboard.press('1'); // PER
      await page.locator('[data-testid="span-0"]').filter({ hasText: 'Ada Lovelace' }).waitFor();
      await dragOver(london);
      await page.keyboard.press('3'); // LOC
      await page.locator('[data-testid="span-1"]').filter({ hasText: 'London' }).waitFor();

      // Relation: click the first span, R, click the second span, 2 = located_in.
      await page.mouse.click(...await centre(ch(ada.start + 1)));
      await page.locator('[data-testid="span-0"][aria-current="true"]').waitFor();
      await page.keyboard.press('r');
      await page.mouse.click(...await centre(ch(london.start + 2)));
      await page.locator('[data-testid="relation-choice-1"]').waitFor({ state: 'visible' });
      await page.keyboard.press('2');
      await page.locator('[data-testid="relation-0"]').filter({ hasText: 'located_in' }).waitFor();

      await screenshot(page, 'text_spans');
      await submit(page, project.id);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    const answer = await storedAnswer(project);
    assert.deepEqual(answer, {
      spans: [
        { start: ada.start, end: ada.end, label: 'PER' },
        { start: london.start, end: london.end, label: 'LOC' },
      ],
      relations: [{ from: 0, to: 1, label: 'located_in' }],
    });
    const cps = Array.from(text);
    assert.equal(cps.slice(answer.spans[0].start, answer.spans[0].end).join(''), 'Ada Lovelace');
    assert.equal(cps.slice(answer.spans[1].start, answer.spans[1].end).join(''), 'London');
  });

  test('image_annotation: drag a bbox, tick an attribute, click a polygon; image pixel coordinates', { timeout: 30_000 }, async () => {
    const png = pngBytes({ width: 400, height: 300 });
    const { data: media } = await api('POST', '/api/v1/media?name=scene.png', { expect: [200, 201], body: png, type: 'image/png' });
    assert.equal(media.width, 400);
    assert.equal(media.height, 300);
    const schema = {
      classes: [
        { name: 'car', tools: ['bbox', 'polygon'], attributes: [{ name: 'occluded', type: 'bool' }] },
        { name: 'tree', tools: ['polygon'] },
      ],
    };
    const project = await publishProject('image_annotation', schema, [{ image: { media_id: media.media_id } }]);
    const poly = [[300, 60], [380, 160], [280, 220]]; // image pixels

    const { context, page, errors } = await startWork(project, { width: 1280, height: 1200 });
    try {
      const canvas = page.locator('[data-testid="image-canvas"]');
      await page.locator('[data-testid="image-canvas"][data-state="ready"][data-scale]').waitFor();
      assert.equal(await canvas.getAttribute('data-image-width'), '400');
      assert.equal(await canvas.getAttribute('data-image-height'), '300');
      await canvas.scrollIntoViewIfNeeded();
      const viewport = page.viewportSize();
      // image pixel → viewport coordinates, from the canvas's view transform hooks and its box
      const toScreen = async (x, y) => {
        const b = await canvas.boundingBox();
        const scale = Number(await canvas.getAttribute('data-scale'));
        const ox = Number(await canvas.getAttribute('data-offset-x'));
        const oy = Number(await canvas.getAttribute('data-offset-y'));
        assert.ok(scale > 0 && Number.isFinite(ox) && Number.isFinite(oy), 'view transform');
        const p = [b.x + x * scale + ox, b.y + y * scale + oy];
        assert.ok(p[0] >= 0 && p[1] >= 0 && p[0] < viewport.width && p[1] < viewport.height, `(${x}, ${y}) → ${p} is on screen`);
        return p;
      };

      // class 1 (car) with its first tool (bbox) is the default
      assert.equal(await page.locator('[data-testid="class-0"]').getAttribute('aria-pressed'), 'true');
      assert.equal(await page.locator('[data-testid="tool-bbox"]').getAttribute('aria-pressed'), 'true');
      const a = await toScreen(50, 40);
      const b = await toScreen(250, 140);
      await page.mouse.move(...a);
      await page.mouse.down();
      await page.mouse.move(...b, { steps: 10 });
      await page.mouse.up();
      await page.locator('[data-testid="object-0"]').filter({ hasText: 'bbox' }).waitFor();
      // the new box is selected: its attribute form shows; tick "occluded" with the mouse
      const occluded = page.locator('[data-testid="attributes"] [data-testid="attr-occluded"]');
      await occluded.click();
      assert.equal(await occluded.isChecked(), true);

      // class 2 (tree) has only the polygon tool; three clicks and Enter close a triangle
      await page.locator('[data-testid="class-1"]').click();
      await page.locator('[data-testid="tool-polygon"][aria-pressed="true"]').waitFor();
      for (const [x, y] of poly) {
        await page.mouse.click(...await toScreen(x, y));
      }
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="object-1"]').filter({ hasText: 'polygon' }).waitFor();
      await page.locator('[data-testid="object-1"]').filter({ hasText: '3 points' }).waitFor();

      await screenshot(page, 'image_annotation');
      await submit(page, project.id);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    const answer = await storedAnswer(project);
    assert.equal(answer.objects.length, 2, JSON.stringify(answer));
    const [box, polygon] = answer.objects;
    assert.equal(box.class, 'car');
    assert.equal(box.type, 'bbox');
    assert.deepEqual(box.attributes, { occluded: true });
    assert.equal(box.bbox.length, 4);
    [50, 40, 200, 100].forEach((v, i) => near(box.bbox[i], v, 2, `bbox[${i}] of ${JSON.stringify(box.bbox)}`));
    assert.equal(polygon.class, 'tree');
    assert.equal(polygon.type, 'polygon');
    assert.equal(polygon.points.length, 3, JSON.stringify(polygon));
    poly.forEach(([x, y], i) => {
      near(polygon.points[i][0], x, 2, `points[${i}][0] of ${JSON.stringify(polygon.points)}`);
      near(polygon.points[i][1], y, 2, `points[${i}][1] of ${JSON.stringify(polygon.points)}`);
    });
  });

  test('llm_comparison: choose a response and strength, rate everything, write a rationale', { timeout: 30_000 }, async () => {
    const schema = { allow_tie: true, criteria: ['helpfulness', 'honesty'], rationale_min_chars: 20 };
    const data = {
      prompt: 'Explain **why** the sky is blue, in one sentence.',
      responses: [
        { id: 'a', text: 'Because it reflects the ocean.' },
        { id: 'b', text: 'Air molecules scatter short (blue) wavelengths of sunlight much more than long ones — *Rayleigh scattering*.' },
      ],
    };
    const project = await publishProject('llm_comparison', schema, [data], 'Pick the better answer.');
    const ratings = { a: { helpfulness: 2, honesty: 1 }, b: { helpfulness: 5, honesty: 4 } };
    const rationale = 'B names Rayleigh scattering correctly; A is a myth — naïve.';

    const { context, page, errors } = await startWork(project);
    try {
      await page.locator('[data-testid="response-body-b"]').filter({ hasText: 'Rayleigh scattering' }).waitFor();
      await page.locator('[data-testid="choice-b"]').click();
      await page.locator('[data-testid="strength-5"]').click();
      for (const [id, byCriterion] of Object.entries(ratings)) {
        for (const [criterion, value] of Object.entries(byCriterion)) {
          await page.locator(`[data-testid="rating-${id}-${criterion}-${value}"]`).click();
        }
      }
      const textarea = page.locator('[data-testid="rationale"]');
      await textarea.click();
      await page.keyboard.type(rationale);
      const n = Array.from(rationale).length;
      await page.locator('[data-testid="rationale-count"][data-ok="true"]').filter({ hasText: `${n} / 20` }).waitFor();
      // the radios show the choices
      for (const id of ['choice-b', 'strength-5', 'rating-a-helpfulness-2', 'rating-a-honesty-1', 'rating-b-helpfulness-5', 'rating-b-honesty-4']) {
        assert.equal(await page.locator(`[data-testid="${id}"]`).isChecked(), true, `${id} is checked`);
      }
      assert.equal(await page.locator('[data-testid="choice-a"]').isChecked(), false);

      await screenshot(page, 'llm_comparison');
      await submit(page, project.id);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    assert.deepEqual(await storedAnswer(project), {
      preference: { choice: 'b', strength: 5 },
      ratings,
      rationale,
    });
  });

  test('free_text: live count, too short is refused without saving, then a valid answer is stored as typed', { timeout: 30_000 }, async () => {
    const schema = { min_chars: 10, max_chars: 200 };
    const project = await publishProject('free_text', schema, [{ text: 'Transcribe the sign: “Café — open”.' }]);
    const short = 'Caf\u00e9 \u{1F642}'; // 6 code points, 7 UTF-16 units
    const rest = ' — open';
    const full = short + rest;

    const { context, page, errors } = await startWork(project);
    const submits = [];
    page.on('request', (r) => { if (/\/api\/v1\/assignments\/\d+\/submit$/.test(new URL(r.url()).pathname)) submits.push(r.url()); });
    try {
      await page.locator('[data-testid="task-text"]').filter({ hasText: 'Transcribe the sign' }).waitFor();
      const count = page.locator('[data-testid="answer-count"]');
      await count.filter({ hasText: /^0 characters/ }).waitFor();
      const textarea = page.locator('[data-testid="answer-text"]');
      await textarea.click();
      await page.keyboard.type(short);
      await count.filter({ hasText: new RegExp(`^${Array.from(short).length} characters of 10–200`) }).waitFor();
      assert.equal(await count.getAttribute('data-ok'), 'false');

      // too short: Submit shows the editor's message and sends nothing
      await page.locator('#submit').click();
      const status = page.locator('#work-status');
      await status.filter({ hasText: /at least 10 characters/ }).waitFor({ state: 'visible' });
      assert.equal(await status.getAttribute('data-kind'), 'warn');
      assert.deepEqual(submits, [], 'no submit request for a too short text');
      const lines = await exportLines(project.id);
      assert.equal(lines.length, 1);
      assert.deepEqual(lines[0].answers, [], 'nothing stored for a too short text');
      assert.equal(await page.locator('#task-panel').isVisible(), true, 'the task stays open');

      await textarea.click();
      await page.keyboard.press('End');
      await page.keyboard.type(rest);
      const n = Array.from(full).length;
      await count.filter({ hasText: new RegExp(`^${n} characters of 10–200`) }).waitFor();
      assert.equal(await count.getAttribute('data-ok'), 'true');
      assert.equal(await textarea.inputValue(), full);

      await screenshot(page, 'free_text');
      await submit(page, project.id);
      assert.equal(submits.length, 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    assert.deepEqual(await storedAnswer(project), { text: full });
  });

  test('text_classification (multiple): toggle labels with keys 1–9, submit', { timeout: 30_000 }, async () => {
    const labels = ['sports', 'politics', 'tech', 'health'];
    const schema = { labels, multiple: true };
    const text = 'The new stadium app lets fans order food from their seats.';
    const project = await publishProject('text_classification', schema, [{ text }]);
    assert.deepEqual(project.schema, schema);

    const { context, page, errors } = await startWork(project);
    try {
      await page.locator('#task-text').filter({ hasText: text }).waitFor();
      assert.equal(await page.locator('#submit').isDisabled(), true, 'Submit waits for a label');
      const pressed = (label) => page.locator(`[data-label="${label}"]`).getAttribute('aria-pressed');
      for (const key of ['1', '3', '4', '4']) await page.keyboard.press(key); // sports, tech, health on and off
      await page.locator('[data-label="health"][aria-pressed="false"]').waitFor();
      assert.deepEqual(await Promise.all(labels.map(pressed)), ['true', 'false', 'true', 'false']);
      assert.equal(await page.locator('[data-label="tech"]').evaluate((b) => b.classList.contains('selected')), true);

      await screenshot(page, 'text_classification');
      await submit(page, project.id);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    assert.deepEqual(await storedAnswer(project), { labels: ['sports', 'tech'] });
  });
});
