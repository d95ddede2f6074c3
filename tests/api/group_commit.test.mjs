// Issue 7, group commit: concurrent claims and submits on SQLite share commits (fewer COMMITs than
// transactions), and a submit that fails inside a batch (a wrong lease token) leaves the others in it alone.
// On PostgreSQL each request keeps its own commit: the counters say so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, makeProject } from '../lib/server.mjs';

const WORKERS = 8;
const ROUNDS_MAX = 12; // rounds of concurrent load until a batch with a rolled-back submit was seen
const PG = !!process.env.FAIRLABEL_TEST_PG_URL;

let srv, adminToken, rtoken;
const workers = [];

before(async () => {
  srv = await startServer({ threads: 2 });
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  for (let i = 0; i < WORKERS; i++) {
    const w = await createUserCli(srv, { role: 'worker' });
    workers.push({ ...w, token: await srv.login(w.email, w.password) });
  }
});

after(async () => { await srv?.stop(); });

const stats = async () => {
  const s = await srv.api('GET', '/api/v1/group-commit', { token: adminToken });
  assert.equal(s.status, 200, s.text);
  return s.json;
};

const claim = async (projectId, w) => {
  const c = await srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  return c.json;
};

const submit = (w, c, token, key) => srv.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
  token: w.token, body: { lease_token: token, answer: { label: 'positive' } }, headers: { 'Idempotency-Key': key },
});

test('concurrent claims and submits share commits; a failing submit in a batch leaves the others committed', async (t) => {
  const before0 = await stats();
  assert.equal(before0.mode, PG ? 'store_run' : 'sqlite_group_commit');
  let good = 0;
  let s = before0;
  const projects = [];
  for (let round = 0; round < ROUNDS_MAX; round++) {
    const p = await makeProject(srv, rtoken, { tasks: WORKERS * 2, publish: true, overlap: 1 });
    projects.push(p.id);
    // each worker holds two leases: one submitted with its token, one with a wrong token, all at once
    const held = await Promise.all(workers.map(async (w) => ({ w, a: await claim(p.id, w), b: await claim(p.id, w) })));
    const replies = await Promise.all(held.flatMap(({ w, a, b }) => [
      submit(w, a, a.lease_token, `good-${round}-${a.assignment_id}`).then((r) => ({ r, ok: true })),
      submit(w, b, `${b.lease_token}x`, `bad-${round}-${b.assignment_id}`).then((r) => ({ r, ok: false })),
    ]));
    for (const { r, ok } of replies) {
      if (ok) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'submitted');
        good++;
      } else {
        assert.equal(r.status, 409, r.text);
        assert.equal(r.json.name, 'LEASE_LOST');
      }
    }
    // the leases the wrong tokens failed on are untouched: their own tokens still submit them
    const second = await Promise.all(held.map(({ w, b }) => submit(w, b, b.lease_token, `late-${round}-${b.assignment_id}`)));
    for (const r of second) assert.equal(r.status, 200, r.text);
    good += second.length;
    s = await stats();
    if (PG || (s.transactions - before0.transactions > s.commits - before0.commits && s.rolled_back > 0)) break;
  }
  let stored = 0;
  for (const id of projects) {
    const prog = await srv.api('GET', `/api/v1/projects/${id}/progress`, { token: rtoken });
    assert.equal(prog.status, 200, prog.text);
    stored += prog.json.answers_submitted;
  }
  assert.equal(stored, good, 'every acknowledged submit is stored, the failed ones are not');
  t.diagnostic(`group commit counters: ${JSON.stringify(s)}`);
  if (PG) {
    assert.deepEqual([s.commits, s.transactions], [0, 0], 'PostgreSQL requests commit by themselves');
    return;
  }
  assert.ok(s.transactions - before0.transactions > s.commits - before0.commits,
    `fewer commits than transactions under concurrent load: ${JSON.stringify(s)}`);
  assert.ok(s.max_batch >= 2, JSON.stringify(s));
  assert.ok(s.rolled_back > 0, `a submit rolled back to its savepoint while its batch committed: ${JSON.stringify(s)}`);
});

test('a replayed submit inside a batch repeats the first reply', async () => {
  const p = await makeProject(srv, rtoken, { tasks: WORKERS, publish: true, overlap: 1 });
  const held = await Promise.all(workers.map(async (w) => ({ w, c: await claim(p.id, w) })));
  const replies = await Promise.all(held.flatMap(({ w, c }) => [
    submit(w, c, c.lease_token, `same-${c.assignment_id}`),
    submit(w, c, c.lease_token, `same-${c.assignment_id}`),
  ]));
  for (const r of replies) assert.equal(r.status, 200, r.text);
  for (let i = 0; i < replies.length; i += 2) {
    assert.equal(replies[i].json.submitted_at, replies[i + 1].json.submitted_at);
    assert.equal(replies[i].json.active_ms, replies[i + 1].json.active_ms);
  }
  const prog = await srv.api('GET', `/api/v1/projects/${p.id}/progress`, { token: rtoken });
  assert.equal(prog.json.answers_submitted, WORKERS);
});
