// FW-26: the public transparency page lists every automated rule with this server's parameters and a change
// log; FW-23: announcements with a comment period, created by admins or by the changes themselves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeChecker } from '../lib/schema.mjs';
import { startServer, createUserCli, register, assertProblem, REPO_ROOT } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], `${name}: ${JSON.stringify(body).slice(0, 300)}`);
const DAY = 86_400_000;
const RULES = ['auto_approval', 'rejection_hold', 'rejection_hold_lapse', 'claim_floor', 'weekly_topup', 'weekly_payouts',
  'quality_rules', 'risk_score', 'ticket_escalation', 'emergency_hold_lapse', 'appeal_overdue', 'region_close', 'requester_flags'];
let sink, srv, adminToken, rtoken;

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({
    env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SESSION_TTL: '315360000', FAIRLABEL_SMTP_URL: sink.url,
      FAIRLABEL_PLATFORM_FLOOR_USD_MICROS: '2500000', FAIRLABEL_PAYOUT_MIN_USD_MICROS: '3000000' },
  });
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
});

after(async () => {
  await srv?.stop();
  await sink?.close();
});

async function worker(name) {
  const w = await register(srv.url, name ? { display_name: name } : {});
  w.token = await srv.login(w.email, w.password);
  return w;
}
async function advance(ms) {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
}
const now = async () => Date.now(); // the test clock is not moved before the last test
const iso = (ms) => new Date(ms).toISOString();
const inbox = async (w) => (await srv.api('GET', '/api/v1/me/notifications', { token: w.token })).json.items;

test('FW-26: the public page lists every registry rule with the parameters this server runs with', async () => {
  const r = await srv.api('GET', '/api/v1/transparency');
  assert.equal(r.status, 200, r.text);
  fits('Transparency', r.json);
  const ids = r.json.rules.map((x) => x.id);
  assert.deepEqual(ids.slice().sort(), RULES.slice().sort());
  for (const rule of r.json.rules) {
    assert.match(rule.source, /^FW-\d+$/, rule.id);
    for (const k of ['name', 'reads', 'thresholds', 'can_do']) assert.ok(rule[k].length > 5, `${rule.id}.${k}`);
    assert.ok(Array.isArray(rule.parameters));
  }
  const param = (id, name) => r.json.rules.find((x) => x.id === id).parameters.find((p) => p.name === name)?.value;
  // configured on this server, not the built-in defaults
  assert.equal(param('claim_floor', 'platform_floor_usd_micros_per_hour'), 2_500_000);
  assert.equal(param('weekly_topup', 'platform_floor_usd_micros_per_hour'), 2_500_000);
  assert.equal(param('weekly_payouts', 'payout_min_usd_micros'), 3_000_000);
  assert.equal(param('auto_approval', 'review_window_default_days'), 7);
  assert.equal(param('auto_approval', 'review_window_max_days'), 14);
  assert.equal(param('rejection_hold', 'hold_share_percent'), 10);
  assert.equal(param('rejection_hold_lapse', 'hold_lapse_days'), 14);
  assert.equal(param('emergency_hold_lapse', 'hold_lapse_days'), 7);
  assert.equal(param('appeal_overdue', 'appeal_decide_days'), 14);
  assert.equal(param('ticket_escalation', 'first_response_hours'), 72);
  assert.equal(param('region_close', 'notice_days'), 30);
  assert.equal(param('risk_score', 'step_up_at'), 40);
  // families list their members from their own tables
  const quality = (await srv.api('GET', '/api/v1/quality-rules')).json;
  assert.deepEqual(r.json.rules.find((x) => x.id === 'quality_rules').members, quality);
  const risk = r.json.rules.find((x) => x.id === 'risk_score').members;
  assert.ok(risk.length >= 5 && risk.every((m) => m.id && m.reads && m.threshold && m.points >= 0));
  assert.equal(risk.find((m) => m.id === 'shared_ip')?.points, 0, 'a shared address alone adds nothing (FW-25)');
  assert.ok(Array.isArray(r.json.changes));
  // the page itself is public
  const page = await srv.api('GET', '/transparency');
  assert.equal(page.status, 200);
  assert.match(page.text, /transparency\.js/);
});

test('FW-23: a benchmark edit is scheduled, announces itself, notifies every worker and enters the change log', async () => {
  const w1 = await worker('Ada Worker');
  const w2 = await worker('Bo Worker');
  const edit = await srv.api('POST', '/api/v1/wage-benchmarks', {
    token: adminToken,
    body: { country: 'NG', region: 'national', kind: 'minimum', amount: '70000', currency: 'NGN', unit: 'month', ref_date: '2024-07-29',
      method: 'statutory(NMW Amendment Act 2024)', confidence: 'V', source: 'https://example.org/ng', reason: 'yearly review' },
  });
  assert.equal(edit.status, 202, edit.text);
  assert.equal(edit.json.state, 'scheduled');
  const list = await srv.api('GET', '/api/v1/announcements', { token: w1.token });
  assert.equal(list.status, 200, list.text);
  fits('AnnouncementList', list.json);
  const a = list.json.items.find((x) => x.kind === 'benchmarks' && x.title.includes('NG/minimum/national'));
  assert.ok(a, JSON.stringify(list.json));
  assert.equal(a.source, 'wage_edit');
  assert.equal(a.rule_id, 'claim_floor');
  assert.equal(a.comments_open, true);
  assert.match(a.body, /yearly review/);
  assert.ok(Date.parse(a.comment_until) - Date.parse(a.created_at) >= 14 * DAY);
  // the change applies when the comment period ends, and the public list links the two
  assert.equal(a.id, edit.json.announcement_id);
  assert.deepEqual([a.applies_at, a.comment_until], [edit.json.applies_at, edit.json.applies_at]);
  const pending = (await srv.api('GET', '/api/v1/wage-changes?state=scheduled')).json.items.find((c) => c.id === edit.json.id);
  assert.equal(pending.announcement_id, a.id);
  for (const w of [w1, w2]) {
    const n = (await inbox(w)).find((x) => x.kind === 'announcement');
    assert.ok(n, `inbox of ${w.email}`);
    assert.match(n.title, /Wage table change/);
    assert.equal(n.link, '/worker#announcements');
  }
  const mail = await sink.waitFor((m) => m.to.includes(w2.email) && /Announcement/.test(m.subject), 15000);
  assert.match(mail.text, /comment until/);
  const t = await srv.api('GET', '/api/v1/transparency');
  const ch = t.json.changes.find((c) => c.announcement_id === a.id);
  assert.ok(ch, JSON.stringify(t.json.changes));
  fits('Transparency', t.json);
  assert.equal(ch.rule_id, 'claim_floor');
  assert.equal(typeof ch.changed_by_name, 'string');
});

test('FW-23: terms publications announce themselves', async () => {
  const w = await worker();
  const p = await srv.api('POST', '/api/v1/terms', { token: adminToken, body: { summary: 'Clearer pay section', body: 'Text.' } });
  assert.equal(p.status, 201, p.text);
  const list = (await srv.api('GET', '/api/v1/announcements', { token: w.token })).json.items;
  const a = list.find((x) => x.kind === 'terms' && x.title === `New terms, version ${p.json.version}`);
  assert.ok(a, JSON.stringify(list));
  assert.equal(a.applies_at, p.json.effective_at);
  assert.ok((await inbox(w)).some((n) => n.kind === 'announcement'));
});

test('FW-23: admins announce with at least 14 days of comments; comments are shared, then close', async () => {
  const w1 = await worker('Cy Commenter');
  const w2 = await worker('Di Reader');
  const t0 = await now();
  const create = (body, token = adminToken) => srv.api('POST', '/api/v1/announcements', { token, body });
  const base = { kind: 'pay_rules', title: 'Longer review window', body: 'The default review window becomes 5 days.', rule_id: 'auto_approval' };
  // refused: a short period without a reason, an unknown rule, applying before comments end, a worker announcing
  const short = assertProblem(await create({ ...base, comment_until: iso(t0 + 13 * DAY), applies_at: iso(t0 + 30 * DAY) }), 422, 'ANNOUNCE_PERIOD_SHORT');
  assert.equal(short.field, '/comment_until');
  assert.equal(assertProblem(await create({ ...base, rule_id: 'nope', comment_until: iso(t0 + 15 * DAY), applies_at: iso(t0 + 30 * DAY) }), 422, 'ANNOUNCE_UNKNOWN_RULE').field, '/rule_id');
  assert.equal(assertProblem(await create({ ...base, comment_until: iso(t0 + 15 * DAY), applies_at: iso(t0 + 10 * DAY) }), 422, 'INVALID_FIELD').field, '/applies_at');
  assert.equal(assertProblem(await create({ ...base, kind: 'x', comment_until: iso(t0 + 15 * DAY), applies_at: iso(t0 + 30 * DAY) }), 422, 'INVALID_FIELD').field, '/kind');
  assertProblem(await create({ ...base, comment_until: iso(t0 + 15 * DAY), applies_at: iso(t0 + 30 * DAY) }, w1.token), 403, 'ROLE_FORBIDDEN');
  assertProblem(await srv.api('GET', '/api/v1/announcements', { token: rtoken }), 403, 'ROLE_FORBIDDEN');
  assertProblem(await srv.api('GET', '/api/v1/announcements'), 401, 'AUTH_REQUIRED');
  // a shorter period is allowed when the announcement records why
  const urgent = await create({ kind: 'other', title: 'Urgent fix', body: 'A payout bug.', short_period_reason: 'a security fix cannot wait',
    comment_until: iso(t0 + 2 * DAY), applies_at: iso(t0 + 2 * DAY) });
  assert.equal(urgent.status, 201, urgent.text);
  assert.equal(urgent.json.short_period_reason, 'a security fix cannot wait');

  const c = await create({ ...base, comment_until: iso(t0 + 15 * DAY), applies_at: iso(t0 + 30 * DAY) });
  assert.equal(c.status, 201, c.text);
  fits('Announcement', c.json);
  const id = c.json.id;
  assert.equal(c.json.source, 'admin');
  assert.equal(c.json.comments_open, true);
  assert.ok((await inbox(w2)).some((n) => n.kind === 'announcement' && n.title.includes('Longer review window')));
  const t = (await srv.api('GET', '/api/v1/transparency')).json.changes;
  assert.ok(t.some((x) => x.announcement_id === id && x.rule_id === 'auto_approval' && x.change === 'Longer review window'));

  const say = (w, body) => srv.api('POST', `/api/v1/announcements/${id}/comments`, { token: w.token, body: { body } });
  const s1 = await say(w1, 'Five days is too short for large batches.');
  assert.equal(s1.status, 201, s1.text);
  assert.equal(s1.json.author_name, 'Cy Commenter');
  fits('AnnouncementComment', s1.json);
  assert.equal(assertProblem(await say(w1, '  '), 422, 'INVALID_FIELD').field, '/body');
  const adm = await srv.api('POST', `/api/v1/announcements/${id}/comments`, { token: adminToken, body: { body: 'Noted; we will measure it.' } });
  assert.equal(adm.status, 201, adm.text);
  // another worker sees both comments with their authors' names
  const seen = await srv.api('GET', `/api/v1/announcements/${id}`, { token: w2.token });
  assert.equal(seen.status, 200, seen.text);
  fits('AnnouncementWithComments', seen.json);
  assert.deepEqual(seen.json.comments.map((x) => [x.author_name, x.body, x.author_role]),
    [['Cy Commenter', 'Five days is too short for large batches.', 'worker'], [seen.json.comments[1].author_name, 'Noted; we will measure it.', 'admin']]);
  assert.equal(seen.json.comment_count, 2);
  assertProblem(await srv.api('GET', `/api/v1/announcements/${id}`, { token: rtoken }), 403, 'ROLE_FORBIDDEN');
  assertProblem(await srv.api('GET', '/api/v1/announcements/999999', { token: w2.token }), 404, 'NOT_FOUND');

  // after the period: comments close for everyone, the ones made stay visible
  await advance(15 * DAY + 1000);
  assertProblem(await say(w2, 'Too late?'), 409, 'ANNOUNCE_COMMENTS_CLOSED');
  assertProblem(await srv.api('POST', `/api/v1/announcements/${id}/comments`, { token: adminToken, body: { body: 'late' } }), 409, 'ANNOUNCE_COMMENTS_CLOSED');
  const after = (await srv.api('GET', `/api/v1/announcements/${id}`, { token: w2.token })).json;
  assert.equal(after.comments_open, false);
  assert.equal(after.comments.length, 2);
});
