// FW-16, FW-18 to FW-22: decision records with a written statement, restrictions that need a second human,
// emergency holds that lapse, appeals decided by another human (or for the worker when nobody does), and the
// worker's data export, all while a suspended or deactivated worker keeps access to their money and data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { makeChecker } from '../lib/schema.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';
import { startServer, createUserCli, signedInWorker, assertProblem, makeProject, randomId, run, REPO_ROOT, eventually } from '../lib/server.mjs';

// replies must fit their schemas in docs/openapi.json
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], `${name}: ${JSON.stringify(body).slice(0, 300)}`);

const DAY = 86_400_000;
let srv, sink, adminA, adminB, rtoken, project;
const dir = mkdtempSync(join(tmpdir(), 'fl-decisions-'));

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({ env: {
    FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_FEE_BPS: '1000', FAIRLABEL_SESSION_TTL: '315360000',
    FAIRLABEL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
  } });
  const a = await createUserCli(srv, { role: 'admin' });
  const b = await createUserCli(srv, { role: 'admin' });
  adminA = { token: await srv.login(a.email, a.password) };
  adminA.id = (await srv.api('GET', '/api/v1/me', { token: adminA.token })).json.id;
  adminB = { token: await srv.login(b.email, b.password) };
  adminB.id = (await srv.api('GET', '/api/v1/me', { token: adminB.token })).json.id;
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  project = await makeProject(srv, rtoken, { tasks: 40, publish: true, overlap: 1, reward_micros: 1_000_000, estimated_seconds: 60 });
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await srv?.stop();
  await sink?.close();
});

async function worker() {
  const w = await signedInWorker(srv);
  w.id = (await srv.api('GET', '/api/v1/me', { token: w.token })).json.id;
  return w;
}

const claim = (w) => srv.api('POST', `/api/v1/projects/${project.id}/claim`, { token: w.token });
async function submitOne(w) {
  const c = await claim(w);
  assert.equal(c.status, 200, c.text);
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(s.status, 200, s.text);
  return c.json.assignment_id;
}
/** A claim that works, given back at once so the worker's tasks stay untouched. */
async function claimWorks(w) {
  const c = await claim(w);
  assert.equal(c.status, 200, c.text);
  const r = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/release`, {
    token: w.token, body: { lease_token: c.json.lease_token },
  });
  assert.equal(r.status, 204, r.text);
}
async function bonus(w, amount) {
  const b = await srv.api('POST', `/api/v1/projects/${project.id}/bonuses`, {
    token: rtoken, body: { worker_id: w.id, amount_micros: amount, message: 'for the test', reference: randomId() },
  });
  assert.equal(b.status, 201, b.text);
}
const balances = async (w) => (await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json.balances;
const escrow = async () => (await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.balances.USD.escrow_micros;
const propose = (w, body, token = adminA.token) => srv.api('POST', `/api/v1/users/${w.id}/restrictions`, { token, body });
const approve = (id, token) => srv.api('POST', `/api/v1/restrictions/${id}/approve`, { token, body: {} });
const decisions = async (w) => {
  const r = await srv.api('GET', '/api/v1/me/decisions', { token: w.token });
  assert.equal(r.status, 200, r.text);
  fits('DecisionList', r.json);
  return r.json.items;
};
async function advance(ms) {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminA.token, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
}
async function auditFind(pred) {
  for (let after = 0; ;) {
    const r = await srv.api('GET', `/api/v1/audit?after_id=${after}&limit=500`, { token: adminA.token });
    assert.equal(r.status, 200, r.text);
    const hit = r.json.items.find(pred);
    if (hit) return hit;
    if (r.json.items.length < 500) return null;
    after = r.json.items.at(-1).id;
  }
}
/** The ZIP of GET /api/v1/me/export, unpacked: { name: text }. */
async function exportOf(w) {
  const res = await fetch(`${srv.url}/api/v1/me/export`, { headers: { authorization: `Bearer ${w.token}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  assert.match(res.headers.get('content-disposition'), /attachment; filename="fairlabel-export-\d{4}-\d{2}-\d{2}\.zip"/);
  const file = join(dir, `${randomId()}.zip`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const py = 'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n' +
    'print(json.dumps({n: z.read(n).decode("utf-8") for n in z.namelist()}))';
  const out = await run('python3', ['-c', py, file]);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

test('FW-19: a restriction without a second human does not take effect; a deactivated worker keeps access, earnings, payouts and their data', async () => {
  const w = await worker();
  const answer = await submitOne(w);
  await bonus(w, 10_000_000);
  const before = await balances(w);
  assert.equal(before.USD.available_micros, 10_000_000);

  // bad input names its field
  assert.equal(assertProblem(await propose(w, { kind: 'ban', rule: 'x', evidence: 'y' }), 422, 'INVALID_FIELD').field, '/kind');
  assert.equal(assertProblem(await propose(w, { kind: 'deactivation', rule: 'acct:fraud', evidence: '  ' }), 422, 'INVALID_FIELD').field, '/evidence');
  assertProblem(await srv.api('POST', `/api/v1/users/${adminB.id}/restrictions`, {
    token: adminA.token, body: { kind: 'suspension', rule: 'r', evidence: 'e' },
  }), 404, 'NOT_FOUND', 'only workers are restricted');

  const p = await propose(w, { kind: 'deactivation', rule: 'account:duplicate_accounts', evidence: 'Three accounts answered from one device with identical free text.' });
  assert.equal(p.status, 201, p.text);
  assert.equal(p.json.state, 'proposed');
  fits('Restriction', p.json);
  assert.equal(p.json.proposed_by, adminA.id);
  assert.equal(p.json.approved_by, null);

  // proposed only: no effect, nothing for the worker to read yet
  await claimWorks(w);
  assertProblem(await approve(p.json.id, adminA.token), 403, 'APPROVER_NOT_SECOND_HUMAN', 'the proposer cannot approve it');
  await claimWorks(w);
  assert.equal((await decisions(w)).length, 0);
  assertProblem(await approve(p.json.id, w.token), 403, 'ROLE_FORBIDDEN');

  // a second human approves: in force, the approver's id audited
  const ok = await approve(p.json.id, adminB.token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.state, 'active');
  fits('Restriction', ok.json);
  assert.equal(ok.json.approved_by, adminB.id);
  assert.equal(ok.json.confirmed_by, adminB.id);
  assertProblem(await approve(p.json.id, adminB.token), 409, 'RESTRICTION_STATE');
  const audited = await auditFind((e) => e.action === 'restriction.approved' && e.detail.restriction_id === p.json.id);
  assert.ok(audited);
  assert.equal(audited.actor_id, adminB.id);
  assert.equal(audited.detail.proposed_by, adminA.id);
  assertProblem(await claim(w), 403, 'ACCOUNT_RESTRICTED');

  // the worker signs in, reads the statement, sees the same earnings (the ledger is untouched)
  w.token = await srv.login(w.email, w.password);
  const mine = await decisions(w);
  assert.equal(mine.length, 1);
  const d = mine[0];
  assert.equal(d.kind, 'deactivation');
  assert.equal(d.rule, 'account:duplicate_accounts');
  assert.equal(d.decided_by, adminB.id);
  assert.equal(d.restriction_id, p.json.id);
  assert.equal(d.state, 'in_force');
  assert.match(d.evidence, /identical free text/);
  assert.match(d.statement, /deactivation under rule account:duplicate_accounts, decided by a human/);
  assert.equal(Date.parse(d.appeal_deadline) - Date.parse(d.created_at), 30 * DAY);
  assert.equal(d.appeal, null);
  assert.equal(d.appeal_url, `/api/v1/decisions/${d.id}/appeal`);
  assert.deepEqual(await balances(w), before, 'deactivation never removes earnings');
  const inbox = await srv.api('GET', '/api/v1/me/notifications', { token: w.token });
  assert.ok(inbox.json.items.some((n) => n.kind === 'decision' && /appeal/.test(n.body)), inbox.text);
  // and by email, with the rule and the evidence
  const mail = await sink.waitFor((m) => m.to.includes(w.email) && /deactivation/.test(m.subject), 15000);
  assert.match(mail.text, /Rule: account:duplicate_accounts/);
  assert.match(mail.text, /identical free text/);

  // payouts still work
  const m = await srv.api('PUT', '/api/v1/me/payout-method', {
    token: w.token, body: { rail: 'bank_transfer', holder_name: 'Amina Wanjiru', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' },
  });
  assert.equal(m.status, 200, m.text);
  const po = await srv.api('POST', '/api/v1/me/payouts', {
    token: w.token, body: { amount_micros: 5_000_000, currency: 'USD', idempotency_key: randomId() },
  });
  assert.equal(po.status, 201, po.text);
  assert.equal((await balances(w)).USD.available_micros, 5_000_000);

  // a ticket about it
  const ticket = await srv.api('POST', '/api/v1/tickets', {
    token: w.token, body: { category: 'account', subject: 'Why was I deactivated?', message: 'I share a device with my sister.' },
  });
  assert.equal(ticket.status, 201, ticket.text);

  // and the data export, unpacked and read
  const files = await exportOf(w);
  for (const t of ['answers', 'reviews', 'earnings', 'decisions', 'appeals', 'tickets'])
    for (const ext of ['json', 'csv']) assert.ok(`${t}.${ext}` in files, `${t}.${ext} in ${Object.keys(files)}`);
  assert.ok(files['README.txt'].includes('FW-22'));
  const answers = JSON.parse(files['answers.json']);
  assert.deepEqual(answers.map((x) => x.state), ['submitted', 'released', 'released'], 'every claim, released ones too');
  assert.equal(answers[0].assignment_id, answer);
  assert.deepEqual(answers[0].answer, { label: 'positive' });
  assert.match(files['answers.csv'].split('\r\n')[0], /^assignment_id,task_id,project_id,project_name,state,/);
  const earnings = JSON.parse(files['earnings.json']);
  assert.deepEqual(earnings.map((e) => e.cause).sort(), ['bonus', 'payout', 'submission'].sort(), files['earnings.json']);
  assert.equal(files['earnings.csv'].trim().split('\r\n').length, 1 + earnings.length);
  const exported = JSON.parse(files['decisions.json']);
  assert.deepEqual(exported.map((x) => [x.id, x.kind, x.rule]), [[d.id, 'deactivation', 'account:duplicate_accounts']]);
  assert.deepEqual(JSON.parse(files['appeals.json']), []);
  const tickets = JSON.parse(files['tickets.json']);
  assert.deepEqual(tickets.map((t) => [t.ticket_id, t.subject, t.from_staff, t.message]),
    [[ticket.json.id, 'Why was I deactivated?', false, 'I share a device with my sister.']]);
  assert.match(files['tickets.csv'], /"I share a device with my sister\."/);
});

test('FW-19: an emergency hold approved by its own proposer lapses after 7 days unless a second human confirms it', async () => {
  const w = await worker();
  const kept = await worker();
  const hold = async (x) => {
    const p = await propose(x, { kind: 'suspension', rule: 'account:payment_fraud', evidence: 'A chargeback ring.', emergency: true });
    assert.equal(p.status, 201, p.text);
    const a = await approve(p.json.id, adminA.token);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.state, 'active');
    assert.equal(a.json.confirmed_by, null, 'self-approved: unconfirmed');
    return p.json.id;
  };
  const id = await hold(w);
  const keptId = await hold(kept);
  assertProblem(await claim(w), 403, 'ACCOUNT_RESTRICTED');
  const [d] = await decisions(w);
  assert.equal(d.kind, 'hold');
  assert.match(d.evidence, /lapses after 7 days unless a second admin confirms it/);
  assertProblem(await srv.api('POST', `/api/v1/restrictions/${keptId}/confirm`, { token: adminA.token, body: {} }), 403, 'APPROVER_NOT_SECOND_HUMAN');
  const conf = await srv.api('POST', `/api/v1/restrictions/${keptId}/confirm`, { token: adminB.token, body: {} });
  assert.equal(conf.status, 200, conf.text);
  assert.equal(conf.json.confirmed_by, adminB.id);

  await advance(7 * DAY - 60_000);
  const state = async (rid) => (await srv.api('GET', `/api/v1/restrictions?user_id=${rid === id ? w.id : kept.id}`, { token: adminA.token })).json.items[0].state;
  assert.equal(await state(id), 'active', 'not yet 7 days');
  await advance(2 * 60_000);
  await eventually(async () => (await state(id)) === 'lapsed', 'the unconfirmed hold to lapse');
  assert.equal(await state(keptId), 'active', 'a confirmed hold stays');
  await claimWorks(w);
  assertProblem(await claim(kept), 403, 'ACCOUNT_RESTRICTED');
  assert.equal((await decisions(w))[0].state, 'lapsed');
  const lapsed = await auditFind((e) => e.action === 'restriction.lapsed' && e.detail.restriction_id === id);
  assert.equal(lapsed.actor_id, null);
});

test('FW-20: an appeal is decided by a human other than the decider; overturning a rejection pays it from escrow', async () => {
  const w = await worker();
  const other = await worker();
  const answer = await submitOne(w);
  const rej = await srv.api('POST', `/api/v1/assignments/${answer}/review`, {
    token: adminA.token, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'The text is clearly negative.' },
  });
  assert.equal(rej.status, 200, rej.text);
  assert.equal(rej.json.review_state, 'rejected');
  const [d] = await decisions(w);
  assert.deepEqual([d.kind, d.rule, d.decided_by, d.assignment_id], ['rejection', 'reject_reason:wrong_answer', adminA.id, answer]);
  assert.match(d.evidence, /clearly negative/);

  const appeal = (x, body) => srv.api('POST', `/api/v1/decisions/${d.id}/appeal`, { token: x.token, body });
  assertProblem(await appeal(other, { statement: 'Not mine.' }), 404, 'NOT_FOUND', "another worker's decision is not visible");
  assert.equal(assertProblem(await appeal(w, { statement: ' ' }), 422, 'INVALID_FIELD').field, '/statement');
  const ap = await appeal(w, { statement: 'The text says "not bad", which is positive.' });
  assert.equal(ap.status, 201, ap.text);
  assert.equal(ap.json.state, 'open');
  fits('Appeal', ap.json);
  assert.equal(Date.parse(ap.json.due_at) - Date.parse(ap.json.created_at), 14 * DAY);
  assertProblem(await appeal(w, { statement: 'Again.' }), 409, 'APPEAL_EXISTS');

  const decide = (token, outcome, note = 'Read the answer again.') =>
    srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token, body: { outcome, note } });
  assert.equal(assertProblem(await decide(adminB.token, 'maybe'), 422, 'INVALID_FIELD').field, '/outcome');
  assertProblem(await decide(adminA.token, 'overturned'), 403, 'APPEAL_SAME_DECIDER', 'the decider cannot decide the appeal');
  assertProblem(await decide(w.token, 'overturned'), 403, 'ROLE_FORBIDDEN');
  const open = await srv.api('GET', '/api/v1/appeals', { token: adminB.token });
  assert.ok(open.json.items.some((x) => x.id === ap.json.id));
  fits('AppealList', open.json);
  fits('RestrictionList', (await srv.api('GET', '/api/v1/restrictions', { token: adminB.token })).json);
  fits('DecisionList', (await srv.api('GET', `/api/v1/decisions?worker_id=${w.id}`, { token: adminB.token })).json);

  const esc0 = await escrow();
  const avail0 = (await balances(w)).USD?.available_micros ?? 0;
  const ok = await decide(adminB.token, 'overturned', 'The answer was right.');
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual([ok.json.state, ok.json.decided_by, ok.json.note], ['overturned', adminB.id, 'The answer was right.']);
  fits('Appeal', ok.json);
  assert.equal((await balances(w)).USD.available_micros, avail0 + 1_000_000, 'the reward is paid');
  assert.equal(await escrow(), esc0 - 1_100_000, 'reward and fee leave escrow again');
  assertProblem(await decide(adminB.token, 'upheld'), 409, 'APPEAL_DECIDED');
  const [after] = await decisions(w);
  assert.equal(after.state, 'overturned');
  assert.equal(after.appeal.state, 'overturned');
  assert.equal(after.appeal.decided_by, adminB.id);
  const audited = await auditFind((e) => e.action === 'appeal.overturned' && e.detail.appeal_id === ap.json.id);
  assert.equal(audited.actor_id, adminB.id);
  const mail = await sink.waitFor((m) => m.to.includes(w.email) && /appeal \d+ was decided: overturned/.test(m.subject), 15000);
  assert.match(mail.text, /The answer was right\./);
});

test('FW-20: an appeal nobody decides within 14 days resolves in the worker\'s favour and releases the withheld pay', async () => {
  const w = await worker();
  const answer = await submitOne(w);
  const rej = await srv.api('POST', `/api/v1/assignments/${answer}/review`, {
    token: adminA.token, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'Wrong label.' },
  });
  assert.equal(rej.status, 200, rej.text);
  const [d] = await decisions(w);
  const ap = await srv.api('POST', `/api/v1/decisions/${d.id}/appeal`, { token: w.token, body: { statement: 'It is right.' } });
  assert.equal(ap.status, 201, ap.text);
  const avail0 = (await balances(w)).USD?.available_micros ?? 0;
  await advance(14 * DAY - 60_000);
  assert.equal((await decisions(w))[0].appeal.state, 'open', 'not yet due');
  await advance(2 * 60_000);
  const resolved = await eventually(async () => {
    const [x] = await decisions(w);
    return x.appeal.state === 'overturned' && x;
  }, 'the overdue appeal to resolve');
  assert.equal(resolved.appeal.decided_by, null, 'nobody decided it');
  assert.equal(resolved.state, 'overturned');
  assert.equal((await balances(w)).USD.available_micros, avail0 + 1_000_000);
  const audited = await auditFind((e) => e.action === 'appeal.resolved_for_worker' && e.detail.appeal_id === ap.json.id);
  assert.equal(audited.actor_id, null);
  const files = await exportOf(w);
  const appeals = JSON.parse(files['appeals.json']);
  assert.deepEqual(appeals.map((x) => [x.id, x.state, x.decision_kind]), [[ap.json.id, 'overturned', 'rejection']]);
  assert.ok(JSON.parse(files['earnings.json']).some((e) => e.cause === 'appeal' && e.net_micros === 1_000_000));
});

test('appeals past their 30-day window are refused', async () => {
  const w = await worker();
  const answer = await submitOne(w);
  const rej = await srv.api('POST', `/api/v1/assignments/${answer}/review`, {
    token: adminA.token, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'Wrong label.' },
  });
  assert.equal(rej.status, 200, rej.text);
  const [d] = await decisions(w);
  await advance(30 * DAY + 60_000);
  assertProblem(await srv.api('POST', `/api/v1/decisions/${d.id}/appeal`, { token: w.token, body: { statement: 'Late.' } }),
    409, 'APPEAL_WINDOW_CLOSED');
});

test('FW-4 holds are decisions too: the appeal follows the hold, which only an admin decides', async () => {
  const w = await worker();
  const ids = [];
  for (let i = 0; i < 10; i++) ids.push(await submitOne(w));
  const reject = (id) => srv.api('POST', `/api/v1/assignments/${id}/review`, {
    token: rtoken, body: { decision: 'reject', reason_code: 'wrong_answer', note: 'Clearly negative.' },
  });
  assert.equal((await reject(ids[0])).json.review_state, 'rejected');
  const held = await reject(ids[1]);
  assert.equal(held.json.review_state, 'held', held.text);
  const mine = await decisions(w);
  const h = mine.find((x) => x.kind === 'hold');
  assert.ok(h, JSON.stringify(mine));
  assert.deepEqual([h.rule, h.hold_id, h.assignment_id], ['FW-4:share', held.json.hold.id, ids[1]]);
  assert.match(h.evidence, /held for human review/);
  assert.ok(mine.some((x) => x.kind === 'rejection' && x.assignment_id === ids[0]));

  const ap = await srv.api('POST', `/api/v1/decisions/${h.id}/appeal`, { token: w.token, body: { statement: 'Both were right.' } });
  assert.equal(ap.status, 201, ap.text);
  const decide = (outcome) => srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, {
    token: adminA.token, body: { outcome, note: 'Checked.' },
  });
  assertProblem(await decide('overturned'), 409, 'APPEAL_HOLD_OPEN');
  const avail0 = (await balances(w)).USD?.available_micros ?? 0;
  const hd = await srv.api('POST', `/api/v1/rejection-holds/${held.json.hold.id}/decide`, {
    token: adminB.token, body: { decision: 'overturn', note: 'The answer is right.' },
  });
  assert.equal(hd.status, 200, hd.text);
  assert.equal((await balances(w)).USD.available_micros, avail0 + 1_000_000, 'paid by the holds code path');
  const ok = await decide('overturned');
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await balances(w)).USD.available_micros, avail0 + 1_000_000, 'never paid twice');
});
