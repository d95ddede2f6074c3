// FW-27 the quarterly fairwork self-assessment. On the test clock, the server is moved to the start of the next
// quarter and a small quarter is built in it: a payout requested and confirmed two days later, a ticket answered
// after 80 hours (past the 72-hour target, escalated), an appeal decided after one day, a region wind-down
// approved with 31 days' notice. The report's figures are checked against the times the API recorded; the CLI
// prints the same bytes as the API; regenerating gives the same bytes in every format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, createUserCli, register, assertProblem, makeProject, randomId, REPO_ROOT } from '../lib/server.mjs';
import { makeChecker } from '../lib/schema.mjs';

// replies must fit their schema in docs/openapi.json
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], name);

const HOUR = 3600000;
const DAY = 24 * HOUR;
let srv, adminA, adminB, adminC, support, rtoken, project, quarter;

const me = async (token) => (await srv.api('GET', '/api/v1/me', { token })).json.id;
async function user(role) {
  const u = await createUserCli(srv, { role });
  u.token = await srv.login(u.email, u.password);
  u.id = await me(u.token);
  return u;
}
const clock = async (ms) => {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminA.token, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
  return Date.parse(r.json.now);
};

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SESSION_TTL: '315360000' } });
  adminA = await user('admin');
  adminB = await user('admin');
  adminC = await user('admin');
  support = await user('support');
  const requester = await user('requester');
  rtoken = requester.token;
  project = await makeProject(srv, rtoken, { tasks: 5, publish: true, overlap: 1, reward_micros: 1_000_000, estimated_seconds: 60 });
  // one hour into the next quarter, so nothing else falls into it and its end is two months away
  const now = new Date(await clock(0));
  const q = Math.floor(now.getUTCMonth() / 3);
  const start = Date.UTC(now.getUTCFullYear() + (q === 3 ? 1 : 0), ((q + 1) % 4) * 3, 1);
  await clock(start - now.getTime() + HOUR);
  quarter = `${new Date(start).getUTCFullYear()}Q${((q + 1) % 4) + 1}`;
});

after(async () => { await srv?.stop(); });

const report = (format = 'json', token = adminA.token) =>
  srv.api('GET', `/api/v1/reports/fairwork?quarter=${quarter}&format=${format}`, { token });
const item = (rep, id) => rep.items.find((i) => i.item === id);

test('a small quarter: payout, late ticket, appeal, region notice; the figures by hand; CLI and API the same bytes', async () => {
  // a worker with 10 USD available
  const w = await register(srv.url);
  w.token = await srv.login(w.email, w.password);
  w.id = await me(w.token);
  const c = await srv.api('POST', `/api/v1/projects/${project.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(s.status, 200, s.text);
  const b = await srv.api('POST', `/api/v1/projects/${project.id}/bonuses`, {
    token: rtoken, body: { worker_id: w.id, amount_micros: 10_000_000, message: 'thanks', reference: randomId() },
  });
  assert.equal(b.status, 201, b.text);

  // payout: requested, confirmed two days later
  const m = await srv.api('PUT', '/api/v1/me/payout-method', { token: w.token, body: {
    rail: 'bank_transfer', holder_name: 'Amina Wanjiru', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' } });
  assert.equal(m.status, 200, m.text);
  const po = await srv.api('POST', '/api/v1/me/payouts', { token: w.token,
    body: { amount_micros: 5_000_000, currency: 'USD', idempotency_key: 'fw-1' } });
  assert.equal(po.status, 201, po.text);
  await clock(2 * DAY);
  const batch = await srv.api('POST', '/api/v1/payout-batches', { token: adminA.token, body: { rail: 'bank_transfer', currency: 'USD' } });
  assert.equal(batch.status, 201, batch.text);
  assert.equal((await srv.api('POST', `/api/v1/payout-batches/${batch.json.id}/sent`, { token: adminA.token })).status, 200);
  const conf = await srv.api('POST', `/api/v1/payout-batches/${batch.json.id}/confirmation`, {
    token: adminA.token, headers: { 'content-type': 'text/csv' },
    body: `payment_reference,status,bank_reference,amount,currency,reason\nFLP${po.json.id},paid,BK-1,5.00,USD,\n`,
  });
  assert.equal(conf.status, 200, conf.text);
  const paid = (await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).json.items.find((p) => p.id === po.json.id);
  assert.equal(paid.state, 'confirmed');
  const payoutMs = Date.parse(paid.settled_at) - Date.parse(paid.created_at);
  assert.ok(payoutMs >= 2 * DAY && payoutMs < 7 * DAY);

  // a ticket answered after 80 hours: escalated at 72
  const t = await srv.api('POST', '/api/v1/tickets', { token: w.token,
    body: { category: 'pay', subject: 'Payout timing', message: 'When does my payout arrive?' } });
  assert.equal(t.status, 201, t.text);
  await clock(80 * HOUR);
  for (const deadline = Date.now() + 20000; ;) {
    const g = await srv.api('GET', `/api/v1/tickets/${t.json.id}`, { token: support.token });
    if (g.json.escalated_at) break;
    assert.ok(Date.now() < deadline, 'the ticket escalates');
    await new Promise((r) => setTimeout(r, 100));
  }
  const answered = await srv.api('POST', `/api/v1/tickets/${t.json.id}/messages`, { token: support.token, body: { body: 'It was paid on Tuesday.' } });
  assert.equal(answered.status, 201, answered.text);
  const ticketMs = Date.parse(answered.json.first_response_at) - Date.parse(answered.json.opened_at);
  assert.ok(ticketMs > 72 * HOUR);

  // a restriction approved by a second admin, appealed, upheld by a third one day later
  const pr = await srv.api('POST', `/api/v1/users/${w.id}/restrictions`, { token: adminA.token,
    body: { kind: 'restriction', rule: 'acct:copying', evidence: 'Answers identical to another account on 40 tasks.' } });
  assert.equal(pr.status, 201, pr.text);
  const ok = await srv.api('POST', `/api/v1/restrictions/${pr.json.id}/approve`, { token: adminB.token, body: {} });
  assert.equal(ok.status, 200, ok.text);
  const decisions = (await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items;
  const d = decisions.find((x) => x.kind !== 'rejection');
  assert.ok(d, JSON.stringify(decisions));
  const ap = await srv.api('POST', `/api/v1/decisions/${d.id}/appeal`, { token: w.token, body: { statement: 'I work alone.' } });
  assert.equal(ap.status, 201, ap.text);
  await clock(DAY);
  const dec = await srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token: adminC.token, body: { outcome: 'upheld', note: 'The copies are exact.' } });
  assert.equal(dec.status, 200, dec.text);
  const appealMs = Date.parse(dec.json.decided_at) - Date.parse(dec.json.created_at);

  // a wind-down with 31 days' notice
  const now = await clock(0);
  const rc = await srv.api('POST', '/api/v1/region-changes', { token: adminA.token, body: {
    country: 'NG', to: 'winding_down', reason: 'Our payment provider stops paying out in NG',
    explanation: 'fairlabel stops offering work in NG; every earning is paid out.',
    legal_basis: 'payment_rail', legal_reference: 'Provider notice NG-1', effective_at: new Date(now + 31 * DAY).toISOString() } });
  assert.equal(rc.status, 201, rc.text);
  const ra = await srv.api('POST', `/api/v1/region-changes/${rc.json.id}/approve`, { token: adminB.token, body: {} });
  assert.equal(ra.status, 200, ra.text);
  const noticeMs = Date.parse(ra.json.effective_at) - Date.parse(ra.json.decided_at);
  assert.ok(noticeMs > 30 * DAY);

  const r = await report();
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const rep = r.json;
  fits('FairworkReport', rep);
  assert.equal(rep.report, 'fairwork');
  assert.equal(rep.quarter, quarter);
  assert.deepEqual(rep.items.map((i) => i.rule), ['FW-2', 'FW-4', 'FW-5', 'FW-10', 'FW-6', 'FW-9', 'FW-14', 'FW-15', 'FW-17', 'FW-19', 'FW-20', 'FW-24']);
  assert.equal(item(rep, 'payout_latency').status, 'pass');
  assert.deepEqual(item(rep, 'payout_latency').value, {
    count: 1, p50_ms: payoutMs, p90_ms: payoutMs, max_ms: payoutMs, within_target: 1, within_target_ppm: 1000000 });
  assert.equal(item(rep, 'ticket_first_response').status, 'fail');
  assert.deepEqual(item(rep, 'ticket_first_response').value, {
    tickets: 1, count: 1, p50_ms: ticketMs, p90_ms: ticketMs, max_ms: ticketMs, within_target: 0, within_target_ppm: 0,
    escalated: 1, unanswered_late: 0 });
  assert.equal(item(rep, 'appeals').status, 'pass');
  assert.deepEqual(item(rep, 'appeals').value, {
    appeals: 1, open: 0, upheld: 1, overturned: 0, undecided_in_time: 0,
    count: 1, p50_ms: appealMs, p90_ms: appealMs, max_ms: appealMs, within_target: 1, within_target_ppm: 1000000 });
  assert.equal(item(rep, 'region_notice').status, 'pass');
  assert.deepEqual(item(rep, 'region_notice').value, {
    changes: 1, full_notice: 1, emergency: 0, short_notice: 0, count: 1, p50_ms: noticeMs, p90_ms: noticeMs, max_ms: noticeMs });
  assert.equal(item(rep, 'decisions_without_human').status, 'pass');
  assert.deepEqual(item(rep, 'decisions_without_human').value, { decisions: 0, restrictions: 0 });
  // nothing approved, held, topped up, published or flagged in this quarter
  for (const id of ['approval_latency', 'rejection_holds', 'hours_at_minimum', 'hours_at_living', 'topups', 'terms_notice', 'requesters_flagged'])
    assert.equal(item(rep, id).status, 'no_data', id);
  assert.deepEqual(rep.summary, { pass: 4, fail: 1, no_data: 7 });

  // the same bytes again, in every format, and from the CLI
  assert.equal((await report()).text, r.text);
  const cli = await srv.cli(['report', 'fairwork', '--quarter', quarter, '--db', srv.dbUrl]);
  assert.equal(cli.stdout, r.text, 'the CLI prints what the API answers');
  const csv = await report('csv');
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.equal((await report('csv')).text, csv.text);
  const rows = csv.text.trim().split('\n');
  assert.equal(rows[0], 'quarter,rule,item,status,target,value');
  assert.equal(rows.length, 13);
  assert.equal(rows[6], `${quarter},FW-9,payout_latency,pass,every confirmed payout within 7 days,count=1; max_ms=${payoutMs}; ` +
    `p50_ms=${payoutMs}; p90_ms=${payoutMs}; within_target=1; within_target_ppm=1000000`);
  const html = await report('html');
  assert.match(html.headers.get('content-type'), /^text\/html/);
  assert.equal((await report('html')).text, html.text);
  assert.match(html.text, /<tr class="fail"><td>FW-17<\/td>/);
  assert.equal((html.text.match(/&#10003; pass/g) || []).length, 4);
  const dir = mkdtempSync(join(tmpdir(), 'fl-fairwork-'));
  try {
    for (const f of ['csv', 'html']) {
      await srv.cli(['report', 'fairwork', '--quarter', quarter, '--format', f, '--out', join(dir, `r.${f}`), '--db', srv.dbUrl]);
      assert.equal(readFileSync(join(dir, `r.${f}`), 'utf8'), f === 'csv' ? csv.text : html.text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('admins only; a bad quarter or format names the parameter', async () => {
  assertProblem(await report('json', rtoken), 403, 'ROLE_FORBIDDEN');
  assertProblem(await report('json', support.token), 403, 'ROLE_FORBIDDEN');
  assert.equal(assertProblem(await srv.api('GET', '/api/v1/reports/fairwork?quarter=2026Q5', { token: adminA.token }), 400, 'BAD_QUERY').field, 'quarter');
  assert.equal(assertProblem(await report('xml'), 400, 'BAD_QUERY').field, 'format');
  const bad = await srv.cli(['report', 'fairwork', '--quarter', 'soon', '--db', srv.dbUrl], { allowFail: true });
  assert.equal(bad.code, 2);
  // an empty quarter: everything without data but FW-19
  const empty = await srv.api('GET', '/api/v1/reports/fairwork?quarter=2001Q1', { token: adminA.token });
  assert.equal(empty.status, 200, empty.text);
  fits('FairworkReport', empty.json);
  assert.deepEqual(empty.json.summary, { pass: 1, fail: 0, no_data: 11 });
});
