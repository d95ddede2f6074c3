// FW-14: versioned terms take effect for a worker only after 30 days' notice and their acknowledgement,
// unless recorded as a legal or security emergency; publishing and acknowledging never move money.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeChecker } from '../lib/schema.mjs';
import { startServer, createUserCli, register, assertProblem, makeProject, REPO_ROOT } from '../lib/server.mjs';

const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], `${name}: ${JSON.stringify(body).slice(0, 300)}`);

const DAY = 86_400_000;
let srv, adminToken, rtoken, project;

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SESSION_TTL: '315360000' } });
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  project = await makeProject(srv, rtoken, { tasks: 10, publish: true, overlap: 1, reward_micros: 1_000_000, estimated_seconds: 60 });
});

after(async () => { await srv?.stop(); });

async function worker() {
  const w = await register(srv.url);
  w.token = await srv.login(w.email, w.password);
  return w;
}
const publish = (body, token = adminToken) => srv.api('POST', '/api/v1/terms', { token, body });
const terms = async (w) => {
  const r = await srv.api('GET', '/api/v1/terms', { token: w.token });
  assert.equal(r.status, 200, r.text);
  fits('MyTerms', r.json);
  return r.json;
};
const ack = (w, v) => srv.api('POST', `/api/v1/terms/${v}/acknowledge`, { token: w.token, body: {} });
async function advance(ms) {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
}
/** Every balance the ledger keeps for these people (worker earnings, requester escrow). */
async function money(ws) {
  const out = [];
  for (const w of ws) out.push((await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json.balances);
  out.push((await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.balances);
  return out;
}

test('FW-14: 30 days of notice and the worker\'s acknowledgement, or a recorded emergency; the ledger is untouched', async () => {
  const w = await worker();
  const late = await worker();
  // money on both sides before any terms: a pending answer for w
  const c = await srv.api('POST', `/api/v1/projects/${project.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(s.status, 200, s.text);
  const money0 = await money([w, late]);
  assert.equal(money0[0].USD.pending_micros, 1_000_000);

  assert.deepEqual(await terms(w), { current: null, pending: [] });
  // refused: short notice without an emergency, a blank emergency reason, a worker publishing
  const short = assertProblem(await publish({ summary: 'Faster changes', body: 'Text.', notice_days: 29 }), 422, 'TERMS_NOTICE_SHORT');
  assert.equal(short.field, '/notice_days');
  assert.equal(assertProblem(await publish({ summary: 'x', body: 'y', notice_days: 0, emergency_reason: ' ' }), 422, 'INVALID_FIELD').field, '/emergency_reason');
  assertProblem(await publish({ summary: 'x', body: 'y' }, w.token), 403, 'ROLE_FORBIDDEN');

  const v1 = await publish({ summary: 'First terms', body: 'You keep what you earn.' });
  assert.equal(v1.status, 201, v1.text);
  assert.equal(v1.json.version, 1);
  fits('TermsPublished', v1.json);
  assert.equal(Date.parse(v1.json.effective_at) - Date.parse(v1.json.published_at), 30 * DAY, 'default notice: 30 days');
  assert.equal(v1.json.emergency, false);
  const inbox = await srv.api('GET', '/api/v1/me/notifications', { token: w.token });
  assert.ok(inbox.json.items.some((n) => n.kind === 'terms_published' && /Version 1/.test(n.body)), inbox.text);

  let t = await terms(w);
  assert.equal(t.current, null);
  assert.deepEqual(t.pending.map((x) => [x.version, x.status, x.applies, x.notice_over]), [[1, 'needs_acknowledgement', false, false]]);

  // acknowledged during the notice: applies only once the notice is over
  const a = await ack(w, 1);
  assert.equal(a.status, 200, a.text);
  fits('TermsAck', a.json);
  const again = await ack(w, 1);
  assert.equal(again.json.acknowledged_at, a.json.acknowledged_at, 'idempotent: the first acknowledgement stands');
  assertProblem(await ack(w, 99), 404, 'NOT_FOUND');
  t = await terms(w);
  assert.equal(t.current, null, 'the notice period is still running');
  assert.equal(t.pending[0].status, 'acknowledged');

  await advance(30 * DAY + 1000);
  t = await terms(w);
  assert.equal(t.current.version, 1);
  assert.equal(t.current.status, 'current');
  // the notice is over, but without an acknowledgement they do not apply to this worker
  const tl = await terms(late);
  assert.equal(tl.current, null);
  assert.deepEqual(tl.pending.map((x) => [x.version, x.status, x.notice_over]), [[1, 'needs_acknowledgement', true]]);
  assert.equal((await ack(late, 1)).status, 200);
  assert.equal((await terms(late)).current.version, 1);

  // an emergency applies at its effective date without acknowledgement, and says why
  const v2 = await publish({ summary: 'Security fix', body: 'Two-factor sign-in is required.', notice_days: 0, emergency_reason: 'Account takeovers (security)' });
  assert.equal(v2.status, 201, v2.text);
  assert.equal(v2.json.version, 2);
  assert.equal(v2.json.emergency, true);
  t = await terms(late);
  assert.equal(t.current.version, 2);
  assert.equal(t.current.emergency_reason, 'Account takeovers (security)');
  assert.equal(t.current.acknowledged_at, null);

  // a normal version: v2 stays current while v3 is pending
  const v3 = await publish({ summary: 'Longer review window', body: 'Reviews within 10 days.', notice_days: 45 });
  assert.equal(v3.status, 201, v3.text);
  t = await terms(w);
  assert.equal(t.current.version, 2);
  assert.deepEqual(t.pending.map((x) => x.version), [3]);

  // nothing of this moved money (the pending answer is approved by the review window meanwhile, so compare totals)
  const money1 = await money([w, late]);
  const total = (b) => (b.USD ? (b.USD.pending_micros ?? 0) + (b.USD.available_micros ?? 0) : 0);
  assert.equal(total(money1[0]), total(money0[0]), 'the worker\'s earnings are intact');
  assert.deepEqual(money1[1], money0[1]);
  assert.deepEqual(money1[2], money0[2], 'escrow untouched');
  // and no ledger transaction names terms as its cause
  const lines = (await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json;
  assert.ok(!JSON.stringify(lines).includes('terms'), JSON.stringify(lines).slice(0, 400));
});
