// Money: escrow deposits, FW-1 (no publishing or new tasks without escrow for the open work and fees),
// the reward moving escrow → pending on submit, → available on approval (by review or, FW-2, when the
// review window passes on the test clock), back to escrow on a reasoned rejection (FW-3), earnings lines with
// gross, fees and net (FW-9), concurrent submits, and `fairlabel ledger verify` clean at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, signedInWorker, assertProblem, makeProject, importTasks, taskLines, sleep } from '../lib/server.mjs';

let srv, adminToken, rtoken, requester, reviewerToken, reviewerId;

before(async () => {
  // the background sweep polls every 50 ms; the clock can be moved by an admin
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_CALLBACK_UNIT_MS: '50', FAIRLABEL_FEE_BPS: '1000' } });
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  requester = await createUserCli(srv, { role: 'requester', escrow: 0 });
  rtoken = await srv.login(requester.email, requester.password);
  requester.id = (await srv.api('GET', '/api/v1/me', { token: rtoken })).json.id;
  const reviewer = await createUserCli(srv, { role: 'reviewer' });
  reviewerToken = await srv.login(reviewer.email, reviewer.password);
  reviewerId = (await srv.api('GET', '/api/v1/me', { token: reviewerToken })).json.id;
});

after(async () => { await srv?.stop(); });

const worker = () => signedInWorker(srv);

async function work(w, projectId, label = 'positive') {
  const c = await srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label } },
  });
  assert.equal(s.status, 200, s.text);
  return s.json;
}

const deposit = (amount, reference, token = adminToken) => srv.api('POST', '/api/v1/escrow/deposits', {
  token, body: { requester_id: requester.id, amount_micros: amount, currency: 'USD', reference },
});
const escrow = async () => (await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.balances.USD?.escrow_micros ?? 0;
const earnings = async (w) => (await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json;

test('FW-1: publishing and adding tasks need escrow for the open work plus fees; the error says how much is missing', async () => {
  // 3 tasks × overlap 2 × (50,000 reward + 10% fee) = 330,000 micro-USD
  const p = await makeProject(srv, rtoken, { tasks: 3, overlap: 2, reward_micros: 50000 });
  let r = await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const prob = assertProblem(r, 409, 'ESCROW_SHORT');
  assert.equal(prob.required_micros, 330000);
  assert.equal(prob.available_micros, 0);
  assert.equal(prob.missing_micros, 330000);
  assert.match(prob.detail, /330000/);
  assert.equal((await srv.api('GET', `/api/v1/projects/${p.id}`, { token: rtoken })).json.status, 'draft');

  assertProblem(await deposit(1000, 'not-yours', rtoken), 403, 'ROLE_FORBIDDEN');
  assert.equal(assertProblem(await deposit(-5, 'neg'), 422, 'INVALID_FIELD').field, '/amount_micros');
  r = await deposit(330000, 'wire-2026-11-29-001');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.escrow_micros, 330000);
  const again = await deposit(330000, 'wire-2026-11-29-001');
  assert.equal(again.status, 200, 'the same reference is recorded once');
  assert.equal(again.json.replayed, true);
  const other = await deposit(1, 'wire-2026-11-29-001');
  assert.equal(assertProblem(other, 409, 'DEPOSIT_REFERENCE_USED').field, '/reference', 'a reference is one deposit');
  assert.equal(await escrow(), 330000);

  r = await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  assert.equal(r.status, 200, r.text);
  // one more task would need 110,000 more: refused, nothing imported
  r = await srv.api('POST', `/api/v1/projects/${p.id}/tasks`, {
    token: rtoken, body: JSON.stringify(taskLines(1, 'x')[0]) + '\n', headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(assertProblem(r, 409, 'ESCROW_SHORT').missing_micros, 110000);
  assert.equal((await srv.api('GET', `/api/v1/projects/${p.id}`, { token: rtoken })).json.task_count, 3);
  // a second project shares the same escrow: it cannot be published on top
  const q = await makeProject(srv, rtoken, { tasks: 1, overlap: 1, reward_micros: 50000 });
  assert.equal(assertProblem(await srv.api('POST', `/api/v1/projects/${q.id}/publish`, { token: rtoken }), 409,
    'ESCROW_SHORT').required_micros, 330000 + 55000);
});

test('submit → pending; review accept → available; reasoned rejection → back to escrow; earnings show gross, fee, net', async () => {
  await deposit(10_000_000, 'wire-2');
  const p = await makeProject(srv, rtoken, { tasks: 3, overlap: 1, reward_micros: 50000, quality: { review: { mode: 'all' } } });
  assert.equal((await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken })).status, 200);
  await srv.api('POST', `/api/v1/projects/${p.id}/reviewers`, { token: rtoken, body: { user_id: reviewerId } });
  const before = await escrow();
  const w = await worker();
  const subs = [await work(w, p.id), await work(w, p.id), await work(w, p.id)];
  assert.equal(await escrow(), before - 3 * 55000, 'reward and fee left escrow');
  let e = await earnings(w);
  assert.equal(e.balances.USD.pending_micros, 150000);
  assert.equal(e.balances.USD.available_micros, 0);

  const review = (a, body) => srv.api('POST', `/api/v1/assignments/${a.assignment_id}/review`, { token: reviewerToken, body });
  assert.equal((await review(subs[0], { decision: 'accept' })).status, 200);
  assert.equal((await review(subs[1], { decision: 'fix', answer: { label: 'neutral' } })).status, 200);
  assert.equal((await review(subs[2], { decision: 'reject', reason_code: 'wrong_answer', note: 'Clearly negative.' })).status, 200);
  e = await earnings(w);
  assert.equal(e.balances.USD.pending_micros, 0);
  assert.equal(e.balances.USD.available_micros, 100000, 'accepted and fixed answers are paid');
  assert.equal(await escrow(), before - 2 * 55000, 'the rejected answer\'s reward and fee returned to escrow');
  const byCause = {};
  for (const l of e.lines) (byCause[l.cause] ||= []).push(l);
  assert.equal(byCause.submission.length, 3);
  assert.equal(byCause.approval.length, 2);
  for (const l of byCause.approval) {
    assert.equal(l.gross, 50000);
    assert.equal(l.fee, 0, 'no fee is taken from the worker by default');
    assert.equal(l.net, 50000);
    assert.equal(l.available, 50000);
  }
  assert.equal(byCause.rejection[0].pending, -50000);
  assert.equal(byCause.rejection[0].escrow, undefined, 'a worker never sees the requester\'s escrow');
});

test('FW-2: an answer nobody reviews is approved when the review window passes (test clock)', async () => {
  await deposit(10_000_000, 'wire-3');
  const p = await makeProject(srv, rtoken, { tasks: 1, overlap: 1, reward_micros: 70000, quality: { review: { window_days: 2 } } });
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  const sub = await work(w, p.id);
  assertProblem(await srv.api('POST', '/api/v1/test/clock', { token: rtoken, body: { advance_ms: 1 } }), 403, 'ROLE_FORBIDDEN');
  let r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 86400000 } });
  assert.equal(r.status, 200, r.text);
  await sleep(400);
  assert.equal((await earnings(w)).balances.USD.pending_micros, 70000, 'one day in: still pending');
  r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 86400000 + 1000 } });
  let e;
  for (let i = 0; i < 100; i++) {
    e = await earnings(w);
    if (e.balances.USD.available_micros === 70000) break;
    await sleep(50);
  }
  assert.equal(e.balances.USD.available_micros, 70000, 'two days in: approved automatically');
  assert.equal(e.balances.USD.pending_micros, 0);
  // it can no longer be reviewed
  assertProblem(await srv.api('POST', `/api/v1/assignments/${sub.assignment_id}/review`, {
    token: rtoken, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'late' },
  }), 409, 'REVIEW_DECIDED');
});

test('when escrow runs dry anyway (gold beyond the estimate), the work is kept as owed and the project pauses', async () => {
  const poor = await createUserCli(srv, { role: 'requester', escrow: 0 });
  const ptoken = await srv.login(poor.email, poor.password);
  const p = await makeProject(srv, ptoken, { overlap: 1, reward_micros: 10000, estimated_seconds: 10, quality: { gold: { first: 3 } } }); // 3.6 USD/h: above the floor (FW-5)
  await importTasks(srv, ptoken, p.id, [
    { data: { text: 'g1' }, gold: { answer: { label: 'positive' } } }, { data: { text: 'g2' }, gold: { answer: { label: 'positive' } } },
    { data: { text: 'n1' } },
  ]);
  const pid = (await srv.api('GET', '/api/v1/me', { token: ptoken })).json.id;
  const dep = await srv.api('POST', '/api/v1/escrow/deposits', {
    token: adminToken, body: { requester_id: pid, amount_micros: 11000, currency: 'USD', reference: 'poor-1' },
  });
  assert.equal(dep.status, 201, dep.text);
  assert.equal((await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: ptoken })).status, 200, 'covers the one task');
  const w = await worker();
  await work(w, p.id); // a gold task, paid from the 11,000
  await work(w, p.id); // the second gold task: escrow is empty, the answer is stored and owed
  const proj = await srv.api('GET', `/api/v1/projects/${p.id}`, { token: ptoken });
  assert.equal(proj.json.status, 'paused', 'the project pauses until funded');
  assert.equal((await earnings(w)).balances.USD.pending_micros, 10000);
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken });
  assert.ok(audit.json.items.some((e) => e.action === 'pay.owed'));
  assert.match((await srv.cli(['ledger', 'verify', '--db', srv.dbUrl])).stdout, /ledger OK/);
  // the next deposit pays what is owed first
  const dep2 = await srv.api('POST', '/api/v1/escrow/deposits', {
    token: adminToken, body: { requester_id: pid, amount_micros: 50000, currency: 'USD', reference: 'poor-2' },
  });
  assert.equal(dep2.status, 201, dep2.text);
  assert.equal(dep2.json.escrow_micros, 50000 - 11000, 'the owed answer and its fee came out of the deposit');
  assert.equal((await earnings(w)).balances.USD.pending_micros, 20000);
  assert.match((await srv.cli(['ledger', 'verify', '--db', srv.dbUrl])).stdout, /ledger OK/);
});

test('bonuses: from escrow to a worker of the project, with a message, once per reference', async () => {
  await deposit(5_000_000, 'wire-bonus');
  const p = await makeProject(srv, rtoken, { tasks: 1, overlap: 1, reward_micros: 10000, estimated_seconds: 10 }); // 3.6 USD/h (FW-5)
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  await work(w, p.id);
  const before = await escrow();
  const url = `/api/v1/projects/${p.id}/bonuses`;
  const body = { worker_id: w.id, amount_micros: 200000, message: 'Thank you for the careful notes.', reference: 'b-1' };
  let r = await srv.api('POST', url, { token: rtoken, body });
  assert.equal(r.status, 201, r.text);
  assert.equal((await srv.api('POST', url, { token: rtoken, body })).status, 200, 'the same reference pays once');
  assert.equal(await escrow(), before - 220000, 'the bonus and its 10% fee left escrow');
  const e = await earnings(w);
  assert.equal(e.balances.USD.available_micros, 200000);
  const line = e.lines.find((l) => l.cause === 'bonus');
  assert.equal(line.memo, 'Thank you for the careful notes.');
  assert.deepEqual([line.gross, line.fee, line.net], [200000, 0, 200000]);
  const stranger = await worker();
  assert.equal(assertProblem(await srv.api('POST', url, { token: rtoken, body: { ...body, worker_id: stranger.id, reference: 'b-2' } }),
    422, 'INVALID_FIELD').field, '/worker_id');
  assert.equal(assertProblem(await srv.api('POST', url, { token: rtoken, body: { ...body, message: '', reference: 'b-3' } }),
    422, 'INVALID_FIELD').field, '/message');
  assertProblem(await srv.api('POST', url, { token: rtoken, body: { ...body, amount_micros: 10_000_000_000, reference: 'b-4' } }),
    409, 'ESCROW_SHORT');
});

test('many workers submitting at once leave the ledger balanced; ledger verify is clean', async () => {
  await deposit(100_000_000, 'wire-4');
  const p = await makeProject(srv, rtoken, { tasks: 40, overlap: 2, reward_micros: 12345, estimated_seconds: 15 }); // 2.96 USD/h (FW-5)
  assert.equal((await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken })).status, 200);
  const ws = await Promise.all(Array.from({ length: 8 }, () => worker()));
  // Each worker works until nothing is left for them; a claim may also see 204 while the last open tasks are
  // locked by others' claims (PostgreSQL's SKIP LOCKED), so rounds repeat until one submits nothing.
  let submitted = 0;
  for (let round = 0; round < 10; round++) {
    const counts = await Promise.all(ws.map(async (w) => {
      let n = 0;
      for (;;) {
        const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token });
        if (c.status === 204) return n;
        assert.equal(c.status, 200, c.text);
        const r = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
          token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
        });
        assert.equal(r.status, 200, r.text);
        n++;
      }
    }));
    const n = counts.reduce((a, b) => a + b, 0);
    submitted += n;
    if (n === 0) break;
  }
  assert.equal(submitted, 80, 'every slot of 40 tasks × overlap 2 was answered');
  const total = (await Promise.all(ws.map(earnings))).reduce((s, e) => s + e.balances.USD.pending_micros, 0);
  assert.equal(total, 80 * 12345);
  const v = await srv.cli(['ledger', 'verify', '--db', srv.dbUrl]);
  assert.match(v.stdout, /ledger OK/);
  const audit = await srv.cli(['audit', 'verify', '--db', srv.dbUrl]);
  assert.match(audit.stdout, /audit chain OK/, 'ledger transactions are in the hash chain');
});

test('the wage benchmarks are public: per country the hourly legal minimum and living wage, sourced, stale marked', async () => {
  const r = await srv.api('GET', '/api/v1/wage-benchmarks');
  assert.equal(r.status, 200, r.text);
  const ke = r.json.items.find((c) => c.country === 'KE');
  // 16,113.75 KES a month × 12 / 52 weeks / 52 hours = 71.510725 KES an hour; × 0.00775 USD = 0.554208 USD
  assert.equal(ke.minimum.hourly_micros, 71510725);
  assert.equal(ke.minimum.hourly_usd_micros, 554208);
  assert.equal(ke.minimum.unit, 'month');
  assert.match(ke.minimum.source, /^https:/);
  assert.equal(ke.living.stale, true, 'a 2023 estimate is more than 24 months old');
  assert.ok(r.json.items.length >= 10);
});
