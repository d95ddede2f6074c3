// Crash safety (issue 7): workers label under load while the server is killed with SIGKILL at random moments
// and restarted on the same database; afterwards every acknowledged submit must be stored, no lease may stay
// stuck, and the ledger, the audit chain and the database must verify. See docs/crash.md.
//
//   node tests/crash/crash.mjs                      # the long run: CRASH_KILLS (200) kills
//   FAIRLABEL_TEST_PG_URL=postgres://... node tests/crash/crash.mjs   # on PostgreSQL
// Knobs: CRASH_KILLS, CRASH_WORKERS, CRASH_TASKS (tasks per import, 40), CRASH_MIN_MS, CRASH_MAX_MS, CRASH_SEED, CRASH_KEEP=1 (keep the
// database even when the run passes; a failed run always keeps it and says where).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { BIN, run, randomId, projectInput, ndjson, taskLines } from '../lib/server.mjs';

const START_TIMEOUT_MS = 20000;
const REQUEST_TIMEOUT_MS = 15000;
const RETRY_DEADLINE_MS = 60000; // a request retried this long without a reply fails the run
const REWARD = 50_000;
const FEE = 5_000; // FAIRLABEL_FEE_BPS 1000
const LABELS = ['positive', 'negative', 'neutral'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A small seeded PRNG (mulberry32) so a failing schedule of kills and worker choices can be replayed.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh database: `fl_crash_<random>` on FAIRLABEL_TEST_PG_URL, else a SQLite file in a new directory. */
async function createDatabase(dataDir) {
  const pg = process.env.FAIRLABEL_TEST_PG_URL;
  if (pg) {
    const name = `fl_crash_${randomId(6)}`;
    const r = await run('psql', [pg, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`]);
    if (r.code !== 0) throw new Error(`cannot create database ${name}: ${r.stderr}`);
    const u = new URL(pg);
    u.pathname = `/${name}`;
    return {
      backend: 'postgresql', url: u.toString(), where: u.toString(),
      async drop() { await run('psql', [pg, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); },
    };
  }
  return {
    backend: 'sqlite', url: `sqlite:${join(dataDir, 'crash.db')}`, where: dataDir,
    async drop() {},
  };
}

/** One `fairlabel serve` at a time on the same database; `ready` resolves while one is up. */
class Server {
  constructor(dbUrl, dataDir, env) {
    this.dbUrl = dbUrl;
    this.dataDir = dataDir;
    this.env = env;
    this.url = null;
    this.child = null;
    this.starts = 0;
    this.stderrTail = '';
    this.markDown();
  }

  markDown() {
    this.ready = new Promise((resolve) => { this.setReady = resolve; });
  }

  async start() {
    const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', this.dbUrl, '--data-dir', this.dataDir,
      '--threads', '2'], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    children.add(child);
    child.on('exit', () => children.delete(child));
    this.starts++;
    let stderr = '';
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.stderr.setEncoding('utf8');
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`restart ${this.starts}: no listening line in ${START_TIMEOUT_MS} ms\n${stderr}`)),
        START_TIMEOUT_MS);
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        this.stderrTail = (this.stderrTail + chunk).slice(-8000);
        const m = /fairlabel: listening on (http:\/\/[^\s]+:\d+)/.exec(stderr);
        if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
      });
      child.on('error', (e) => { clearTimeout(timer); reject(e); });
      child.exited.then((e) => {
        clearTimeout(timer);
        reject(new Error(`start ${this.starts}: the server exited (${JSON.stringify(e)})\n${stderr}`));
      });
    });
    this.url = url;
    this.setReady(url);
  }

  /** SIGKILL, and wait until the process is gone (its port and database connections with it). */
  async kill() {
    this.markDown();
    const child = this.child;
    child.kill('SIGKILL');
    const e = await child.exited;
    assert.equal(e.signal, 'SIGKILL', `the server died of the kill, not before it: ${JSON.stringify(e)}\n${this.stderrTail}`);
  }

  async stop() {
    this.markDown();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10000);
    const e = await child.exited;
    clearTimeout(t);
    assert.equal(e.code, 0, `a clean stop exits 0: ${JSON.stringify(e)}\n${this.stderrTail}`);
  }
}

class NoReply extends Error {}

const children = new Set(); // a server left running when this process exits early is killed
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

/**
 * One HTTP request, sent again after a connection error (the server died before replying) until a reply
 * arrives. Only a reply that arrived in full counts; `attempts` says how often it was sent.
 */
async function call(srv, method, path, { token, body, raw, headers = {}, retry = true } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const payload = raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body);
  const deadline = Date.now() + RETRY_DEADLINE_MS;
  for (let attempts = 1; ; attempts++) {
    const base = await srv.ready;
    try {
      const res = await fetch(base + path, {
        method, headers: h, body: payload, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      let json;
      if (text.length && /json/.test(res.headers.get('content-type') || '')) json = JSON.parse(text);
      // 503: the server is up but not serving yet (or shedding); the request wrote nothing, send it again
      if (res.status === 503 && retry && Date.now() < deadline) { await sleep(20); continue; }
      return { status: res.status, json, text, attempts };
    } catch (e) {
      if (e instanceof SyntaxError) throw e;
      if (!retry) throw new NoReply(`${method} ${path}: ${e.message}`);
      if (Date.now() > deadline) throw new Error(`${method} ${path}: no reply in ${RETRY_DEADLINE_MS} ms: ${e.cause?.message || e.message}`);
      await sleep(10);
    }
  }
}

const cliRun = (args, env) => run(BIN, args, { env, timeout: 120000 });

/**
 * Runs the crash test; resolves its statistics, rejects (keeping the database) when a check fails.
 * opts: kills, workers, tasks, minDelayMs, maxDelayMs, leaseSeconds, seed, keep, log.
 */
export async function crashRun(opts = {}) {
  const o = {
    kills: 200, workers: 6, tasks: 0, minDelayMs: 50, maxDelayMs: 800, leaseSeconds: 5, overlap: 2,
    seed: randomBytes(4).readUInt32LE(0), keep: false, log: () => {},
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
  // The kill delays have their own stream, so a seed replays the kill schedule; the workers' choices
  // interleave with the server's timing and do not replay exactly.
  const rand = prng(o.seed ^ 0x9e3779b9);
  o.killRand = prng(o.seed);
  const t0 = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'fairlabel-crash-'));
  const db = await createDatabase(dataDir);
  const env = { FAIRLABEL_LOG: 'off', FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_FEE_BPS: '1000' };
  const dbArgs = ['--db', db.url, '--data-dir', dataDir];
  const srv = new Server(db.url, dataDir, env);
  o.log(`crash test on ${db.backend} (${db.where}), seed ${o.seed}, ${o.kills} kills, ${o.workers} workers`);
  let passed = false;
  try {
    const stats = await crashBody(o, rand, srv, db, dbArgs, env, t0);
    passed = true;
    return stats;
  } finally {
    try { await srv.stop(); } catch { /* reported by the failure that got us here */ }
    if (passed && !o.keep) {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    } else {
      o.log(`kept the database for inspection: ${db.where} (seed ${o.seed})`);
    }
  }
}

async function crashBody(o, rand, srv, db, dbArgs, env, t0) {
  const mig = await cliRun(['migrate', ...dbArgs], env);
  assert.equal(mig.code, 0, `migrate: ${mig.stderr}`);
  const users = {};
  for (const role of ['admin', 'requester']) {
    const u = { email: `${role}-${randomId(4)}@crash.example`, password: `pw-${randomId(8)}` };
    const r = await cliRun(['user', 'add', ...dbArgs, '--email', u.email, '--role', role, '--country', 'KE',
      '--name', `Crash ${role}`, '--password', u.password], env);
    assert.equal(r.code, 0, `user add ${role}: ${r.stderr}`);
    users[role] = u;
  }
  // The load starts with a batch of tasks and the requester adds more while the open ones run low (so the load
  // never starves, and the finishing phase stays short, whatever the machine's speed).
  const batch = o.tasks || 40;
  const maxTasks = batch * (o.kills + 10);
  const deposit = maxTasks * o.overlap * (REWARD + FEE);
  const dep = await cliRun(['escrow', 'deposit', ...dbArgs, '--email', users.requester.email, '--amount', String(deposit),
    '--currency', 'USD', '--reference', 'crash-deposit'], env);
  assert.equal(dep.code, 0, `escrow deposit: ${dep.stderr}`);

  await srv.start();
  const login = async (u) => {
    const r = await call(srv, 'POST', '/api/v1/auth/login', { body: { email: u.email, password: u.password } });
    assert.equal(r.status, 200, `login ${u.email}: ${r.text}`);
    return r.json.token;
  };
  const adminToken = await login(users.admin);
  const rtoken = await login(users.requester);

  const cr = await call(srv, 'POST', '/api/v1/projects', {
    token: rtoken,
    body: projectInput({ overlap: o.overlap, lease_seconds: o.leaseSeconds, reward_micros: REWARD, labels: LABELS }),
  });
  assert.equal(cr.status, 201, `create project: ${cr.text}`);
  const project = cr.json;
  let imports = 0;
  // An import is all or nothing. Sent again after its reply was lost, it either lands now or is refused for
  // repeating external ids: the first attempt landed. The task count checked at the end says it is in once.
  const importBatch = async () => {
    const lines = taskLines(batch, `b${imports++}-`);
    const r = await call(srv, 'POST', `/api/v1/projects/${project.id}/tasks`, {
      token: rtoken, raw: ndjson(lines), headers: { 'content-type': 'application/x-ndjson' },
    });
    if (r.attempts > 1 && r.status === 422 && r.json?.name === 'IMPORT_INVALID' &&
        r.json.errors?.every((e) => e.field === '/external_id')) return;
    assert.equal(r.status, 201, `import tasks: ${r.text}`);
  };
  await importBatch();
  const pub = await call(srv, 'POST', `/api/v1/projects/${project.id}/publish`, { token: rtoken });
  assert.equal(pub.status, 200, `publish: ${pub.text}`);

  const register = async (tag) => {
    const u = { email: `w-${tag}-${randomId(4)}@crash.example`, password: `pw-${randomId(8)}` };
    const r = await call(srv, 'POST', '/api/v1/auth/register', {
      body: { email: u.email, password: u.password, display_name: `Crash worker ${tag}`, country: 'KE' },
    });
    assert.equal(r.status, 201, `register: ${r.text}`);
    return { ...u, id: r.json.id, token: await login(u) };
  };
  const workers = await Promise.all(Array.from({ length: o.workers }, (_, i) => register(`load${i}`)));
  o.log(`set up ${batch} tasks and ${o.workers} workers in ${Date.now() - t0} ms; killing now`);

  // ---- the load, with kills --------------------------------------------------------------------------------
  const acked = new Map(); // assignment id -> { task_id, worker_id, key, answer, reply }
  const unexpected = [];
  const st = {
    claims: 0, submitsSent: 0, acked: 0, ackedAfterRetry: 0, interrupted: 0, leaseLostAfterRetry: 0,
    leaseLost: 0, replayChecks: 0, heartbeats: 0, lapsed: 0, claimRetries: 0,
  };
  let loading = true;

  async function submitOnce(w, c, key, answer) {
    st.submitsSent++;
    const r = await call(srv, 'POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
      token: w.token, headers: { 'Idempotency-Key': key }, body: { lease_token: c.lease_token, answer },
    });
    if (r.attempts > 1) st.interrupted++;
    if (r.status === 200) {
      assert.equal(r.json.assignment_id, c.assignment_id);
      assert.equal(r.json.task_id, c.task.id);
      st.acked++;
      if (r.attempts > 1) st.ackedAfterRetry++;
      acked.set(c.assignment_id, { task_id: c.task.id, worker_id: w.id, key, answer, reply: r.json });
      return r;
    }
    if (r.status === 409 && r.json?.name === 'LEASE_LOST') {
      // the first attempt did not commit (a committed one replays), and the lease lapsed meanwhile
      if (r.attempts > 1) st.leaseLostAfterRetry++; else st.leaseLost++;
      return r;
    }
    unexpected.push(`submit ${c.assignment_id} (attempt ${r.attempts}): ${r.status} ${r.text.slice(0, 300)}`);
    return r;
  }

  async function workLoop(w) {
    while (loading) {
      const c = await call(srv, 'POST', `/api/v1/projects/${project.id}/claim`, { token: w.token });
      if (c.attempts > 1) st.claimRetries++; // the first claim may have leased a task nobody will answer
      if (c.status === 204) { await sleep(20); continue; }
      if (c.status !== 200) { unexpected.push(`claim: ${c.status} ${c.text.slice(0, 300)}`); await sleep(20); continue; }
      st.claims++;
      const roll = rand();
      if (roll < 0.08) { st.lapsed++; continue; } // walk away: the lease must come back by itself
      if (roll < 0.3) {
        const hb = await call(srv, 'POST', `/api/v1/assignments/${c.json.assignment_id}/heartbeat`, {
          token: w.token, body: { lease_token: c.json.lease_token, visible: true, active: true },
        });
        st.heartbeats++;
        if (hb.status !== 200 && !(hb.status === 409 && hb.json?.name === 'LEASE_LOST')) {
          unexpected.push(`heartbeat: ${hb.status} ${hb.text.slice(0, 300)}`);
        }
      }
      const key = `crash-${c.json.assignment_id}-${randomId(4)}`;
      const answer = { label: LABELS[Math.floor(rand() * LABELS.length)] };
      const s = await submitOnce(w, c.json, key, answer);
      // A client that is unsure resends with the same key: the same reply, never a second answer.
      if (s.status === 200 && rand() < 0.15) {
        const again = await call(srv, 'POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
          token: w.token, headers: { 'Idempotency-Key': key }, body: { lease_token: c.json.lease_token, answer },
        });
        st.replayChecks++;
        if (again.status !== 200) unexpected.push(`replay of ${c.json.assignment_id}: ${again.status} ${again.text.slice(0, 300)}`);
        else assert.deepEqual(again.json, s.json, `replay of assignment ${c.json.assignment_id} repeats the first reply`);
      }
    }
  }

  async function feedLoop() {
    while (loading) {
      const p = await call(srv, 'GET', `/api/v1/projects/${project.id}/progress`, { token: rtoken });
      if (p.status !== 200) unexpected.push(`progress: ${p.status} ${p.text.slice(0, 300)}`);
      else if (p.json.tasks_open < 2 * o.workers && imports < maxTasks / batch) { await importBatch(); continue; }
      await sleep(100);
    }
  }

  const tLoad = Date.now();
  const failures = [];
  const guard = (p) => p.catch((e) => { failures.push(e); loading = false; });
  const loops = [...workers.map(workLoop), feedLoop()].map(guard);
  const killTimes = [];
  for (let k = 0; k < o.kills && !failures.length; k++) {
    await sleep(o.minDelayMs + Math.floor(o.killRand() * (o.maxDelayMs - o.minDelayMs + 1)));
    const t = Date.now();
    await srv.kill();
    await srv.start();
    killTimes.push(Date.now() - t);
  }
  loading = false;
  await Promise.all(loops);
  if (failures.length) throw failures[0];
  const loadMs = Date.now() - tLoad;
  o.log(`load done in ${loadMs} ms: ${JSON.stringify(st)}`);
  assert.deepEqual(unexpected, [], 'no unexpected replies during the load');
  assert.ok(st.acked > 0, 'some submits were acknowledged');

  // ---- afterwards: leases return, the project can be finished ----------------------------------------------
  // Move the clock past every lease (including the ones whose claim reply died with the server).
  const clk = await call(srv, 'POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: (o.leaseSeconds + 1) * 1000 } });
  assert.equal(clk.status, 200, `test clock: ${clk.text}`);
  // The load's workers finish what they can; `overlap` fresh workers can give any task its missing answers.
  const finishers = [...workers, ...await Promise.all(Array.from({ length: o.overlap }, (_, i) => register(`finish${i}`)))];
  let finished = 0;
  await Promise.all(finishers.map(async (w) => {
    for (;;) {
      const c = await call(srv, 'POST', `/api/v1/projects/${project.id}/claim`, { token: w.token, retry: false });
      if (c.status === 204) return;
      assert.equal(c.status, 200, `finishing claim: ${c.text}`);
      const s = await call(srv, 'POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
        token: w.token, retry: false, body: { lease_token: c.json.lease_token, answer: { label: 'neutral' } },
      });
      assert.equal(s.status, 200, `finishing submit: ${s.text}`);
      finished++;
    }
  }));

  o.log(`finished the project with ${finished} more answers at ${Date.now() - t0} ms`);
  const prog = await call(srv, 'GET', `/api/v1/projects/${project.id}/progress`, { token: rtoken, retry: false });
  assert.equal(prog.status, 200, prog.text);
  const tasks = prog.json.tasks_total;
  assert.equal(tasks, batch * imports, `${imports} imports of ${batch} tasks, each in once`);
  assert.equal(prog.json.leases_active, 0, `no lease left: ${prog.text}`);
  assert.equal(prog.json.tasks_complete, tasks, `every task reached its overlap: ${prog.text}`);

  // Every acknowledged submit is in the export, with its answer; no task over its overlap; no assignment twice.
  const ex = await fetch(`${await srv.ready}/api/v1/projects/${project.id}/export?format=jsonl`, {
    headers: { authorization: `Bearer ${rtoken}` },
  });
  assert.equal(ex.status, 200);
  const lines = (await ex.text()).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.equal(lines.length, tasks, 'every task is exported');
  const off = lines.filter((l) => l.answers.length !== o.overlap).map((l) => `task ${l.task_id}: ${l.answers.length} answers`);
  assert.deepEqual(off, [], `every task has exactly its overlap (${o.overlap}) of answers`);
  assert.equal(prog.json.answers_submitted, tasks * o.overlap, `overlap answers per task: ${prog.text}`);
  const stored = new Map();
  for (const line of lines) {
    const ws = new Set(line.answers.map((a) => a.worker_id));
    assert.equal(ws.size, line.answers.length, `task ${line.task_id}: no worker answered twice`);
    for (const a of line.answers) {
      assert.ok(!stored.has(a.assignment_id), `assignment ${a.assignment_id} stored once`);
      stored.set(a.assignment_id, { ...a, task_id: line.task_id });
    }
  }
  let missing = 0;
  for (const [id, a] of acked) {
    const s = stored.get(id);
    if (!s) { missing++; continue; }
    assert.equal(s.task_id, a.task_id, `assignment ${id}: task`);
    assert.equal(s.worker_id, a.worker_id, `assignment ${id}: worker`);
    assert.deepEqual(s.answer, a.answer, `assignment ${id}: the acknowledged answer`);
  }
  assert.equal(missing, 0, `${missing} of ${acked.size} acknowledged submits are missing`);
  // Every submit was sent until a reply came, and a 409 LEASE_LOST means it never landed (one that had landed
  // replays): so nothing is stored that its client was not told about.
  assert.equal(stored.size, acked.size + finished, 'stored answers = acknowledged submits + the finishing ones');

  // Each answer moved reward and fee out of escrow once (the rest of the money is checked by ledger verify).
  const esc = await call(srv, 'GET', '/api/v1/me/escrow', { token: rtoken, retry: false });
  assert.equal(esc.status, 200, esc.text);
  assert.equal(esc.json.balances.USD.escrow_micros, deposit - tasks * o.overlap * (REWARD + FEE), 'escrow paid each answer once');
  let pending = 0;
  for (const w of finishers) {
    const e = await call(srv, 'GET', '/api/v1/me/earnings', { token: w.token, retry: false });
    assert.equal(e.status, 200, e.text);
    pending += e.json.balances.USD?.pending_micros ?? 0;
  }
  assert.equal(pending, tasks * o.overlap * REWARD, 'each answer credited to its worker once');

  // ---- offline checks on the stopped server's database ------------------------------------------------------
  o.log(`online checks passed at ${Date.now() - t0} ms`);
  await srv.stop();
  const checks = {};
  for (const [name, args, ok] of [
    ['ledger', ['ledger', 'verify'], /ledger OK/],
    ['audit', ['audit', 'verify'], /OK|ok|verified/],
    ['integrity', ['db', 'check'], /ok/i],
  ]) {
    const r = await cliRun([...args, ...dbArgs], env);
    assert.equal(r.code, 0, `fairlabel ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, ok, `fairlabel ${args.join(' ')}: ${r.stdout}`);
    checks[name] = r.stdout.trim().split('\n').pop();
  }

  return {
    backend: db.backend, seed: o.seed, kills: o.kills, starts: srv.starts, tasks, imports, workers: o.workers,
    ...st, stored: stored.size, finished, loadMs, totalMs: Date.now() - t0,
    maxRestartMs: Math.max(...killTimes), checks,
  };
}

// The long run: `node tests/crash/crash.mjs` (make crash).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
  const stats = await crashRun({
    kills: num('CRASH_KILLS', 200), workers: num('CRASH_WORKERS', 6), tasks: num('CRASH_TASKS', 0),
    minDelayMs: num('CRASH_MIN_MS', 50), maxDelayMs: num('CRASH_MAX_MS', 800),
    seed: process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : undefined,
    keep: process.env.CRASH_KEEP === '1',
    log: (m) => console.log(`crash: ${m}`),
  }).catch((e) => { console.error(e); process.exit(1); });
  console.log(JSON.stringify(stats, null, 2));
}
