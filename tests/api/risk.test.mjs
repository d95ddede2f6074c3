// The per-account risk score (FW-25): the public rule table, sign-in signals, the periodic evaluation, and
// what a score may do. A shared IP address changes nothing; a shared device scores without acting; failed gold
// proposes a re-qualification that waits for a human; no risk code ever restricts, holds or deactivates anyone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, createUserCli, register, makeProject, importTasks, assertProblem } from '../lib/server.mjs';

let srv, admin, rtoken;

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_COUNTRY_HEADER: 'CF-IPCountry' } });
  const a = await createUserCli(srv, { role: 'admin' });
  admin = { ...a, token: await srv.login(a.email, a.password) };
  const req = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(req.email, req.password);
});

after(async () => { await srv?.stop(); });

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

test('gold below 60% and a shared device reach 70: a lower tier at once, undone when a human dismisses it', async () => {
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
  assert.equal(await tier(), 1, 'every later answer is reviewed');
  const ev = (await srv.api('GET', '/api/v1/me/quality', { token: w.token })).json.rule_events.find((e) => e.id === s.effect.quality_event_id);
  assert.equal(ev.action, 'lower_tier');
  assert.equal(ev.detail.in_effect, true);
  const d = await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: admin.token, body: { decision: 'dismiss' } });
  assert.equal(d.status, 200, d.text);
  assert.equal(await tier(), 0);
  await assertNothingAdverse([w.id]);
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
