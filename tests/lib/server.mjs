// Test harness for the fairlabel HTTP API (node --test, Node 20 built-ins only).
//
//   const srv = await startServer({ env: { FAIRLABEL_LOGIN_MAX_FAILURES: '3' } });
//   const admin = await srv.createUserCli({ role: 'admin' });   // -> { email, password, role, display_name, country }
//   const token = await srv.login(admin.email, admin.password);
//   const r = await srv.api('GET', '/api/v1/me', { token });     // -> { status, headers, json, text }
//   await srv.stop();
//
// Every server gets a fresh database: a new PostgreSQL database `fl_t_<random>` when FAIRLABEL_TEST_PG_URL is
// set (dropped on stop), otherwise `sqlite:<tmpdir>/t.db` (removed on stop).

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import assert from 'node:assert/strict';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = process.env.FAIRLABEL_BIN || join(REPO_ROOT, 'build', 'fairlabel');

const START_TIMEOUT_MS = 20000;
const live = new Set(); // child processes still running, killed if the test process exits early

process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export function randomId(n = 6) {
  return randomBytes(n).toString('hex');
}

/** Runs a command, resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
export function run(cmd, args, { env = {}, input, timeout = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, timeout, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? err.code : 0, stdout, stderr });
      });
    if (input !== undefined) child.stdin.end(input);
  });
}

function requireBinary() {
  if (!existsSync(BIN)) {
    throw new Error(`fairlabel binary not found at ${BIN}; build it with \`ninja -C build\` or set FAIRLABEL_BIN`);
  }
}

/** Runs the fairlabel CLI; throws with its stderr when it exits non-zero unless allowFail. */
export async function cli(args, { env = {}, input, allowFail = false } = {}) {
  requireBinary();
  const r = await run(BIN, args, { env, input });
  if (r.code !== 0 && !allowFail) {
    throw new Error(`fairlabel ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  }
  return r;
}

/** `fairlabel routes`: the server's route table [{method, pattern, roles, max_body}]. */
export async function routeTable() {
  const r = await cli(['routes']);
  const routes = JSON.parse(r.stdout);
  assert.ok(Array.isArray(routes), '`fairlabel routes` prints a JSON array');
  return routes;
}

/** Path parameters written as {id}, :id or <id> all become {} so patterns compare by shape. */
export function normalisePattern(p) {
  return p.replace(/\{[^}/]*\}|:[A-Za-z_]\w*|<[^>/]*>/g, '{}');
}

/** API routes of the route table (/api/v1/..., /healthz, /readyz) as "METHOD /pattern" keys. */
export function apiRouteKeys(routes) {
  return routes
    .filter((r) => r.pattern.startsWith('/api/v1/') || r.pattern === '/healthz' || r.pattern === '/readyz')
    .map((r) => `${r.method.toUpperCase()} ${normalisePattern(r.pattern)}`);
}

/** A fresh database: a PostgreSQL one when FAIRLABEL_TEST_PG_URL is set, else a SQLite file in its own temp dir. */
export async function createDatabase() {
  const pg = process.env.FAIRLABEL_TEST_PG_URL;
  if (pg) {
    const name = `fl_t_${randomId(6)}`;
    const r = await run('psql', [pg, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`]);
    if (r.code !== 0) throw new Error(`cannot create database ${name}: ${r.stderr}`);
    const u = new URL(pg);
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      async drop() {
        await run('psql', [pg, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'fairlabel-test-'));
  return {
    url: `sqlite:${join(dir, 't.db')}`,
    async drop() { rmSync(dir, { recursive: true, force: true }); },
  };
}

/**
 * Starts `fairlabel serve` on a free port with a fresh database.
 * options.env: extra environment for the server (and for CLI calls made through the handle).
 * options.sameDatabaseAs: another server's handle: this one serves that server's database instead (several
 * servers on one PostgreSQL database); its stop() neither verifies nor drops it, the first server's does.
 */
export async function startServer({ env = {}, threads = 2, sameDatabaseAs } = {}) {
  requireBinary();
  const db = sameDatabaseAs ? { url: sameDatabaseAs.dbUrl, shared: true, async drop() {} } : await createDatabase();
  const serverEnv = { FAIRLABEL_LOG: 'off', ...env };
  // The CLI shares the database with the server; make sure the schema exists before both use it.
  const mig = await run(BIN, ['migrate', '--db', db.url], { env: serverEnv });
  if (mig.code !== 0) {
    await db.drop();
    throw new Error(`fairlabel migrate failed (${mig.code}): ${mig.stderr}`);
  }

  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', db.url, '--threads', String(threads)], {
    env: { ...process.env, ...serverEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  let exited = null;
  const exitPromise = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    live.delete(child);
    resolve(exited);
  }));

  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not print its listening line in ${START_TIMEOUT_MS} ms\n${stderr}`)), START_TIMEOUT_MS);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
        const m = /fairlabel: listening on (http:\/\/[^\s]+:\d+)/.exec(stderr);
        if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
      });
      child.on('error', (e) => { clearTimeout(timer); reject(e); });
      exitPromise.then((e) => { clearTimeout(timer); reject(new Error(`server exited early (${JSON.stringify(e)})\n${stderr}`)); });
    });
  } catch (e) {
    child.kill('SIGKILL');
    await exitPromise;
    await db.drop();
    throw e;
  }

  let stopped = false;
  let killed = false;
  // A crash mid-test shows up as connection errors; say what happened to the server.
  exitPromise.then((e) => {
    if (!stopped && !killed) process.stderr.write(`\nfairlabel server ${url} exited unexpectedly (${JSON.stringify(e)}); stderr tail:\n${stderr.slice(-4000)}\n`);
  });
  const srv = {
    url,
    dbUrl: db.url,
    env: serverEnv,
    stderr: () => stderr,
    /** Ends the process only (SIGKILL: no graceful shutdown); stop() later still verifies and drops. */
    async kill() {
      killed = true;
      if (!exited) child.kill('SIGKILL');
      await exitPromise;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitPromise;
        clearTimeout(t);
      }
      if (db.shared) return;
      // Whatever a test did through the API, the ledger it leaves behind must verify (issue 5).
      const v = await run(BIN, ['ledger', 'verify', '--db', db.url], { env: serverEnv });
      await db.drop();
      if (v.code !== 0) throw new Error(`fairlabel ledger verify failed after the test (${v.code}):\n${v.stdout}${v.stderr}`);
    },
    api: (method, path, opts) => api(url, method, path, opts),
    raw: (method, path, opts) => rawRequest(url, method, path, opts),
    login: (email, password) => login(url, email, password),
    cli: (args, opts = {}) => cli(args, { ...opts, env: { ...serverEnv, ...(opts.env || {}) } }),
    createUserCli: (u) => createUserCli(srv, u),
    createUserApi: (adminToken, u) => createUserApi(url, adminToken, u),
    register: (u) => register(url, u),
  };
  return srv;
}

/**
 * fetch wrapper. body: an object/array is sent as JSON; a string or Buffer is sent as is (set the content type in
 * headers). Returns { status, headers, json, text } where json is the parsed body or undefined.
 */
export async function api(base, method, path, { token, body, headers = {}, cookie } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (cookie) h.cookie = cookie;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Uint8Array) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    }
  }
  const res = await fetch(base + path, { method, headers: h, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json;
  if (text.length && /json/.test(res.headers.get('content-type') || '')) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  return { status: res.status, headers: res.headers, json, text };
}

/**
 * A request over a plain socket, for cases fetch hides: huge URLs and bodies (the server may answer before it
 * has read everything) and exact framing (Transfer-Encoding: chunked). Returns { status, headers (lower-case
 * keys, arrays joined by ", "), text, json, chunked }.
 */
export function rawRequest(base, method, path, { headers = {}, body } = {}) {
  const u = new URL(base);
  const buf = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  if (buf) head += `Content-Length: ${buf.length}\r\n`;
  head += '\r\n';
  return new Promise((resolve, reject) => {
    const chunks = [];
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    sock.setTimeout(20000, () => sock.destroy(new Error('raw request timed out')));
    sock.on('connect', () => {
      sock.write(head);
      if (buf) sock.write(buf);
    });
    sock.on('data', (d) => chunks.push(d));
    // The server may close (or reset) after answering early; whatever arrived is the reply.
    const finish = (err) => {
      const all = Buffer.concat(chunks);
      if (!all.length) return reject(err || new Error('connection closed without a reply'));
      try { resolve(parseResponse(all)); } catch (e) { reject(e); }
    };
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish());
  });
}

function parseResponse(all) {
  const sep = all.indexOf('\r\n\r\n');
  if (sep < 0) throw new Error(`incomplete HTTP reply: ${all.toString().slice(0, 200)}`);
  const lines = all.subarray(0, sep).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] ? `${headers[k]}, ${v}` : v;
  }
  let rest = all.subarray(sep + 4);
  const chunked = /chunked/i.test(headers['transfer-encoding'] || '');
  if (chunked) {
    const parts = [];
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) break;
      const size = parseInt(rest.subarray(0, eol).toString(), 16);
      if (!size) break;
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 2 + size + 2);
    }
    rest = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    rest = rest.subarray(0, Number(headers['content-length']));
  }
  const text = rest.toString('utf8');
  let json;
  if (/json/.test(headers['content-type'] || '')) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  return { status, headers, text, json, chunked };
}

// ---------------------------------------------------------------------------------------------------------
// Users and sessions

let userSeq = 0;
export function newUser(fields = {}) {
  userSeq += 1;
  const role = fields.role || 'worker';
  return {
    email: `${role}-${userSeq}-${randomId(4)}@test.example`,
    password: `pw-${randomId(8)}`,
    display_name: `Test ${role} ${userSeq}`,
    role,
    country: 'KE',
    ...fields,
  };
}

// Requesters made by the helpers get this much escrow in each currency the tests use, so publishing passes
// FW-1 unless a test asks for none ({ escrow: 0 }).
export const TEST_ESCROW_MICROS = 1_000_000_000_000;
const TEST_CURRENCIES = ['USD', 'EUR'];

/** `fairlabel user add` against the server's database. Returns the user fields (with password). */
export async function createUserCli(srv, fields = {}) {
  const { escrow = TEST_ESCROW_MICROS, ...rest } = fields;
  const u = newUser(rest);
  await srv.cli(['user', 'add', '--db', srv.dbUrl, '--email', u.email, '--role', u.role, '--country', u.country,
    '--name', u.display_name, '--password', u.password]);
  if (u.role === 'requester' && escrow > 0) {
    for (const cur of TEST_CURRENCIES) {
      await srv.cli(['escrow', 'deposit', '--db', srv.dbUrl, '--email', u.email, '--amount', String(escrow),
        '--currency', cur, '--reference', `test-${u.email}-${cur}`]);
    }
  }
  return u;
}

/** POST /api/v1/users as an admin. Returns the user fields (with password) merged with the reply. */
export async function createUserApi(base, adminToken, fields = {}) {
  const { escrow = TEST_ESCROW_MICROS, ...rest } = fields;
  const u = newUser(rest);
  const r = await api(base, 'POST', '/api/v1/users', {
    token: adminToken,
    body: { email: u.email, password: u.password, display_name: u.display_name, role: u.role, country: u.country },
  });
  assert.equal(r.status, 201, `POST /api/v1/users: ${r.text}`);
  if (u.role === 'requester' && escrow > 0) {
    for (const cur of TEST_CURRENCIES) {
      const dep = await api(base, 'POST', '/api/v1/escrow/deposits', {
        token: adminToken,
        body: { requester_id: r.json.id, amount_micros: escrow, currency: cur, reference: `test-${u.email}-${cur}` },
      });
      assert.equal(dep.status, 201, `deposit: ${dep.text}`);
    }
  }
  return { ...u, ...r.json, password: u.password };
}

/** POST /api/v1/auth/register (always a worker). */
export async function register(base, fields = {}) {
  const u = newUser({ ...fields, role: 'worker' });
  const r = await api(base, 'POST', '/api/v1/auth/register', {
    body: { email: u.email, password: u.password, display_name: u.display_name, country: u.country },
  });
  assert.equal(r.status, 201, `POST /api/v1/auth/register: ${r.text}`);
  return { ...u, ...r.json, password: u.password };
}

/** Logs in (asserting 200) and returns the bearer token. */
export async function login(base, email, password) {
  const r = await api(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(r.status, 200, `login ${email}: ${r.text}`);
  assert.equal(typeof r.json.token, 'string');
  return r.json.token;
}

/** A worker registered on srv (POST /api/v1/auth/register with fields) and signed in: the user with its token. */
export async function signedInWorker(srv, fields = {}) {
  const w = await register(srv.url, fields);
  return { ...w, token: await srv.login(w.email, w.password) };
}

// ---------------------------------------------------------------------------------------------------------
// Projects and tasks

export function projectInput(overrides = {}) {
  return {
    name: `Sentiment ${randomId(3)}`,
    instructions: 'Pick the sentiment of the text.',
    kind: 'text_classification',
    labels: ['positive', 'negative', 'neutral'],
    reward_micros: 50000,
    currency: 'USD',
    estimated_seconds: 30,
    overlap: 1,
    ...overrides,
  };
}

export function ndjson(lines) {
  return lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
}

export function taskLines(n, prefix = 't') {
  return Array.from({ length: n }, (_, i) => ({ data: { text: `text ${prefix}${i + 1}` }, external_id: `${prefix}${i + 1}` }));
}

/** Creates a project (201), optionally imports n tasks and publishes it. Returns the project object. */
export async function makeProject(srv, token, { tasks = 0, publish = false, ...overrides } = {}) {
  const r = await srv.api('POST', '/api/v1/projects', { token, body: projectInput(overrides) });
  assert.equal(r.status, 201, `create project: ${r.text}`);
  const project = r.json;
  if (tasks) await importTasks(srv, token, project.id, taskLines(tasks, `p${project.id}-`));
  if (publish) {
    const p = await srv.api('POST', `/api/v1/projects/${project.id}/publish`, { token });
    assert.equal(p.status, 200, `publish: ${p.text}`);
    return p.json;
  }
  return project;
}

export async function importTasks(srv, token, projectId, lines) {
  const r = await srv.api('POST', `/api/v1/projects/${projectId}/tasks`, {
    token, body: ndjson(lines), headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(r.status, 201, `import tasks: ${r.text}`);
  return r.json;
}

/** GET export?format=jsonl, parsed into an array of lines. */
export async function exportLines(srv, token, projectId) {
  const r = await srv.api('GET', `/api/v1/projects/${projectId}/export?format=jsonl`, { token });
  assert.equal(r.status, 200, `export: ${r.text}`);
  return r.text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// ---------------------------------------------------------------------------------------------------------
// Assertions

/** Asserts an RFC 7807 error reply from fairlabel with the given status and error name. */
export function assertProblem(res, status, name, msg = '') {
  const where = `${msg ? msg + ': ' : ''}expected ${status} ${name}, got ${res.status} ${res.text.slice(0, 500)}`;
  assert.equal(res.status, status, where);
  const ct = typeof res.headers.get === 'function' ? res.headers.get('content-type') : res.headers['content-type'];
  assert.match(ct || '', /^application\/problem\+json/, `content type of an error reply (${where})`);
  assert.ok(res.json && typeof res.json === 'object', `error body is JSON (${where})`);
  assert.equal(typeof res.json.code, 'number', `numeric code (${where})`);
  assert.equal(typeof res.json.title, 'string', `title (${where})`);
  assert.ok(res.json.title.length > 0, `non-empty title (${where})`);
  assert.equal(typeof res.json.detail, 'string', `detail (${where})`);
  if (name) assert.equal(res.json.name, name, where);
  return res.json;
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function assertUser(u, expect = {}) {
  for (const k of ['id', 'email', 'display_name', 'role', 'country', 'created_at']) {
    assert.ok(k in u, `user has ${k}: ${JSON.stringify(u)}`);
  }
  assert.equal(typeof u.id, 'number');
  assert.match(u.created_at, ISO_MS);
  assert.ok(!('password' in u) && !('password_hash' in u), 'user objects never carry the password');
  for (const [k, v] of Object.entries(expect)) assert.equal(u[k], v, `user.${k}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn every 100 ms until it returns a truthy value, which it returns; fails naming `what` after ms. */
export async function eventually(fn, what = 'condition', ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
