// Shared by the browser tests: the fairlabel CLI and server in a temp folder, and headless Chromium.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.FAIRLABEL_BIN ? resolve(process.env.FAIRLABEL_BIN) : join(ROOT, 'build', 'fairlabel');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
// As root Chromium needs --no-sandbox; the network flags keep it off the (closed) internet.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync'];

/** Runs `fairlabel args…` in cwd, asserting exit 0; returns its stdout. */
export function runCli(cwd, args) {
  const r = spawnSync(BIN, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `fairlabel ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Starts `fairlabel serve` on a free port with its output in logFile. Resolves
 * { url, stop() } once it prints its listening line.
 */
export function startServer({ cwd, db, logFile }) {
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--threads', '2'], {
      cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FAIRLABEL_DATA_DIR: join(cwd, 'data') },
    });
    let exited = null, buffered = '', done = false;
    const finish = (fn, v) => { if (!done) { done = true; clearTimeout(timer); fn(v); } };
    const timer = setTimeout(() => finish(reject, new Error(`no listening line within 20 s:\n${buffered}`)), 20_000);
    const stop = async () => {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 5_000);
      await gone;
      clearTimeout(t);
    };
    child.stdout.pipe(log, { end: false });
    child.stderr.on('data', (chunk) => {
      log.write(chunk);
      if (done) return;
      buffered += chunk.toString('utf8');
      const m = buffered.match(/fairlabel: listening on (http:\/\/[^\s]+)/);
      if (m) finish(resolvePromise, { url: m[1].replace(/\/$/, ''), stop });
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      finish(reject, new Error(`fairlabel serve exited (${code ?? signal}) before listening:\n${buffered}`));
    });
    child.on('error', (err) => finish(reject, err));
  });
}

/**
 * The steps of a describe() that run in order: each is a test with timeoutMs that is skipped once an earlier one
 * failed, so the first failure is the one reported. `state.failed` says whether one did (an after() hook can take
 * screenshots then); pass a state object of the test's own to keep its other fields there too.
 */
export function stepper(timeoutMs, state = { failed: false }) {
  const step = (name, fn) => test(name, { timeout: timeoutMs }, async (t) => {
    if (state.failed) return t.skip('an earlier step failed');
    try {
      await fn(t);
    } catch (err) {
      state.failed = true;
      throw err;
    }
  });
  return { step, state };
}

/**
 * Signs `who` ({ email, password }) in on page through baseURL's /login form: asserts the login reply is 200 and
 * waits until the login page has sent the browser on (to `/` or the user's page). Returns the login reply.
 */
export async function signIn(page, baseURL, who) {
  await page.goto(`${baseURL}/login`);
  await page.locator('#email').fill(who.email);
  await page.locator('#password').fill(who.password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/auth/login'),
    page.click('#login-submit'),
  ]);
  if (resp.status() !== 200) {
    const body = await resp.text().catch(() => '');
    assert.fail(`login of ${who.email} answered ${resp.status()}: ${body.slice(0, 400)}`);
  }
  await page.waitForURL((u) => u.pathname !== '/login');
  return resp;
}

/** A page.waitForResponse predicate: a reply to `method` on a path matching pathRe. */
export const isApi = (method, pathRe) => (r) => r.request().method() === method && pathRe.test(new URL(r.url()).pathname);

/** api(method, path, {token, json, expect}) against base() (the server's URL, known once it started):
 * {status, data}; asserts the status when `expect` is given. */
export function jsonApi(base) {
  return async (method, path, { token, json, expect } = {}) => {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base() + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (expect !== undefined) assert.equal(r.status, expect, `${method} ${path}: ${text.slice(0, 400)}`);
    return { status: r.status, data };
  };
}

/** Signs `who` in through the API with a jsonApi client; sets who.id and returns the bearer token. */
export async function apiLogin(api, who) {
  const r = await api('POST', '/api/v1/auth/login', { json: { email: who.email, password: who.password }, expect: 200 });
  who.id = r.data.user.id;
  return r.data.token;
}
