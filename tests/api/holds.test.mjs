// FW-4 bounded mass rejection: a rejection beyond 10% of a worker's submissions in a project, or beyond 10 a
// UTC day from one requester, is held: its money stays pending, it does not count, and only an admin decides it
// (uphold → the reward and fee go back to escrow; overturn → the answer is approved and paid).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeChecker } from '../lib/schema.mjs';
import { startServer, createUserCli, register, assertProblem, makeProject, REPO_ROOT } from '../lib/server.mjs';

// replies must fit their schemas in docs/openapi.json
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], `${name}: ${JSON.stringify(body).slice(0, 300)}`);

let srv, admin, requester, adminToken, rtoken, reviewerToken;

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_FEE_BPS: '1000' } });
  admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  const reviewer = await createUserCli(srv, { role: 'reviewer' });
  reviewerToken = await srv.login(reviewer.email, reviewer.password);
});

after(async () => { await srv?.stop(); });

async function worker() {
  const w = await register(srv.url);
  const token = await srv.login(w.email, w.password);
  const me = await srv.api('GET', '/api/v1/me', { token });
  return { ...w, token, id: me.json.id };
}

async function work(w, projectId, n) {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const c = await srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
    assert.equal(c.status, 200, c.text);
    const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
      token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
    });
    assert.equal(s.status, 200, s.text);
    ids.push(c.json.assignment_id);
  }
  return ids;
}

const reject = (id, token = rtoken) => srv.api('POST', `/api/v1/assignments/${id}/review`, {
  token, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'Clearly negative.' },
});
const earnings = async (w) => (await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json.balances.USD;
const escrow = async () => (await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.balances.USD.escrow_micros;
const holds = async (state = 'open') => {
  const r = await srv.api('GET', `/api/v1/rejection-holds?state=${state}`, { token: adminToken });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
};
/** Moves the server's clock to one minute past the next UTC midnight, so a test's rejections share one UTC day. */
async function startOfNextDay() {
  const now = (await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 0 } })).json.now;
  const ms = Date.parse(now);
  const next = Math.floor(ms / 86400000) * 86400000 + 86400000 + 60000;
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: next - ms } });
  assert.equal(r.status, 200, r.text);
}
const decide = (id, decision, token = adminToken, note = 'Looked at the answer myself.') =>
  srv.api('POST', `/api/v1/rejection-holds/${id}/decide`, { token, body: { decision, note } });

test('FW-4: rejections beyond 10% of a worker\'s submissions are held; money stays pending until an admin upholds or overturns', async () => {
  const w = await worker();
  const p = await makeProject(srv, rtoken, { tasks: 10, publish: true, overlap: 1, reward_micros: 50000 });
  const ids = await work(w, p.id, 10);
  assert.equal((await earnings(w)).pending_micros, 500000);
  await startOfNextDay();
  const escrow0 = await escrow();

  // 1 of 10 is exactly 10%: applies at once, reward and fee (55,000) back to escrow
  let r = await reject(ids[0]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.review_state, 'rejected');
  assert.equal(r.json.hold, null);
  fits('ReviewReply', r.json);
  assert.equal((await earnings(w)).pending_micros, 450000);
  assert.equal(await escrow(), escrow0 + 55000);

  // 2 of 10 is more than 10%: held; nothing moves, the answer still counts
  r = await reject(ids[1]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.review_state, 'held');
  assert.deepEqual({ ...r.json.hold, id: 0 },
    { id: 0, state: 'open', rejections: 2, submissions: 10, rejections_today: 2, over_share: true, over_daily: false });
  const held1 = r.json.hold.id;
  fits('ReviewReply', r.json);
  assert.equal((await earnings(w)).pending_micros, 450000, 'a held rejection leaves the reward pending');
  assert.equal(await escrow(), escrow0 + 55000);
  assertProblem(await reject(ids[1]), 409, 'REVIEW_DECIDED', 'a held answer is not reviewed again');
  const hist = await srv.api('GET', `/api/v1/assignments/${ids[1]}/history`, { token: w.token });
  assert.equal(hist.json.review_state, 'held');

  // the worker is told, and sees it among their decisions
  const inbox = await srv.api('GET', '/api/v1/me/notifications', { token: w.token });
  assert.equal(inbox.status, 200, inbox.text);
  const note = inbox.json.items.find((n) => n.kind === 'rejection_held');
  assert.ok(note, JSON.stringify(inbox.json));
  assert.match(note.body, /held for human review/);
  const myReviews = (await srv.api('GET', '/api/v1/me/reviews', { token: w.token })).json;
  fits('MyReviews', myReviews);
  let mine = myReviews.items;
  assert.equal(mine.find((m) => m.assignment_id === ids[1]).hold.status, 'held for human review');
  assert.equal(mine.find((m) => m.assignment_id === ids[0]).hold, null);

  // only an admin decides: not the requester who rejected, not a reviewer, not the worker
  assertProblem(await decide(held1, 'overturn', rtoken), 403, 'ROLE_FORBIDDEN');
  assertProblem(await decide(held1, 'overturn', reviewerToken), 403, 'ROLE_FORBIDDEN');
  assertProblem(await decide(held1, 'overturn', w.token), 403, 'ROLE_FORBIDDEN');
  assertProblem(await srv.api('GET', '/api/v1/rejection-holds', { token: rtoken }), 403, 'ROLE_FORBIDDEN');
  assert.equal(assertProblem(await decide(held1, 'maybe'), 422, 'INVALID_FIELD').field, '/decision');
  assert.equal(assertProblem(await decide(held1, 'uphold', adminToken, '  '), 422, 'INVALID_FIELD').field, '/note');
  assertProblem(await decide(999999, 'uphold'), 404, 'NOT_FOUND');

  const open = await holds();
  fits('RejectionHoldList', { items: open });
  const listed = open.find((h) => h.id === held1);
  assert.equal(listed.assignment_id, ids[1]);
  assert.equal(listed.worker_id, w.id);
  assert.equal(listed.rule, 'share');
  assert.equal(listed.pay_held, true);
  assert.equal(listed.reason_code, 'wrong_answer');

  // uphold: the normal rejection, money back to escrow in the same transaction
  r = await decide(held1, 'uphold');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'upheld');
  fits('HoldDecision', r.json);
  assert.equal(r.json.review_state, 'rejected');
  assert.equal(r.json.pay_state, 'rejected');
  assert.equal((await earnings(w)).pending_micros, 400000);
  assert.equal(await escrow(), escrow0 + 2 * 55000);
  assertProblem(await decide(held1, 'overturn'), 409, 'HOLD_DECIDED');
  assert.ok(!(await holds()).some((h) => h.id === held1));
  assert.equal((await holds('upheld')).find((h) => h.id === held1).decision_note, 'Looked at the answer myself.');

  // the third rejection is held too (3 of 10); overturned, the answer is approved and paid
  r = await reject(ids[2]);
  assert.equal(r.json.review_state, 'held');
  const held2 = r.json.hold.id;
  r = await decide(held2, 'overturn');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.review_state, 'accepted');
  assert.equal(r.json.pay_state, 'approved');
  fits('HoldDecision', r.json);
  fits('RejectionHoldList', { items: await holds('all') });
  const e = await earnings(w);
  assert.equal(e.pending_micros, 350000);
  assert.equal(e.available_micros, 50000);
  assert.equal(await escrow(), escrow0 + 2 * 55000, 'an overturned rejection refunds nothing');
  mine = (await srv.api('GET', '/api/v1/me/reviews', { token: w.token })).json.items;
  assert.equal(mine.find((m) => m.assignment_id === ids[2]).hold.status, 'overturned by an admin');

  // an admin's own rejection is the human review: never held
  r = await reject(ids[3], adminToken);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.review_state, 'rejected');

  // every hold and decision is audited
  const audit = await srv.api('GET', '/api/v1/audit?limit=200', { token: adminToken });
  const actions = audit.json.items.map((a) => a.action);
  assert.ok(actions.includes('rejection.held'));
  assert.ok(actions.includes('rejection_hold.upheld'));
  assert.ok(actions.includes('rejection_hold.overturned'));
});

test('FW-4: one rejection of a worker in a project always applies; a second out of fewer than 20 answers is held', async () => {
  const w = await worker();
  const p = await makeProject(srv, rtoken, { tasks: 3, publish: true, overlap: 1, reward_micros: 50000 });
  const ids = await work(w, p.id, 3);
  let r = await reject(ids[0]);
  assert.equal(r.json.review_state, 'rejected', '1 of 3: the one allowed');
  r = await reject(ids[1]);
  assert.equal(r.json.review_state, 'held', '2 of 3');
  assert.deepEqual([r.json.hold.rejections, r.json.hold.submissions, r.json.hold.over_share], [2, 3, true]);
  assert.equal((await earnings(w)).pending_micros, 100000);
  assert.equal((await decide(r.json.hold.id, 'uphold')).status, 200);
  assert.equal((await earnings(w)).pending_micros, 50000);
});

test('FW-4: the 11th rejection of a worker by one requester in a UTC day is held; the next day the count starts again', async () => {
  const w = await worker();
  // 121 answers, so 12 rejections stay within 10% (12 × 10 <= 121) and only the daily bound applies
  const p = await makeProject(srv, rtoken, { tasks: 121, publish: true, overlap: 1, reward_micros: 50000 });
  const ids = await work(w, p.id, 121);
  await startOfNextDay();
  for (let i = 0; i < 10; i++) {
    const r = await reject(ids[i]);
    assert.equal(r.json.review_state, 'rejected', `rejection ${i + 1}: ${r.text}`);
  }
  let r = await reject(ids[10]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.review_state, 'held');
  assert.equal(r.json.hold.rejections_today, 11);
  assert.equal(r.json.hold.over_daily, true);
  assert.equal(r.json.hold.over_share, false);
  const held = r.json.hold.id;
  assert.equal((await holds()).find((h) => h.id === held).rule, 'daily');
  const pending = (await earnings(w)).pending_micros;
  assert.equal(pending, (121 - 10) * 50000);

  // a day later the daily count is 1 again: 12 of 121 is within 10%, so it applies
  const c = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 86400000 } });
  assert.equal(c.status, 200, c.text);
  r = await reject(ids[11]);
  assert.equal(r.json.review_state, 'rejected', r.text);
  assert.equal((await earnings(w)).pending_micros, pending - 50000);

  // decided, the ledger is whole again (ledger verify runs when the server stops)
  r = await decide(held, 'uphold');
  assert.equal(r.status, 200, r.text);
  assert.equal((await earnings(w)).pending_micros, pending - 2 * 50000);
});

test('FW-4 with FW-20: a hold nobody decides within 14 days resolves in the worker\'s favour, approved and paid', async () => {
  const w = await worker();
  const p = await makeProject(srv, rtoken, { tasks: 3, publish: true, overlap: 1, reward_micros: 50000, quality: { review: { window_days: 14 } } });
  const ids = await work(w, p.id, 3);
  await startOfNextDay();
  assert.equal((await reject(ids[0])).json.review_state, 'rejected');
  const r = await reject(ids[1]);
  assert.equal(r.json.review_state, 'held');
  const id = r.json.hold.id;
  const before = await earnings(w);
  assert.equal(before.pending_micros, 100000);

  // 13 days: still waiting for an admin
  let c = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 13 * 86400000 } });
  assert.equal(c.status, 200, c.text);
  await new Promise((res) => setTimeout(res, 1500)); // a sweep or more of the background jobs
  adminToken = await srv.login(admin.email, admin.password);
  assert.ok((await holds('open')).some((h) => h.id === id), 'not lapsed after 13 days');

  c = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 86400000 + 60000 } });
  assert.equal(c.status, 200, c.text);
  // sessions expired with the time that passed
  adminToken = await srv.login(admin.email, admin.password);
  w.token = await srv.login(w.email, w.password);
  let lapsed;
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    lapsed = (await holds('overturned')).find((h) => h.id === id);
    if (lapsed) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(lapsed, 'the hold resolved');
  assert.equal(lapsed.decided_by ?? null, null, 'no human decided it');
  assert.match(lapsed.decision_note, /within 14 days/);
  const hist = await srv.api('GET', `/api/v1/assignments/${ids[1]}/history`, { token: w.token });
  assert.equal(hist.json.review_state, 'accepted');
  // the held answer's reward moved to available (the third answer may have been auto-approved too: 14-day window)
  const after = await earnings(w);
  assert.ok(after.available_micros >= 50000, JSON.stringify(after));
  assert.equal(after.pending_micros + after.available_micros, 100000, 'nothing lost: 2 answers paid, 1 rejected');
  const inbox = (await srv.api('GET', '/api/v1/me/notifications', { token: w.token })).json.items;
  assert.ok(inbox.some((n) => n.kind === 'rejection_overturned' && /favour/.test(n.body)), JSON.stringify(inbox));
  let found = false;
  for (let after = 0; !found;) {
    const page = (await srv.api('GET', `/api/v1/audit?after=${after}&limit=500`, { token: adminToken })).json.items;
    if (!page.length) break;
    found = page.some((e) => e.action === 'rejection_hold.lapsed' && e.actor_id === null);
    after = page[page.length - 1].id;
  }
  assert.ok(found, 'audited, with no human as the actor');
});

test('FW-18/FW-20: an upheld hold is a pay refusal with the admin as decider; another admin overturning the appeal pays it', async () => {
  // the test before moved the clock past the sessions' lifetime
  adminToken = await srv.login(admin.email, admin.password);
  rtoken = await srv.login(requester.email, requester.password);
  const w = await worker();
  const p = await makeProject(srv, rtoken, { tasks: 10, publish: true, overlap: 1, reward_micros: 50000 });
  const ids = await work(w, p.id, 10);
  await startOfNextDay();
  assert.equal((await reject(ids[0])).json.review_state, 'rejected');
  const r = await reject(ids[1]);
  assert.equal(r.json.review_state, 'held');
  assert.equal((await decide(r.json.hold.id, 'uphold', adminToken, 'The answer is wrong.')).status, 200);

  const mine = (await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items;
  const refusal = mine.find((d) => d.kind === 'pay_refusal');
  assert.ok(refusal, JSON.stringify(mine));
  const adminId = (await srv.api('GET', '/api/v1/me', { token: adminToken })).json.id;
  assert.deepEqual([refusal.assignment_id, refusal.decided_by, refusal.rule], [ids[1], adminId, 'FW-4:hold_upheld']);
  assert.match(refusal.evidence, /The answer is wrong\./);

  const ap = await srv.api('POST', `/api/v1/decisions/${refusal.id}/appeal`, { token: w.token, body: { statement: 'It was right.' } });
  assert.equal(ap.status, 201, ap.text);
  const decideAppeal = (token) => srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`,
    { token, body: { outcome: 'overturned', note: 'Right after all.' } });
  assertProblem(await decideAppeal(adminToken), 403, 'APPEAL_SAME_DECIDER', 'the admin who refused cannot decide the appeal');
  const admin2 = await createUserCli(srv, { role: 'admin' });
  const before = (await earnings(w)).available_micros ?? 0;
  const ok = await decideAppeal(await srv.login(admin2.email, admin2.password));
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await earnings(w)).available_micros, before + 50000, 'the refused reward is paid');
});
