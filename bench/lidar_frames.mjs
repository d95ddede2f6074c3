// bench/lidar_frames.mjs — time to the lidar editor's first rendered frame and frames per second while
// orbiting a 120k-point cloud (KITTI 000001), in headless Chromium, timed with performance.now() in the page.
//
// Reference in the same run: the requestAnimationFrame rate of a blank page on the same origin during the
// same mouse-drag loop (the headless compositor's cadence), so orbit fps is also given as a ratio of it; and
// the first frame of a tiny cloud (1,000 of the same points) for the fixed costs (page, three.js, shaders).
//
// The editor is mounted as in tests/browser/lidar.test.mjs, on a page of its own that Playwright's page.route
// answers on the fairlabel origin. By default the clouds come from the server itself: the KITTI .bin (read in
// place, never copied into the repository) and a 1,000-point subset are uploaded to a temporary database
// (POST /api/v1/media, converted to FLPC there) and the signed-in page fetches /api/v1/media/{id}/points.
// --routed-cloud instead converts in JS and answers the points request with page.route, as the test does
// (that adds Playwright's proxying to the load time). The editor and three.js come from the server (from
// disk, proxied, while it does not serve /static/ sub-folders; the JSON says so).
//
// usage: node bench/lidar_frames.mjs [--runs N] [--orbit-seconds S] [--tiny-points N] [--routed-cloud]
// env:   FAIRLABEL_BIN (build/fairlabel), CHROMIUM_BIN (/usr/bin/chromium), LIDAR_SAMPLE (the KITTI .bin)
// Writes build/bench-lidar_frames.json. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BIN, CHROMIUM, CHROMIUM_ARGS, ROOT, runCli, startServer } from '../tests/lib/browser.mjs';
import { kittiToFlpc } from '../tests/lib/media.mjs';

const opts = { runs: 5, 'orbit-seconds': 3, 'tiny-points': 1000 };
let ROUTED = false;
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '-h' || a === '--help') {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(0, 18).join('\n'));
    process.exit(0);
  }
  if (a === '--routed-cloud') { ROUTED = true; continue; }
  const k = a.replace(/^--/, '');
  if (!(k in opts) || !a.startsWith('--')) { console.error(`lidar_frames: unknown argument ${a}`); process.exit(2); }
  opts[k] = Number(process.argv[++i]);
  if (!(opts[k] > 0)) { console.error(`lidar_frames: ${a} needs a positive number`); process.exit(2); }
}
const RUNS = Math.floor(opts.runs), ORBIT_MS = opts['orbit-seconds'] * 1000, TINY = Math.floor(opts['tiny-points']);

const KITTI = process.env.LIDAR_SAMPLE || join(ROOT, '..', 'shared', 'data', 'lidar', 'kitti', 'velodyne', '000001.bin');
const OUT = join(ROOT, 'build', 'bench-lidar_frames.json');
const CSP = "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; script-src 'self'; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const VIEWPORT = { width: 1400, height: 900 };
const SIDE_W = 330; // the editor's side panel; the main 3D view is left of it
const SCHEMA = { classes: [{ name: 'Car', attributes: [] }, { name: 'Pedestrian', attributes: [] }] };
const EMAIL = 'bench-requester@example.org', PASSWORD = 'bench-password-123';

for (const [what, file] of [['fairlabel binary', BIN], ['chromium', CHROMIUM], ['KITTI sample', KITTI]]) {
  if (!existsSync(file)) { console.error(`lidar_frames: no ${what} at ${file}`); process.exit(1); }
}

// Every `stride`-th point of a KITTI velodyne .bin (float32 x, y, z, reflectance), as .bin bytes.
function kittiSubset(raw, stride) {
  const all = Math.floor(raw.length / 16), n = Math.ceil(all / stride);
  const out = Buffer.alloc(n * 16);
  for (let j = 0; j < n; j++) raw.copy(out, j * 16, j * stride * 16, j * stride * 16 + 16);
  return out;
}

const page = (title, script) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/static/app.css">
${script ? `<script type="module" src="${script}"></script>` : ''}</head>
<body><main><div id="host"></div></main></body></html>`;
// mountAt is on the page's performance.now() clock, whose origin is the navigation start.
const mountModule = (mediaId) => `
import { mount } from '/static/editors/lidar.js';
window.__mountAt = performance.now();
window.__editor = mount(document.getElementById('host'), {
  task: { id: 1, data: { pointcloud: { media_id: '${mediaId}' } } },
  project: { id: 1, kind: 'lidar_cuboids', schema: ${JSON.stringify(SCHEMA)} },
});
`;

const notes = [];
let baseURL, serveStaticFromDisk = false;
const clouds = {}; // name -> { count, mediaId, flpc? }

async function routes(context) {
  const html = (body) => (route) => route.fulfill({
    status: 200, contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': CSP }, body,
  });
  await context.route(`${baseURL}/__bench_blank`, html(page('blank', null)));
  await context.route(`${baseURL}/__bench_lidar_*`, (route) => {
    const name = new URL(route.request().url()).pathname.slice('/__bench_lidar_'.length);
    if (name.endsWith('.mjs')) {
      return route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: mountModule(clouds[name.slice(0, -4)].mediaId) });
    }
    return html(page(`lidar ${name}`, `/__bench_lidar_${name}.mjs`))(route);
  });
  if (ROUTED) {
    await context.route(/\/api\/v1\/media\/routed-[a-z]+\/points$/, (route) => {
      const name = new URL(route.request().url()).pathname.split('/')[4].slice('routed-'.length);
      return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: clouds[name].flpc });
    });
  } else {
    // the session cookie, so the page may fetch the requester's own media
    const r = await context.request.post(`${baseURL}/api/v1/auth/login`, { data: { email: EMAIL, password: PASSWORD } });
    if (!r.ok()) throw new Error(`login in the browser context: HTTP ${r.status()}`);
  }
  if (serveStaticFromDisk) {
    await context.route(/\/static\/(editors|vendor)\//, async (route) => {
      const rel = new URL(route.request().url()).pathname.replace(/^\/static\//, '');
      await route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(join(ROOT, 'web', 'static', rel)) });
    });
  }
}

// Holds the mouse down in the middle of the main view and moves it for ORBIT_MS, as fast as Playwright
// delivers moves (each waits for the page to take the event); counts rAF callbacks (and editor renders,
// when there is an editor) on the page's clock.
async function dragLoop(pg, withEditor) {
  const box = await pg.evaluate(() => {
    const v = document.querySelector('.fl-lidar-viewer');
    const r = v ? v.getBoundingClientRect() : { x: 0, y: 0, width: innerWidth, height: innerHeight };
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  const cx = box.x + (withEditor ? (box.width - SIDE_W) / 2 : box.width / 2), cy = box.y + box.height / 2;
  await pg.mouse.move(cx, cy);
  await pg.mouse.down();
  await pg.evaluate(() => {
    window.__perf = { raf: 0, stop: false, r0: window.__editor?.debug.frames ?? 0, t0: performance.now() };
    const tick = () => { if (window.__perf.stop) return; window.__perf.raf++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const tEnd = Date.now() + ORBIT_MS;
  let moves = 0;
  while (Date.now() < tEnd) {
    moves++;
    await pg.mouse.move(cx + 200 * Math.sin(moves / 15), cy + 60 * Math.sin(moves / 23));
  }
  const s = await pg.evaluate(() => {
    const p = window.__perf;
    p.stop = true;
    return { seconds: (performance.now() - p.t0) / 1000, raf: p.raf, renders: (window.__editor?.debug.frames ?? 0) - p.r0 };
  });
  await pg.mouse.up();
  return {
    seconds: round(s.seconds, 3), mouse_moves: moves, moves_per_s: round(moves / s.seconds, 1),
    raf_fps: round(s.raf / s.seconds, 1), ...(withEditor ? { render_fps: round(s.renders / s.seconds, 1), renders: s.renders } : {}),
  };
}

// Opens the editor on a cloud in a fresh page; first-frame times come from the page's own clock.
async function openEditor(context, name) {
  const pg = await context.newPage();
  const errors = [];
  pg.on('pageerror', (e) => errors.push(e.message));
  pg.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const tWall = performance.now();
  await pg.goto(`${baseURL}/__bench_lidar_${name}`);
  await pg.waitForFunction(() => window.__editor?.debug.firstFrameMs != null || document.querySelector('.fl-lidar[data-state="error"]'),
    null, { timeout: 120_000, polling: 10 });
  const wall = performance.now() - tWall;
  if (errors.length || await pg.$('.fl-lidar[data-state="error"]')) {
    throw new Error(`the editor failed on ${name}: ${errors.join('; ')} ${await pg.locator('.fl-lidar-status').textContent()}`);
  }
  await pg.waitForFunction(() => window.__editor.debug.fullFrameMs !== undefined, null, { timeout: 60_000 });
  const r = await pg.evaluate(() => {
    const d = window.__editor.debug;
    const nav = performance.getEntriesByType('navigation')[0];
    const pts = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/points'));
    return {
      points: d.count, mount_at_ms: window.__mountAt, first_frame_since_mount_ms: d.firstFrameMs,
      first_frame_since_navigation_ms: window.__mountAt + d.firstFrameMs, loaded_since_mount_ms: d.loadMs,
      points_request_start_since_mount_ms: pts ? pts.startTime - window.__mountAt : null,
      points_fetch_ms: pts ? pts.responseEnd - pts.startTime : null,
      dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null, full_frame_ms: d.fullFrameMs,
      lod_while_moving: d.lodEnabled ? d.lodStride : 0,
    };
  });
  return { pg, r: { ...r, wall_goto_to_first_frame_ms: round(wall, 1) } };
}

const launch = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--enable-unsafe-swiftshader'] });

// A fresh browser; the blank page is opened first (and its drag loop run when `reference`), so every editor
// page pays the same warm-browser, cold-page costs and compiles its shaders itself.
async function inBrowser(reference, fn) {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    await routes(context);
    const blank = await context.newPage();
    await blank.goto(`${baseURL}/__bench_blank`);
    await blank.waitForTimeout(200);
    const blankDrag = reference ? await dragLoop(blank, false) : null;
    await blank.close();
    return { blank: blankDrag, ...(await fn(context)) };
  } finally {
    await browser.close();
  }
}

async function oneRun() {
  const a = await inBrowser(true, async (context) => {
    const { pg, r: full } = await openEditor(context, 'full');
    if (full.points !== clouds.full.count) throw new Error(`editor loaded ${full.points} points, expected ${clouds.full.count}`);
    const renderer = await pg.evaluate(() => {
      const gl = document.querySelector('.fl-lidar-canvas').getContext('webgl2');
      const d = gl && gl.getExtension('WEBGL_debug_renderer_info');
      return gl ? gl.getParameter(d ? d.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null;
    });
    full.orbit = await dragLoop(pg, true);
    if (full.orbit.renders < 2) throw new Error(`the editor did not re-render while orbiting: ${JSON.stringify(full.orbit)}`);
    return { renderer, full };
  });
  const b = await inBrowser(false, async (context) => {
    const { pg, r: tiny } = await openEditor(context, 'tiny');
    if (tiny.points !== clouds.tiny.count) throw new Error(`editor loaded ${tiny.points} points, expected ${clouds.tiny.count}`);
    tiny.orbit = await dragLoop(pg, true);
    return { tiny };
  });
  return { renderer: a.renderer, blank: a.blank, full: a.full, tiny: b.tiny };
}

const round = (v, d = 1) => (v == null ? v : Math.round(v * 10 ** d) / 10 ** d);
function stats(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return { median: round(v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, 2), min: round(v[0], 2), max: round(v[v.length - 1], 2) };
}

// ---- main ---------------------------------------------------------------------------------------
const raw = readFileSync(KITTI);
const fullCount = Math.floor(raw.length / 16);
const subsets = { full: raw.subarray(0, fullCount * 16), tiny: kittiSubset(raw, Math.ceil(fullCount / TINY)) };
const tmp = mkdtempSync(join(tmpdir(), 'fairlabel-bench-lidar-'));
let server;
const results = [];
try {
  const db = `sqlite:${join(tmp, 'b.db')}`;
  runCli(tmp, ['user', 'add', '--db', db, '--email', EMAIL, '--role', 'requester', '--country', 'DE',
    '--name', 'Bench Requester', '--password', PASSWORD]);
  server = await startServer({ cwd: tmp, db, logFile: join(tmp, 'server.log') });
  baseURL = server.url;
  for (const f of ['editors/lidar.js', 'vendor/three.module.js']) {
    const st = (await fetch(`${baseURL}/static/${f}`)).status;
    if (st !== 200) { serveStaticFromDisk = true; notes.push(`/static/${f}: server answered ${st}; editor files served from disk by page.route`); }
  }
  if (ROUTED) {
    for (const [name, bytes] of Object.entries(subsets)) clouds[name] = { count: bytes.length / 16, mediaId: `routed-${name}`, flpc: kittiToFlpc(bytes) };
    notes.push('--routed-cloud: FLPC converted in JS and delivered by page.route');
  } else {
    const login = await fetch(`${baseURL}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
    if (!login.ok) throw new Error(`login: HTTP ${login.status}`);
    const { token } = await login.json();
    for (const [name, bytes] of Object.entries(subsets)) {
      const up = await fetch(`${baseURL}/api/v1/media?name=${name}.bin`, { method: 'POST', body: bytes,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' } });
      const m = await up.json();
      if (!up.ok || m.points !== bytes.length / 16) throw new Error(`upload of the ${name} cloud: HTTP ${up.status} ${JSON.stringify(m)}`);
      clouds[name] = { count: m.points, mediaId: m.media_id };
    }
  }
  console.error(`lidar_frames: server ${baseURL}; ${RUNS} runs, orbit ${ORBIT_MS / 1000} s; clouds ${clouds.full.count} and ${clouds.tiny.count} points` +
    (ROUTED ? ' (routed)' : ' (served by fairlabel)'));
  for (let i = 0; i < RUNS; i++) {
    const r = await oneRun();
    results.push(r);
    console.error(`run ${i + 1}: first frame ${r.full.first_frame_since_navigation_ms.toFixed(0)} ms since navigation ` +
      `(${r.full.first_frame_since_mount_ms} since mount; tiny ${r.tiny.first_frame_since_mount_ms}); orbit ${r.full.orbit.render_fps} renders/s, ` +
      `${r.full.orbit.raf_fps} rAF/s; blank page ${r.blank.raf_fps} rAF/s; full frame ${r.full.full_frame_ms} ms`);
  }
} finally {
  if (server) await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}

// ---- summary --------------------------------------------------------------------------------------
const pick = (f) => results.map(f);
const summary = {
  first_frame_since_navigation_ms: stats(pick((r) => r.full.first_frame_since_navigation_ms)),
  first_frame_since_mount_ms: stats(pick((r) => r.full.first_frame_since_mount_ms)),
  point_cloud_loaded_since_mount_ms: stats(pick((r) => r.full.loaded_since_mount_ms)),
  points_request_start_since_mount_ms: stats(pick((r) => r.full.points_request_start_since_mount_ms)),
  points_fetch_ms: stats(pick((r) => r.full.points_fetch_ms)),
  wall_goto_to_first_frame_ms: stats(pick((r) => r.full.wall_goto_to_first_frame_ms)),
  full_main_frame_ms: stats(pick((r) => r.full.full_frame_ms)),
  orbit_render_fps: stats(pick((r) => r.full.orbit.render_fps)),
  orbit_raf_fps: stats(pick((r) => r.full.orbit.raf_fps)),
  blank_raf_fps: stats(pick((r) => r.blank.raf_fps)),
  orbit_render_fps_over_blank_raf: stats(pick((r) => r.full.orbit.render_fps / r.blank.raf_fps)),
  orbit_raf_fps_over_blank_raf: stats(pick((r) => r.full.orbit.raf_fps / r.blank.raf_fps)),
  mouse_moves_per_s_orbit: stats(pick((r) => r.full.orbit.moves_per_s)),
  mouse_moves_per_s_blank: stats(pick((r) => r.blank.moves_per_s)),
  orbit_renders_per_mouse_move: stats(pick((r) => r.full.orbit.renders / r.full.orbit.mouse_moves)),
  tiny_first_frame_since_navigation_ms: stats(pick((r) => r.tiny.first_frame_since_navigation_ms)),
  tiny_first_frame_since_mount_ms: stats(pick((r) => r.tiny.first_frame_since_mount_ms)),
  tiny_full_main_frame_ms: stats(pick((r) => r.tiny.full_frame_ms)),
  tiny_orbit_render_fps: stats(pick((r) => r.tiny.orbit.render_fps)),
  first_frame_since_mount_full_over_tiny: stats(pick((r) => r.full.first_frame_since_mount_ms / r.tiny.first_frame_since_mount_ms)),
};
let commit = 'unknown', chromiumVersion = 'unknown';
try { commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a clone */ }
try { chromiumVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]; } catch { /* keep unknown */ }
const report = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores ${cpus()[0]?.model ?? ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  commit, chromium: chromiumVersion, renderer: results[0]?.renderer ?? null,
  sample: { file: KITTI, bytes: statSync(KITTI).size, points: clouds.full.count, tiny_points: clouds.tiny.count },
  cloud_source: ROUTED ? 'page.route (FLPC converted in JS)' : 'fairlabel GET /api/v1/media/{id}/points (uploaded .bin)',
  runs: RUNS, orbit_seconds: ORBIT_MS / 1000, viewport: VIEWPORT,
  lod_while_moving: results[0]?.full.lod_while_moving ? `every ${results[0].full.lod_while_moving}th point while the camera moves` : 'off',
  summary, per_run: results, notes,
};
mkdirSync(join(ROOT, 'build'), { recursive: true });
writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');

const row = (label, s, unit = '') => (s ? console.log(`${label.padEnd(48)} ${String(s.median).padStart(9)}${unit}  (min ${s.min}, max ${s.max})`) : null);
console.log(`\nlidar editor frames — ${report.date}, ${report.machine}, ${chromiumVersion}, ${report.renderer}`);
console.log(`commit ${commit}; ${clouds.full.count} points (KITTI 000001) vs ${clouds.tiny.count} points; ${RUNS} runs; medians; clouds from ${report.cloud_source}\n`);
row('first frame since navigation start, ms', summary.first_frame_since_navigation_ms);
row('first frame since mount, ms', summary.first_frame_since_mount_ms);
row('point cloud fetched+parsed, since mount, ms', summary.point_cloud_loaded_since_mount_ms);
row('  points request sent after mount, ms', summary.points_request_start_since_mount_ms);
row('  points request to last byte, ms', summary.points_fetch_ms);
row('tiny cloud: first frame since navigation, ms', summary.tiny_first_frame_since_navigation_ms);
row('tiny cloud: first frame since mount, ms', summary.tiny_first_frame_since_mount_ms);
row('first frame since mount, 120k / tiny', summary.first_frame_since_mount_full_over_tiny, 'x');
row('one full-resolution main frame (GPU wait), ms', summary.full_main_frame_ms);
row('orbit: editor renders/s', summary.orbit_render_fps);
row('orbit: rAF callbacks/s', summary.orbit_raf_fps);
row('blank page, same drag loop: rAF callbacks/s', summary.blank_raf_fps);
row('orbit renders/s / blank rAF/s', summary.orbit_render_fps_over_blank_raf);
row('tiny cloud: orbit renders/s', summary.tiny_orbit_render_fps);
row('mouse moves/s delivered, orbit', summary.mouse_moves_per_s_orbit);
row('mouse moves/s delivered, blank page', summary.mouse_moves_per_s_blank);
row('orbit: editor renders per mouse move', summary.orbit_renders_per_mouse_move);
console.log(`\nwhile moving: ${report.lod_while_moving}`);
for (const n of notes) console.log(`note: ${n}`);
console.log(`wrote ${OUT}`);
