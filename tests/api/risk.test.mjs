// The per-account risk score (FW-25): the public rule table, sign-in signals, the periodic evaluation, and
// what a score may do. A shared IP address changes nothing; a shared device scores without acting; failed gold
// proposes a step-up (re-qualification or email re-verification) or a lower tier that waits for a human, whose
// approval of a lower tier is an appealable decision; no risk code ever restricts, holds or deactivates anyone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSmtpSink } from '../lib/smtp.mjs';
import { startServer, createUserCli, register, makeProject, importTasks, assertProblem } from '../lib/server.mjs';

let srv, sink, admin, admin2, rtoken;

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({ env: {
    FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SESSION_TTL: '315360000', FAIRLABEL_COUNTRY_HEADER: 'CF-IPCountry',
    FAIRLABEL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
  } });
  const a = await createUserCli(srv, { role: 'admin' });
  admin = { ...a, token: await srv.login(a.email, a.password) };
  admin.id = (await srv.api('GET', '/api/v1/me', { token: admin.token })).json.id;
  const a2 = await createUserCli(srv, { role: 'admin' });
  admin2 = { ...a2, token: await srv.login(a2.email, a2.password) };
  admin2.id = (await srv.api('GET', '/api/v1/me', { token: admin2.token })).json.id;
  const req = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(req.email, req.password);
});

after(async () => {
  await srv?.stop();
  await sink?.close();
});

const deviceId = (s) => createHash('sha256').update(s).digest('hex');

async function signIn(email, password, headers = {}) {
  const r = await srv.api('POST', '/api/v1/auth/login', { body: { email, password }, headers });
  assert.equal(r.status, 200, `login ${email}: ${r.text}`);
  return r.json.token;
}

async function worker(headers = {}) {
  const w = await register(srv.url);
  const token = await signIn(w.email, w.password, headers);
  const me = await srv.api('GET', '/api/v1/me', { token });
  return { ...w, id: me.json.id, token };
}

/** Moves the clock past the evaluation interval and waits until every given worker was scored after it. */
async function evaluated(ids, ms = 20000) {
  const c = await srv.api('POST', '/api/v1/test/clock', { token: admin.token, body: { advance_ms: 61000 } });
  assert.equal(c.status, 200, c.text);
  const since = Date.parse(c.json.now);
  const deadline = Date.now() + ms;
  const out = {};
  for (;;) {
    for (const id of ids) {
      if (out[id]) continue;
      const r = await srv.api('GET', `/api/v1/users/${id}/risk`, { token: admin.token });
      assert.equal(r.status, 200, r.text);
      if (r.json.evaluated_at && Date.parse(r.json.evaluated_at) >= since) out[id] = r.json;
    }
    if (ids.every((id) => out[id])) return out;
    if (Date.now() > deadline) throw new Error(`risk scores not evaluated after the clock moved: ${ids.filter((id) => !out[id])}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Nothing the risk code did restricted, held or deactivated any of these workers. */
async function assertNothingAdverse(ids) {
  const rs = await srv.api('GET', '/api/v1/restrictions', { token: admin.token });
  assert.equal(rs.status, 200, rs.text);
  assert.deepEqual(rs.json.items.filter((x) => ids.includes(x.user_id)), [], 'no account restriction');
  const ds = await srv.api('GET', '/api/v1/decisions', { token: admin.token });
  assert.equal(ds.status, 200, ds.text);
  assert.deepEqual(ds.json.items.filter((x) => ids.includes(x.worker_id) && ['deactivation', 'hold'].includes(x.kind)), [],
    'no deactivation or hold decision');
  for (const id of ids) {
    const u = await srv.api('GET', `/api/v1/users/${id}/risk`, { token: admin.token });
    assert.equal(u.status, 200);
  }
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: admin.token });
  assert.ok(!audit.json.items.some((e) => /^risk\./.test(e.action) && /suspend|restrict|deactivat|hold/.test(e.action)));
}

test('the rule table is public: every signal, its threshold, its points and what a score can do', async () => {
  const r = await srv.api('GET', '/api/v1/risk/rules');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.rules.map((x) => x.id),
    ['gold_accuracy', 'fast_answers', 'shared_device', 'copied_answers', 'login_country_change', 'shared_ip']);
  const ip = r.json.rules.find((x) => x.id === 'shared_ip');
  assert.equal(ip.points, 0, 'a shared address weighs nothing');
  for (const x of r.json.rules) for (const k of ['reads', 'threshold']) assert.ok(x[k].length > 10, `${x.id}.${k}`);
  assert.deepEqual(r.json.actions.map((a) => [a.action, a.at_score]), [['step_up', 40], ['lower_tier', 70]]);
  assert.match(r.json.never, /never suspends/);
});

test('40 accounts on one IP address: each is scored 0 and nothing happens to any', async () => {
  const ws = [];
  // four at a time: the server hashes up to FAIRLABEL_MAX_HASHES passwords at once
  for (let i = 0; i < 40; i += 4) ws.push(...await Promise.all([worker(), worker(), worker(), worker()]));
  const ids = ws.map((w) => w.id);
  const scores = await evaluated(ids, 30000);
  for (const id of ids) {
    const s = scores[id];
    assert.equal(s.score, 0, JSON.stringify(s));
    assert.equal(s.action, 'none');
    assert.deepEqual(s.fired, []);
    assert.equal(s.effect, null);
    assert.ok(s.signals.ip_accounts >= 40, `recorded: ${s.signals.ip_accounts} accounts on the address`);
  }
  // the worker sees the same about themselves
  const mine = await srv.api('GET', '/api/v1/me/risk', { token: ws[0].token });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.json.user_id, ws[0].id);
  assert.equal(mine.json.score, 0);
  const q = await srv.api('GET', '/api/v1/me/quality', { token: ws[0].token });
  assert.deepEqual(q.json.rule_events, []);
  await assertNothingAdverse(ids);
});

test('3 accounts on one device: scored by the table, no action below the step-up score', async () => {
  const dev = { 'X-Device-Id': deviceId(`device-${Math.random()}`) };
  const ws = [await worker(dev), await worker(dev), await worker(dev)];
  const lone = await worker({ 'X-Device-Id': deviceId(`other-${Math.random()}`) });
  const bad = await worker({ 'X-Device-Id': 'not-a-sha256' }); // ignored, not stored
  const scores = await evaluated([...ws.map((w) => w.id), lone.id, bad.id]);
  for (const w of ws) {
    const s = scores[w.id];
    assert.equal(s.signals.device_accounts, 3);
    assert.equal(s.score, 30);
    assert.deepEqual(s.fired.map((f) => f.id), ['shared_device']);
    assert.equal(s.fired[0].points, 30);
    assert.equal(s.action, 'none', 'below the step-up score nothing happens');
    assert.equal(s.effect, null);
  }
  assert.equal(scores[lone.id].signals.device_accounts, 1);
  assert.equal(scores[lone.id].score, 0);
  assert.equal(scores[bad.id].signals.device_accounts, 0);
  // the worker reads why
  const mine = await srv.api('GET', '/api/v1/me/risk', { token: ws[0].token });
  assert.equal(mine.json.score, 30);
  assert.match(mine.json.fired[0].reads, /device fingerprint/);
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: admin.token });
  assert.ok(audit.json.items.some((e) => e.action === 'risk.score' && e.detail.worker_id === ws[0].id),
    'the firing is audited');
  await assertNothingAdverse([...ws.map((w) => w.id), lone.id]);
});

test('logins from 3 countries in 7 days (trusted proxy header) score, without an action', async () => {
  const w = await worker({ 'CF-IPCountry': 'KE' });
  await signIn(w.email, w.password, { 'CF-IPCountry': 'NG' });
  await signIn(w.email, w.password, { 'CF-IPCountry': 'PK' });
  await signIn(w.email, w.password, { 'CF-IPCountry': 'xx-bad' });
  const s = (await evaluated([w.id]))[w.id];
  assert.equal(s.signals.login_countries_7d, 3);
  assert.deepEqual(s.fired.map((f) => f.id), ['login_country_change']);
  assert.equal(s.score, 20);
  assert.equal(s.action, 'none');
});

/** A published project whose first 10 tasks are gold (answer "negative"), then one normal task. */
async function goldProject() {
  const p = await makeProject(srv, rtoken, { quality: { gold: { first: 10, percent: 0 } } });
  const gold = Array.from({ length: 10 }, (_, i) => ({
    data: { text: `gold ${i}` }, external_id: `g${i}`, gold: { answer: { label: 'negative' }, explanation: 'negative' },
  }));
  await importTasks(srv, rtoken, p.id, [...gold, { data: { text: 'work' }, external_id: 'n1' }]);
  const pub = await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  assert.equal(pub.status, 200, pub.text);
  return p;
}

/** The worker answers the 10 gold tasks wrongly. */
async function failGold(w, p) {
  for (let i = 0; i < 10; i++) {
    const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token });
    assert.equal(c.status, 200, c.text);
    assert.match(c.json.task.external_id, /^g/);
    const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
      token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
    });
    assert.equal(s.status, 200, s.text);
  }
}

test('gold accuracy below 60% over 10 gold: a re-qualification is proposed, applied only when a human approves', async () => {
  const p = await goldProject();
  const w = await worker();
  await failGold(w, p);
  const s = (await evaluated([w.id]))[w.id];
  assert.equal(s.signals.gold_answers, 10);
  assert.equal(s.signals.gold_correct, 0);
  assert.deepEqual(s.fired.map((f) => f.id), ['gold_accuracy']);
  assert.equal(s.score, 40);
  assert.equal(s.action, 'step_up');
  assert.equal(s.effect.state, 'open', 'proposed, waiting for a human');
  const evs = await srv.api('GET', `/api/v1/projects/${p.id}/quality-events`, { token: admin.token });
  assert.equal(evs.status, 200, evs.text);
  const ev = evs.json.items.find((e) => e.id === s.effect.quality_event_id);
  assert.equal(ev.worker_id, w.id);
  assert.equal(ev.rule_id, 'risk_score');
  assert.equal(ev.action, 'require_requalification');
  assert.equal(ev.detail.in_effect, false);
  // not applied: the worker still claims normal work
  const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.task.external_id, 'n1');
  await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/release`, { token: w.token, body: { lease_token: c.json.lease_token } });
  // a second pass proposes nothing new while the first waits
  const again = (await evaluated([w.id]))[w.id];
  assert.equal(again.effect.quality_event_id, s.effect.quality_event_id);
  const evs2 = await srv.api('GET', `/api/v1/projects/${p.id}/quality-events`, { token: admin.token });
  assert.equal(evs2.json.items.filter((e) => e.rule_id === 'risk_score').length, 1);
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: admin.token });
  assert.ok(audit.json.items.some((e) => e.action === 'risk.step_up' && e.detail.worker_id === w.id));
  // a human approves it: now it takes effect, recorded with the human's id
  const d = await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: admin.token, body: { decision: 'approve', note: 'gold far off' } });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.resolved_by, admin.id ?? d.json.resolved_by);
  const mine = await srv.api('GET', '/api/v1/me/risk', { token: w.token });
  assert.equal(mine.json.effect.state, 'approved');
  await assertNothingAdverse([w.id]);
});

test('gold below 60% and a shared device reach 70: a lower tier only proposed; a human approving it makes an appealable review_tier decision; overturned, tier 0', async () => {
  const p = await goldProject();
  const dev = { 'X-Device-Id': deviceId(`tier-${Math.random()}`) };
  const w = await worker(dev);
  await worker(dev);
  await worker(dev);
  await failGold(w, p);
  const s = (await evaluated([w.id]))[w.id];
  assert.deepEqual(s.fired.map((f) => f.id), ['gold_accuracy', 'shared_device']);
  assert.equal(s.score, 70);
  assert.equal(s.action, 'lower_tier');
  assert.equal(s.effect.state, 'open');
  const tier = async () => (await srv.api('GET', '/api/v1/me/quality', { token: w.token })).json.projects.find((x) => x.project_id === p.id).tier;
  assert.equal(await tier(), 0, 'nothing changes before a human decides');
  const ev = (await srv.api('GET', '/api/v1/me/quality', { token: w.token })).json.rule_events.find((e) => e.id === s.effect.quality_event_id);
  assert.equal(ev.action, 'lower_tier');
  assert.equal(ev.detail.in_effect, false, 'only proposed');
  const decisions = async () => (await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items;
  assert.deepEqual(await decisions(), []);
  // a human approves: tier 1, recorded as a decision with the rule, the evidence, the signal and the human
  const d = await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: admin.token, body: { decision: 'approve', note: 'gold far off, shared device' } });
  assert.equal(d.status, 200, d.text);
  assert.equal(await tier(), 1, 'every later answer is reviewed');
  const [dec] = await decisions();
  assert.equal(dec.kind, 'review_tier');
  assert.equal(dec.rule, 'risk:gold_accuracy,shared_device');
  assert.equal(dec.signal, 'risk_score');
  assert.equal(dec.decided_by, admin.id);
  assert.match(dec.evidence, /risk score reached 70/);
  assert.match(dec.statement, /^review_tier under rule risk:gold_accuracy,shared_device, decided by a human/);
  assert.ok(dec.appeal_url.endsWith(`/decisions/${dec.id}/appeal`));
  const listed = await srv.api('GET', '/api/v1/decisions?kind=review_tier', { token: admin.token });
  assert.equal(listed.status, 200, listed.text);
  assert.ok(listed.json.items.some((x) => x.id === dec.id));
  // scored again while in tier 1: nothing new is proposed
  const again = (await evaluated([w.id]))[w.id];
  assert.equal(again.effect.quality_event_id, ev.id);
  // the worker appeals; the approver cannot decide it; a second admin overturns it: back to tier 0
  const ap = await srv.api('POST', `/api/v1/decisions/${dec.id}/appeal`, { token: w.token, body: { statement: 'My household shares one laptop.' } });
  assert.equal(ap.status, 201, ap.text);
  assertProblem(await srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token: admin.token, body: { outcome: 'overturned', note: 'x' } }),
    403, 'APPEAL_SAME_DECIDER');
  const od = await srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token: admin2.token, body: { outcome: 'overturned', note: 'A shared family device.' } });
  assert.equal(od.status, 200, od.text);
  assert.equal(await tier(), 0, 'overturned: back to tier 0');
  assert.equal((await decisions())[0].state, 'overturned');
  const closed = (await srv.api('GET', '/api/v1/me/quality', { token: w.token })).json.rule_events.find((e) => e.id === ev.id);
  assert.equal(closed.state, 'dismissed');
  assert.equal(closed.resolved_by, admin2.id);
  await assertNothingAdverse([w.id]);
});

test('a review_tier decision upheld on appeal keeps tier 1; dismissing a lower-tier proposal changes nothing', async () => {
  const p = await goldProject();
  const dev = { 'X-Device-Id': deviceId(`tier2-${Math.random()}`) };
  const w = await worker(dev);
  const w2 = await worker(dev);
  await worker(dev);
  await failGold(w, p);
  await failGold(w2, p);
  const scores = await evaluated([w.id, w2.id]);
  const tier = async (x) => (await srv.api('GET', '/api/v1/me/quality', { token: x.token })).json.projects.find((q) => q.project_id === p.id).tier;
  // dismissed: nothing was in effect, nothing changes
  const dm = await srv.api('POST', `/api/v1/quality-events/${scores[w2.id].effect.quality_event_id}/decide`, { token: admin.token, body: { decision: 'dismiss' } });
  assert.equal(dm.status, 200, dm.text);
  assert.equal(await tier(w2), 0);
  assert.deepEqual((await srv.api('GET', '/api/v1/me/decisions', { token: w2.token })).json.items, []);
  // approved, appealed, upheld: stays
  const ok = await srv.api('POST', `/api/v1/quality-events/${scores[w.id].effect.quality_event_id}/decide`, { token: admin.token, body: { decision: 'approve' } });
  assert.equal(ok.status, 200, ok.text);
  const [dec] = (await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items;
  const ap = await srv.api('POST', `/api/v1/decisions/${dec.id}/appeal`, { token: w.token, body: { statement: 'Please look again.' } });
  assert.equal(ap.status, 201, ap.text);
  const up = await srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token: admin2.token, body: { outcome: 'upheld', note: 'The gold answers were clear.' } });
  assert.equal(up.status, 200, up.text);
  assert.equal(await tier(w), 1);
  assert.equal((await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items[0].state, 'in_force');
  await assertNothingAdverse([w.id, w2.id]);
});

test('email re-verification as a step-up: the admin chooses it, claims wait for the emailed link, everything else works', async () => {
  const p = await goldProject();
  const w = await worker();
  await failGold(w, p);
  const s = (await evaluated([w.id]))[w.id];
  assert.equal(s.action, 'step_up');
  const url = `/api/v1/quality-events/${s.effect.quality_event_id}/decide`;
  // the project's requester may decide quality events, but not hold back the account everywhere
  assertProblem(await srv.api('POST', url, { token: rtoken, body: { decision: 'approve', step: 'email' } }), 403, 'ROLE_FORBIDDEN');
  const d = await srv.api('POST', url, { token: admin.token, body: { decision: 'approve', step: 'email', note: 'check the address' } });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.step, 'email');
  const mail = await sink.waitFor((m) => m.to.includes(w.email) && /Confirm your email address/.test(m.subject), 20000);
  const token = mail.text.replace(/=\r?\n/g, '').match(/verify-email\?t=([A-Za-z0-9_-]+)/)[1];
  assert.match(token, /^flv_/);
  // claims are refused, with the way out named
  const refused = assertProblem(await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token }), 403, 'EMAIL_REVERIFY_REQUIRED');
  assert.match(refused.detail, /POST \/api\/v1\/me\/email-verification/);
  // everything else keeps working
  assert.equal((await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).status, 200);
  assert.equal((await srv.api('GET', '/api/v1/me/export', { token: w.token })).status, 200);
  const inbox = await srv.api('GET', '/api/v1/me/notifications', { token: w.token });
  assert.ok(JSON.stringify(inbox.json).includes('Confirm your email address'));
  assert.ok(!JSON.stringify(inbox.json).includes(token), 'the link goes only to the mailbox');
  // a resend right away is throttled; ten minutes later a new link replaces the first
  assertProblem(await srv.api('POST', '/api/v1/me/email-verification', { token: w.token, body: {} }), 429, 'EMAIL_REVERIFY_THROTTLED');
  assert.equal((await srv.api('POST', '/api/v1/test/clock', { token: admin.token, body: { advance_ms: 11 * 60000 } })).status, 200);
  const re = await srv.api('POST', '/api/v1/me/email-verification', { token: w.token });
  assert.equal(re.status, 200, re.text);
  assert.equal(re.json.state, 'pending');
  assert.equal(Date.parse(re.json.expires_at) - Date.parse(re.json.sent_at), 7 * 86_400_000);
  const mail2 = await sink.waitFor((m) => m !== mail && m.to.includes(w.email) && /Confirm your email address/.test(m.subject), 20000);
  const token2 = mail2.text.replace(/=\r?\n/g, '').match(/verify-email\?t=([A-Za-z0-9_-]+)/)[1];
  assert.notEqual(token2, token);
  const confirm = (t) => srv.api('POST', '/api/v1/email-verification/confirm', { body: { token: t } });
  assertProblem(await confirm(token), 410, 'EMAIL_REVERIFY_LINK_INVALID');
  assertProblem(await confirm('flv_nonsense'), 410, 'EMAIL_REVERIFY_LINK_INVALID');
  assert.equal(assertProblem(await srv.api('POST', '/api/v1/email-verification/confirm', { body: { token: 'x', extra: 1 } }), 422, 'INVALID_FIELD').field, '/extra');
  const ok = await confirm(token2);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.state, 'verified');
  assertProblem(await confirm(token2), 410, 'EMAIL_REVERIFY_LINK_INVALID');
  const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  assertProblem(await srv.api('POST', '/api/v1/me/email-verification', { token: w.token }), 409, 'EMAIL_REVERIFY_NONE');
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: admin.token });
  for (const action of ['email_reverify.requested', 'email_reverify.resent', 'email_reverify.verified'])
    assert.ok(audit.json.items.some((e) => e.action === action && (e.detail.worker_id === w.id || e.actor_id === w.id)), action);
  assert.ok(audit.json.items.some((e) => e.action === 'quality.approve' && e.detail.step === 'email'));
  // the page of the link is served
  const page = await srv.api('GET', '/verify-email');
  assert.equal(page.status, 200);
  await assertNothingAdverse([w.id]);
});

test('an expired email link is refused; the worker asks for a new one', async () => {
  const p = await goldProject();
  const w = await worker();
  await failGold(w, p);
  const s = (await evaluated([w.id]))[w.id];
  assert.equal((await srv.api('POST', `/api/v1/quality-events/${s.effect.quality_event_id}/decide`, {
    token: admin.token, body: { decision: 'approve', step: 'email' },
  })).status, 200);
  const mail = await sink.waitFor((m) => m.to.includes(w.email) && /Confirm your email address/.test(m.subject), 20000);
  const token = mail.text.replace(/=\r?\n/g, '').match(/verify-email\?t=([A-Za-z0-9_-]+)/)[1];
  assert.equal((await srv.api('POST', '/api/v1/test/clock', { token: admin.token, body: { advance_ms: 7 * 86_400_000 + 1000 } })).status, 200);
  assertProblem(await srv.api('POST', '/api/v1/email-verification/confirm', { body: { token } }), 410, 'EMAIL_REVERIFY_LINK_INVALID');
  assertProblem(await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: w.token }), 403, 'EMAIL_REVERIFY_REQUIRED');
  assert.equal((await srv.api('POST', '/api/v1/me/email-verification', { token: w.token })).status, 200);
});

test('risk routes: admin only for others, 404 for an unknown user, workers see only their own', async () => {
  const w = await worker();
  const other = await worker();
  assert.equal((await srv.api('GET', `/api/v1/users/${other.id}/risk`, { token: w.token })).status, 403);
  assertProblem(await srv.api('GET', '/api/v1/users/999999/risk', { token: admin.token }), 404, 'NOT_FOUND');
  const never = await srv.api('GET', `/api/v1/users/${other.id}/risk`, { token: admin.token });
  assert.equal(never.status, 200);
  assert.equal(never.json.user_id, other.id);
});
