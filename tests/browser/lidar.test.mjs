// Browser test of the lidar_cuboids editor (web/static/editors/lidar.js) on a real KITTI frame.
//
// Until the server serves lidar projects end to end, the test mounts the editor on a page of its own:
// Playwright's page.route answers, on the fairlabel origin, /__lidar_test (a minimal page with the same CSP
// as the real pages), /__lidar_test.mjs (mounts the editor) and /api/v1/media/test/points (the FLPC bytes,
// converted in memory from ../shared/data/lidar/kitti/velodyne/000001.bin, read in place; KITTI data is
// non-commercial and never copied into the repository). The editor and three.js come from the running
// fairlabel binary (embedded from web/static/); while the server does not yet serve sub-folders of /static/,
// the test falls back to the files on disk and says so in lidar-perf.json.
//
// Run from the repo root: node --test tests/browser/lidar.test.mjs
// Needs build/fairlabel (or FAIRLABEL_BIN), /usr/bin/chromium (or CHROMIUM_BIN) and the KITTI sample
// (or LIDAR_SAMPLE); skips when the sample is missing. Writes test-artifacts/browser/lidar-*.png and
// test-artifacts/browser/lidar-perf.json.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { kittiToFlpc } from '../lib/media.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.FAIRLABEL_BIN ? resolve(process.env.FAIRLABEL_BIN) : join(ROOT, 'build', 'fairlabel');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
const KITTI = process.env.LIDAR_SAMPLE || join(ROOT, '..', 'shared', 'data', 'lidar', 'kitti', 'velodyne', '000001.bin');
const CSP = "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const SCHEMA = {
  classes: [
    { name: 'Car', attributes: [{ name: 'occluded', type: 'bool' }, { name: 'state', type: 'enum', values: ['parked', 'moving'] }] },
    { name: 'Pedestrian', attributes: [] },
    { name: 'Cyclist', attributes: [] },
  ],
};

// KITTI velodyne .bin → FLPC v1, converted in memory as the server would.
function kittiCloud(file) {
  const raw = readFileSync(file);
  return { bytes: kittiToFlpc(raw), count: Math.floor(raw.length / 16) };
}

// A known object of KITTI 000001: the car behind the ego vehicle (about 680 points, its visible surfaces span
// x -12.8…-9.3, y -1.44…0.34, up to 1.5 m above the road). The test clicks at its middle.
const CAR = { x: -11.05, y: -0.55 };

const TEST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lidar editor test</title>
<link rel="stylesheet" href="/static/app.css">
<script type="module" src="/__lidar_test.mjs"></script></head>
<body><main><div id="host"></div></main></body></html>`;

const testModule = (predictions) => `
import { mount } from '/static/editors/lidar.js';
const editor = mount(document.getElementById('host'), {
  task: { id: 1, data: { pointcloud: { media_id: 'test' } } },
  project: { id: 1, kind: 'lidar_cuboids', schema: ${JSON.stringify(SCHEMA)} },
  predictions: ${JSON.stringify(predictions)},
});
window.__editor = editor;
`;

let tmp, server, serverExited = null, baseURL, browser, cloud;
const car = CAR;
const pageErrors = [];
const notes = [];
const perf = {};

function startServer(db) {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(join(ARTIFACTS, 'lidar-server.log'));
    server = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--threads', '2'], {
      cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FAIRLABEL_DATA_DIR: join(tmp, 'data') },
    });
    let buffered = '';
    let done = false;
    const timer = setTimeout(() => { if (!done) { done = true; reject(new Error(`no listening line:\n${buffered}`)); } }, 20_000);
    server.stdout.pipe(log, { end: false });
    server.stderr.on('data', (chunk) => {
      log.write(chunk);
      if (done) return;
      buffered += chunk.toString('utf8');
      const m = buffered.match(/fairlabel: listening on (http:\/\/[^\s]+)/);
      if (m) { done = true; clearTimeout(timer); resolvePromise(m[1].replace(/\/$/, '')); }
    });
    server.on('exit', (code, signal) => {
      serverExited = { code, signal };
      if (!done) { done = true; clearTimeout(timer); reject(new Error(`fairlabel serve exited (${code ?? signal}):\n${buffered}`)); }
    });
  });
}

async function stopServer() {
  if (!server || serverExited) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const t = setTimeout(() => { if (!serverExited) server.kill('SIGKILL'); }, 5_000);
  await exited;
  clearTimeout(t);
}

// A page with the test routes; the editor's files come from the server, or from disk while it lacks them.
async function openEditor(predictions = null) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`); });
  await page.route(`${baseURL}/__lidar_test`, (route) => route.fulfill({
    status: 200, contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': CSP }, body: TEST_PAGE,
  }));
  await page.route(`${baseURL}/__lidar_test.mjs`, (route) => route.fulfill({
    status: 200, contentType: 'text/javascript; charset=utf-8', body: testModule(predictions),
  }));
  await page.route(`${baseURL}/api/v1/media/test/points`, (route) => route.fulfill({
    status: 200, contentType: 'application/octet-stream', body: cloud.bytes,
  }));
  await page.route(/\/static\/(editors|vendor)\//, async (route) => {
    const resp = await route.fetch();
    if (resp.status() === 200) { await route.fulfill({ response: resp }); return; }
    const rel = new URL(route.request().url()).pathname.replace(/^\/static\//, '');
    const file = join(ROOT, 'web', 'static', rel);
    assert.ok(existsSync(file), `${file} missing (run scripts/vendor-web.sh)`);
    const note = `/static/${rel}: server answered ${resp.status()}, served from disk`;
    if (!notes.includes(note)) notes.push(note);
    await route.fulfill({ status: 200, contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript', body: readFileSync(file) });
  });
  await page.goto(`${baseURL}/__lidar_test`);
  await page.locator('.fl-lidar[data-state="ready"]').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => window.__editor?.debug.firstFrameMs !== null, null, { timeout: 30_000 });
  await page.waitForFunction(() => window.__editor.debug.fullFrameMs !== undefined, null, { timeout: 30_000 });
  await page.focus('.fl-lidar');
  return { context, page };
}

const answer = (page) => page.evaluate(() => window.__editor.getAnswer());

describe('lidar cuboid editor', { timeout: 300_000, skip: existsSync(KITTI) ? false : `no sample at ${KITTI}` }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assert.ok(existsSync(BIN), `no fairlabel binary at ${BIN} (scripts/build.sh build)`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}`);
    cloud = kittiCloud(KITTI);
    tmp = mkdtempSync(join(tmpdir(), 'fairlabel-lidar-'));
    baseURL = await startServer(`sqlite:${join(tmp, 't.db')}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--no-first-run', '--enable-unsafe-swiftshader'],
    });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('place, fit, rotate, undo; first frame and orbit fps', { timeout: 180_000 }, async () => {
    const tNav = Date.now();
    const { context, page } = await openEditor(null);
    try {
      perf.points = cloud.count;
      perf.first_frame_ms_since_mount = await page.evaluate(() => window.__editor.debug.firstFrameMs);
      perf.first_frame_ms_since_navigation_start = await page.evaluate(() => Math.round(performance.now()));
      perf.wall_ms_open_to_ready = Date.now() - tNav;
      perf.point_cloud_loaded_ms_since_mount = await page.evaluate(() => window.__editor.debug.loadMs);
      perf.ground_z = await page.evaluate(() => window.__editor.debug.groundZ);
      perf.renderer = await page.evaluate(() => {
        const gl = document.querySelector('.fl-lidar-canvas').getContext('webgl2');
        const d = gl && gl.getExtension('WEBGL_debug_renderer_info');
        return gl ? gl.getParameter(d ? d.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null;
      });
      assert.equal(await page.locator('.fl-lidar').getAttribute('data-points'), String(cloud.count));
      assert.ok(perf.ground_z > -2.5 && perf.ground_z < -1.0, `ground estimate ${perf.ground_z} for a KITTI frame`);
      await page.screenshot({ path: join(ARTIFACTS, 'lidar-01-3d.png') });

      // bird's-eye view; bring the labelled car to the middle by panning, then zoom in on it
      await page.keyboard.press('b');
      assert.equal((await page.evaluate(() => window.__editor.debug.state())).bev, true);
      const gz = perf.ground_z;
      const carScreen = () => page.evaluate(([x, y, z]) => window.__editor.debug.worldToClient(x, y, z), [car.x, car.y, gz]);
      const main = await page.locator('.fl-lidar-viewer').boundingBox();
      let p = await carScreen();
      const target = { x: main.x + (main.width - 330) / 2, y: main.y + main.height / 2 };
      if (p.y < main.y + 5) { // off the top: pan down first from an empty spot
        await page.mouse.move(target.x, main.y + 40);
        await page.mouse.down();
        await page.mouse.move(target.x, main.y + 240, { steps: 8 });
        await page.mouse.up();
        p = await carScreen();
      }
      await page.mouse.move(p.x, p.y);
      await page.mouse.down();
      await page.mouse.move(target.x, target.y, { steps: 10 });
      await page.mouse.up();
      p = await carScreen();
      assert.ok(Math.abs(p.x - target.x) < 3 && Math.abs(p.y - target.y) < 3, `pan moved the car to ${JSON.stringify(p)}`);
      await page.mouse.move(p.x, p.y);
      for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -240);
      await page.waitForTimeout(100);
      p = await carScreen();
      await page.screenshot({ path: join(ARTIFACTS, 'lidar-02-bev.png') });

      // class 1 (Car), click on the car: one cuboid there
      await page.keyboard.press('1');
      await page.mouse.click(p.x, p.y);
      let a = await answer(page);
      assert.equal(a.objects.length, 1, `one object after the click: ${JSON.stringify(a)}`);
      const placed = a.objects[0];
      assert.equal(placed.class, 'Car');
      assert.ok(Math.hypot(placed.center[0] - car.x, placed.center[1] - car.y) < 0.3,
        `placed at ${placed.center} for a click at ${car.x.toFixed(2)},${car.y.toFixed(2)}`);
      assert.ok(Math.abs(placed.center[2] - (gz + placed.size[2] / 2)) < 0.01, 'bottom on the ground estimate');

      // F: fit to the points inside
      await page.keyboard.press('f');
      a = await answer(page);
      assert.equal(a.objects.length, 1);
      const fitted = a.objects[0];
      const off = Math.hypot(fitted.center[0] - car.x, fitted.center[1] - car.y);
      assert.ok(off < 0.6, `fitted centre ${fitted.center} is ${off.toFixed(2)} m from the click`);
      assert.ok(fitted.size[0] > 2.5 && fitted.size[0] < 4.2, `fitted length ${fitted.size[0]}`);
      assert.ok(fitted.size[1] > 1.2 && fitted.size[1] <= 1.8, `fitted width ${fitted.size[1]}`);
      assert.ok(fitted.size[2] > 1.0 && fitted.size[2] < 2.0, `fitted height ${fitted.size[2]}`);
      assert.ok(Math.abs(fitted.center[2] - fitted.size[2] / 2 - gz) < 0.3, 'fitted bottom near the road');
      assert.ok(fitted.size.every((v) => v > 0), `positive size ${fitted.size}`);
      assert.ok(fitted.size[0] <= placed.size[0] + 1e-9 && fitted.size[1] <= placed.size[1] + 1e-9, 'fit shrinks in x/y');
      assert.notDeepEqual(fitted.size, placed.size, 'fit changed the size');
      perf.fit = { click: [car.x, car.y], placed, fitted, centre_offset_from_click_m: Number(off.toFixed(3)) };
      await page.screenshot({ path: join(ARTIFACTS, 'lidar-03-fitted.png') });

      // E rotates (yaw changes), Ctrl+Z undoes it, Ctrl+Shift+Z redoes it
      const yaw0 = fitted.yaw;
      await page.keyboard.press('e');
      const yaw1 = (await answer(page)).objects[0].yaw;
      assert.notEqual(yaw1, yaw0, 'E changed the yaw');
      assert.ok(Math.abs(Math.abs(yaw1 - yaw0) - 0.087) < 0.002, `E turns by 5°: ${yaw0} → ${yaw1}`);
      await page.keyboard.press('Control+z');
      assert.equal((await answer(page)).objects[0].yaw, yaw0, 'undo restores the yaw');
      await page.keyboard.press('Control+Shift+Z');
      assert.equal((await answer(page)).objects[0].yaw, yaw1, 'redo');
      assert.equal(await page.evaluate(() => window.__editor.validate()), null);
      assert.equal(await page.evaluate(() => window.__editor.isDirty()), true);

      // attribute form and intensity colouring, for the screenshot
      await page.locator('.fl-lidar-attrs input[type="checkbox"]').check();
      assert.equal((await answer(page)).objects[0].attributes.occluded, true);
      await page.focus('.fl-lidar');
      await page.keyboard.press('c');
      assert.equal((await page.evaluate(() => window.__editor.debug.state())).colorMode, 1);
      await page.waitForTimeout(100);
      await page.screenshot({ path: join(ARTIFACTS, 'lidar-04-intensity-views.png') });
      await page.keyboard.press('c');

      // back to 3D; orbit for 2 s with the mouse, counting browser frames and editor renders
      await page.keyboard.press('b');
      const cx = main.x + (main.width - 330) / 2, cy = main.y + main.height / 2;
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.evaluate(() => {
        window.__perf = { raf: 0, stop: false, r0: window.__editor.debug.frames, t0: performance.now() };
        const tick = () => { if (window.__perf.stop) return; window.__perf.raf++; requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      });
      const tEnd = Date.now() + 2000;
      let moves = 0;
      while (Date.now() < tEnd) {
        moves++;
        await page.mouse.move(cx + 200 * Math.sin(moves / 15), cy + 60 * Math.sin(moves / 23));
      }
      const orbitStats = await page.evaluate(() => {
        const p = window.__perf;
        p.stop = true;
        const s = (performance.now() - p.t0) / 1000;
        return { seconds: s, raf: p.raf, renders: window.__editor.debug.frames - p.r0 };
      });
      await page.mouse.up();
      perf.full_main_frame_ms = await page.evaluate(() => window.__editor.debug.fullFrameMs);
      perf.lod_while_moving = await page.evaluate(() => (window.__editor.debug.lodEnabled
        ? `every ${window.__editor.debug.lodStride}th point while the camera moves` : 'off (fast renderer)'));
      perf.orbit = {
        seconds: Number(orbitStats.seconds.toFixed(3)),
        mouse_moves: moves,
        raf_callbacks: orbitStats.raf,
        renders: orbitStats.renders,
        raf_fps: Number((orbitStats.raf / orbitStats.seconds).toFixed(1)),
        render_fps: Number((orbitStats.renders / orbitStats.seconds).toFixed(1)),
      };
      assert.ok(orbitStats.renders > 10, `the view re-rendered while orbiting: ${JSON.stringify(perf.orbit)}`);
      // on demand: once the full-resolution frame after the movement is drawn, nothing renders
      await page.waitForFunction(() => new Promise((res) => {
        const f = window.__editor.debug.frames;
        setTimeout(() => res(window.__editor.debug.frames === f), 300);
      }), null, { timeout: 10_000, polling: 50 });
      const idle0 = await page.evaluate(() => window.__editor.debug.frames);
      await page.waitForTimeout(500);
      perf.idle_renders_in_500ms = (await page.evaluate(() => window.__editor.debug.frames)) - idle0;
      assert.equal(perf.idle_renders_in_500ms, 0, 'no rendering while idle');
      await page.screenshot({ path: join(ARTIFACTS, 'lidar-05-orbit.png') });
    } finally {
      perf.notes = notes;
      writeFileSync(join(ARTIFACTS, 'lidar-perf.json'), JSON.stringify(perf, null, 2) + '\n');
      await context.close();
    }
    assert.deepEqual(pageErrors, [], 'no page errors');
  });

  test('pre-annotations load as editable cuboids and keep their id', { timeout: 120_000 }, async () => {
    const predictions = { objects: [
      { id: 'p1', class: 'Car', center: [10.12345, -3.5, -0.9], size: [4.2, 1.8, 1.6], yaw: 3.14159, attributes: { occluded: true } },
      { id: 'p2', class: 'Pedestrian', center: [8, 4, -0.8], size: [0.8, 0.8, 1.8], yaw: -0.5, attributes: {} },
    ] };
    const { context, page } = await openEditor(predictions);
    try {
      let a = await answer(page);
      assert.equal(a.objects.length, 2);
      assert.deepEqual(a.objects[0], { id: 'p1', class: 'Car', center: [10.123, -3.5, -0.9], size: [4.2, 1.8, 1.6], yaw: 3.141, attributes: { occluded: true } });
      assert.ok(a.objects[0].yaw <= Math.PI);
      // select the second in the list, delete it with the key, then undo
      await page.locator('.fl-lidar-obj').nth(1).locator('[data-act="select"]').click();
      await page.focus('.fl-lidar');
      await page.keyboard.press('Delete');
      a = await answer(page);
      assert.deepEqual(a.objects.map((o) => o.id), ['p1']);
      await page.keyboard.press('Control+z');
      assert.deepEqual((await answer(page)).objects.map((o) => o.id), ['p1', 'p2']);
      // edit the first: still id p1
      await page.locator('.fl-lidar-obj').nth(0).locator('[data-act="select"]').click();
      await page.focus('.fl-lidar');
      await page.keyboard.press('Shift+ArrowUp');
      a = await answer(page);
      assert.equal(a.objects[0].id, 'p1');
      assert.equal(a.objects[0].size[0], 4.3);
      await page.screenshot({ path: join(ARTIFACTS, 'lidar-06-predictions.png') });
    } finally {
      await context.close();
    }
    assert.deepEqual(pageErrors, [], 'no page errors');
  });
});
