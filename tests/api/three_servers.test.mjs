// Issue 7, scale-out: three `fairlabel serve` processes on ONE PostgreSQL database. Workers claim and submit
// through all three in turn, concurrently; some leases are abandoned, expire and are re-claimed through another
// server; some submits are retried on another server with the same Idempotency-Key (after the first reply,
// and racing it). Then: no task has more answers than its overlap, no assignment was submitted twice, every
// acknowledged submit is stored (and nothing else is), the ledger verifies, the audit chain verifies. The
// periodic jobs run on one elected server (advisory lock); killing it hands them to another, which
// auto-approves the answers once the review window has passed on every server's clock (docs/scaling.md).
// It needs PostgreSQL: `make test` runs the API suite on PostgreSQL too, where this runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, makeProject, run, eventually } from '../lib/server.mjs';

const PG = process.env.FAIRLABEL_TEST_PG_URL;
const WORKERS = 6;
const LEASE_S = 300; // long enough for a claim → submit on a loaded machine; the test clock expires it
const env = {
  FAIRLABEL_TEST_CLOCK: '1',
  FAIRLABEL_SECRET_KEY: 'a1'.repeat(32), // servers sharing a database share the key
  FAIRLABEL_SESSION_TTL: String(90 * 86400), // the clock moves 8 days
  FAIRLABEL_CALLBACK_UNIT_MS: '50', // the jobs thread ticks every 50 ms
};

let servers = []; // [primary (owns the database), second, third]
let adminToken, rtoken;
const workers = [];

const psql = async (sql) => {
  const r = await run('psql', [servers[0].dbUrl, '-v', 'ON_ERROR_STOP=1', '-Atc', sql]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
};
const live = () => servers.filter((s) => !s.dead);
const jobsLeader = () => live().filter((s) => /periodic jobs: this server runs them/.test(s.stderr()));

const WAIT_MS = 60000; // how long eventually() waits here

before(async () => {
  if (!PG) return;
  const first = await startServer({ env, threads: 2 });
  servers = [first, await startServer({ env, threads: 2, sameDatabaseAs: first }),
    await startServer({ env, threads: 2, sameDatabaseAs: first })];
  const admin = await createUserCli(first, { role: 'admin' });
  adminToken = await servers[1].login(admin.email, admin.password);
  const requester = await createUserCli(first, { role: 'requester' });
  rtoken = await servers[2].login(requester.email, requester.password);
  for (let i = 0; i < WORKERS; i++) {
    const w = await createUserCli(first, { role: 'worker' });
    // a session made on one server is good on the others (sessions live in the database)
    workers.push({ ...w, token: await servers[i % 3].login(w.email, w.password) });
  }
});

after(async () => {
  for (const s of servers.slice(1)) await s.stop();
  await servers[0]?.stop(); // ledger verify, then drops the database
});

const claim = (s, projectId, w) => s.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
const submit = (s, w, c, key) => s.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
  token: w.token, body: { lease_token: c.lease_token, answer: { label: 'positive' } }, headers: { 'Idempotency-Key': key },
});

async function advanceAll(ms) {
  for (const s of live()) { // the test clock is per process
    const r = await s.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
    assert.equal(r.status, 200, r.text);
  }
}

test('three servers on one PostgreSQL database: overlap, single submits, acknowledged answers, ledger, audit, jobs',
  { skip: PG ? false : 'needs FAIRLABEL_TEST_PG_URL: several servers share one PostgreSQL database (make test runs it)' },
  async (t) => {
    const projects = [
      await makeProject(servers[0], rtoken, { tasks: 10, publish: true, overlap: 3, lease_seconds: LEASE_S }),
      await makeProject(servers[1], rtoken, { tasks: 10, publish: true, overlap: 2, lease_seconds: LEASE_S }),
    ];
    const acked = new Map(); // assignment id -> the first 200 reply
    const abandoned = []; // { w, c, via }: leases left to expire
    const stats = { claims: 0, submits: 0, retried: 0, raced: 0, noTask: 0 };
    let turn = 0;
    const nextServer = () => live()[turn++ % live().length];

    const record = (id, r) => {
      assert.equal(r.status, 200, `submit ${id}: ${r.text}`);
      assert.equal(r.json.status, 'submitted');
      if (acked.has(id)) assert.deepEqual(r.json, acked.get(id), `a replay repeats the first reply of ${id}`);
      else acked.set(id, r.json);
    };

    // One pass: the worker claims until no server gives it a task; claim, submit and retries go through
    // different servers. abandonSecond: the worker's second lease is left to expire.
    async function workerPass(w, abandonSecond) {
      let mine = 0;
      for (const p of projects) {
        for (;;) {
          const via = nextServer();
          const c = await claim(via, p.id, w);
          stats.claims++;
          if (c.status === 204) { stats.noTask++; break; }
          assert.equal(c.status, 200, c.text);
          mine++;
          if (abandonSecond && mine === 2) { abandoned.push({ w, c: c.json, via }); continue; }
          const key = `k-${c.json.assignment_id}`;
          const s1 = nextServer();
          if (mine % 4 === 0) {
            // a retry racing its original on another server: both are the same submit
            const s2 = nextServer();
            const [a, b] = await Promise.all([submit(s1, w, c.json, key), submit(s2, w, c.json, key)]);
            record(c.json.assignment_id, a);
            record(c.json.assignment_id, b);
            stats.raced++;
          } else {
            record(c.json.assignment_id, await submit(s1, w, c.json, key));
            stats.submits++;
            if (mine % 3 === 0) { // the reply was "lost": the client retries elsewhere
              record(c.json.assignment_id, await submit(nextServer(), w, c.json, key));
              stats.retried++;
            }
          }
        }
      }
    }

    // Phase 1: everyone at once, each worker abandoning one lease.
    await Promise.all(workers.map((w) => workerPass(w, true)));
    assert.equal(abandoned.length, WORKERS, 'every worker abandoned one lease');

    // Phase 2: the leases expire on every server's clock; a submit on an expired lease is fenced off on any
    // server, and the freed seats are claimed by others through the servers in turn.
    await advanceAll((LEASE_S + 1) * 1000);
    for (const { w, c, via } of abandoned) {
      const other = live().find((s) => s !== via);
      const r = await submit(other, w, c, `stale-${c.assignment_id}`);
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.name, 'LEASE_LOST');
    }
    // SKIP LOCKED may answer 204 while another transaction holds the last free task's row: pass again
    // until every task is full.
    const incomplete = () => psql(`SELECT count(*) FROM tasks WHERE project_id IN (${projects.map((p) => p.id)}) `
      + 'AND submitted < overlap');
    await eventually(async () => {
      await Promise.all(workers.map((w) => workerPass(w, false)));
      return (await incomplete()) === '0';
    }, 'every task to get its overlap of answers', WAIT_MS);

    // The four invariants, read from the database every server wrote to.
    const ids = projects.map((p) => p.id).join(',');
    assert.equal(await psql(`SELECT count(*) FROM tasks t WHERE t.project_id IN (${ids}) AND (t.submitted > t.overlap `
      + `OR t.submitted <> (SELECT count(*) FROM assignments a WHERE a.task_id = t.id AND a.state = 'submitted') `
      + `OR t.leased <> (SELECT count(*) FROM assignments a WHERE a.task_id = t.id AND a.state = 'leased'))`), '0',
    'no task has more answers than its overlap, and its counters match its assignments');
    assert.equal(await psql(`SELECT count(*) FROM (SELECT task_id, worker_id FROM assignments WHERE project_id IN (${ids}) `
      + `AND state = 'submitted' GROUP BY task_id, worker_id HAVING count(*) > 1) x`), '0', 'one answer per worker and task');
    const stored = (await psql(`SELECT id FROM assignments WHERE project_id IN (${ids}) AND state = 'submitted' ORDER BY id`))
      .split('\n').map(Number);
    assert.deepEqual(stored, [...acked.keys()].sort((a, b) => a - b),
      'every acknowledged submit is stored, and nothing unacknowledged is');
    assert.equal(stored.length, 10 * 3 + 10 * 2);
    assert.ok(stats.raced > 0 && stats.retried > 0, `retries happened: ${JSON.stringify(stats)}`);
    t.diagnostic(`load: ${JSON.stringify(stats)}`);

    // The periodic jobs: exactly one server runs them; killing it hands them to another.
    const leader = await eventually(() => { const l = jobsLeader(); return l.length === 1 && l[0]; }, 'one jobs runner', WAIT_MS);
    assert.equal(jobsLeader().length, 1, 'one server runs the periodic jobs');
    await leader.kill();
    leader.dead = true;
    await eventually(() => jobsLeader().length === 1, 'another server to take the periodic jobs over', WAIT_MS);
    // The review window (7 days) passes on the remaining servers' clocks: the new runner auto-approves every
    // answer exactly once (ledger verify below checks each answer is paid once).
    await advanceAll(8 * 86400 * 1000);
    await eventually(async () => (await psql(`SELECT count(*) FROM assignments WHERE project_id IN (${ids}) `
      + `AND state = 'submitted' AND review_state <> 'auto_approved'`)) === '0', 'every answer auto-approved', WAIT_MS);

    // balanced, no overdrawn account, each answer paid once; and the hash chain all three servers appended to
    await servers[0].cli(['ledger', 'verify', '--db', servers[0].dbUrl]);
    await servers[0].cli(['audit', 'verify', '--db', servers[0].dbUrl]);
  });
