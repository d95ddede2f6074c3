// Issue 5, concurrency: many workers submitting while two reviewers accept and reject at the same time leave
// the ledger balanced, every answer paid once, and the money where the decisions put it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, register, makeProject } from '../lib/server.mjs';

const REWARD = 50_000; // 6 USD an hour at the default 30 s estimate: above every worker's floor
const FEE = 5_000; // FAIRLABEL_FEE_BPS 1000
const DEPOSIT = 10_000_000;

let srv, rtoken, revToken, requester;

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_FEE_BPS: '1000' }, threads: 4 });
  const admin = await createUserCli(srv, { role: 'admin' });
  const adminToken = await srv.login(admin.email, admin.password);
  requester = await createUserCli(srv, { role: 'requester', escrow: 0 });
  rtoken = await srv.login(requester.email, requester.password);
  requester.id = (await srv.api('GET', '/api/v1/me', { token: rtoken })).json.id;
  const dep = await srv.api('POST', '/api/v1/escrow/deposits', {
    token: adminToken, body: { requester_id: requester.id, amount_micros: DEPOSIT, currency: 'USD', reference: 'conc-1' },
  });
  assert.equal(dep.status, 201, dep.text);
  const reviewer = await createUserCli(srv, { role: 'reviewer' });
  revToken = await srv.login(reviewer.email, reviewer.password);
  reviewer.id = (await srv.api('GET', '/api/v1/me', { token: revToken })).json.id;
  srv.reviewerId = reviewer.id;
});

after(async () => { await srv?.stop(); });

test('concurrent submits, accepts and rejects: balanced ledger, each answer paid once, balances match the decisions', async () => {
  const p = await makeProject(srv, rtoken, {
    tasks: 30, overlap: 2, reward_micros: REWARD, currency: 'USD',
    quality: { review: { mode: 'all' }, reject_reasons: [{ code: 'wrong_label', title: 'The label does not fit' }] },
  });
  assert.equal((await srv.api('POST', `/api/v1/projects/${p.id}/reviewers`, { token: rtoken, body: { user_id: srv.reviewerId } })).status, 201);
  const pub = await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  assert.equal(pub.status, 200, pub.text);
  const workers = await Promise.all(Array.from({ length: 8 }, async () => {
    const w = await register(srv.url);
    return { ...w, token: await srv.login(w.email, w.password) };
  }));

  let submitted = 0;
  let producing = true;
  const outcomes = { approved: 0, rejected: 0, other: 0 };

  async function workLoop(w) {
    for (let idle = 0; idle < 3;) {
      const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token });
      if (c.status === 204) { idle++; await new Promise((r) => setTimeout(r, 30)); continue; }
      assert.equal(c.status, 200, c.text);
      idle = 0;
      const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
        token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
      });
      assert.equal(s.status, 200, s.text);
      submitted++;
    }
  }

  // Every third answer is rejected (with a reason and a note, FW-3); two deciders race for the same queue.
  async function reviewLoop(token, seed) {
    let n = seed;
    for (let idle = 0; producing || idle < 3;) {
      const next = await srv.api('GET', `/api/v1/projects/${p.id}/review/next`, { token });
      if (next.status === 204) { idle++; await new Promise((r) => setTimeout(r, 30)); continue; }
      assert.equal(next.status, 200, next.text);
      idle = 0;
      const body = n++ % 3 === 0
        ? { decision: 'reject', reason_code: 'wrong_label', note: 'Concurrency test rejection.' }
        : { decision: 'accept' };
      const d = await srv.api('POST', `/api/v1/assignments/${next.json.assignment_id}/review`, { token, body });
      if (d.status === 409) continue; // the other decider took it first
      assert.equal(d.status, 200, d.text);
      if (d.json.review_state === 'rejected') outcomes.rejected++;
      else if (d.json.review_state === 'accepted') outcomes.approved++;
      else outcomes.other++; // e.g. a rejection held for human review (FW-4): the money stays pending
    }
  }

  const reviewers = [reviewLoop(rtoken, 0), reviewLoop(revToken, 1)];
  await Promise.all(workers.map(workLoop));
  producing = false;
  await Promise.all(reviewers);

  // Rejected answers go back to the feed, so more than 60 answers may have been given.
  assert.ok(submitted >= 60, `${submitted} answers`);
  assert.equal(outcomes.approved + outcomes.rejected + outcomes.other, submitted, 'every answer was decided once');

  const earnings = await Promise.all(workers.map(async (w) => (await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json.balances.USD ?? {}));
  const available = earnings.reduce((s, b) => s + (b.available_micros ?? 0), 0);
  const pending = earnings.reduce((s, b) => s + (b.pending_micros ?? 0), 0);
  assert.equal(available, outcomes.approved * REWARD, 'each accepted answer paid once into available');
  assert.equal(pending, outcomes.other * REWARD, 'only held answers stay pending');
  const escrow = (await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.balances.USD.escrow_micros;
  assert.equal(escrow, DEPOSIT - (submitted - outcomes.rejected) * (REWARD + FEE), 'rejections returned reward and fee');

  const v = await srv.cli(['ledger', 'verify', '--db', srv.dbUrl]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /ledger OK/);
});
