// Email notices (issue 6): a notice reaches the inbox and a real SMTP sink (npm smtp-server) rendered in the
// worker's language (en, fr); a refused delivery is retried after 30 s (test clock); 24 hours of refusals end in
// failed, which an admin may retry once; without FAIRLABEL_SMTP_URL messages stay queued; the language setting;
// the admin's outbox view and its role checks. The notice used is the real "payout failed" one (POST
// /payouts/{id}/fail), sent through notice_send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, createUserCli, register, assertProblem, makeProject, randomId, sleep, REPO_ROOT } from '../lib/server.mjs';
import { makeChecker } from '../lib/schema.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

// Replies must fit the schemas of docs/openapi.json.
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (schema, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${schema}` }, body), [], `${schema}: ${JSON.stringify(body)}`);

let sink, srv, adminToken, rtoken, project;

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({
    env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SMTP_URL: sink.url, FAIRLABEL_MAIL_FROM: 'notices@fairlabel.example' },
  });
  ({ adminToken, rtoken, project } = await setUp(srv));
});

after(async () => {
  await srv?.stop();
  await sink?.close();
});

async function setUp(s) {
  const admin = await createUserCli(s, { role: 'admin' });
  const requester = await createUserCli(s, { role: 'requester' });
  const rt = await s.login(requester.email, requester.password);
  const p = await makeProject(s, rt, { tasks: 20, publish: true, reward_micros: 1_000_000, estimated_seconds: 60 });
  return { adminToken: await s.login(admin.email, admin.password), rtoken: rt, project: p };
}

/** A worker (in `language`, when given) whose payout of 5 USD an admin fails with `reason`. */
async function failedPayout(s, ctx, { language, reason = 'Account closed', before } = {}) {
  const w = await register(s.url);
  before?.(w);
  w.token = await s.login(w.email, w.password);
  w.id = (await s.api('GET', '/api/v1/me', { token: w.token })).json.id;
  if (language) assert.equal((await s.api('PUT', '/api/v1/me/language', { token: w.token, body: { language } })).status, 200);
  const c = await s.api('POST', `/api/v1/projects/${ctx.project.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  const sub = await s.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(sub.status, 200, sub.text);
  const b = await s.api('POST', `/api/v1/projects/${ctx.project.id}/bonuses`, {
    token: ctx.rtoken, body: { worker_id: w.id, amount_micros: 10_000_000, message: 'for mail', reference: randomId() },
  });
  assert.equal(b.status, 201, b.text);
  const m = await s.api('PUT', '/api/v1/me/payout-method', {
    token: w.token, body: { rail: 'bank_transfer', holder_name: 'Amina Wanjiru', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' },
  });
  assert.equal(m.status, 200, m.text);
  const p = await s.api('POST', '/api/v1/me/payouts', {
    token: w.token, body: { amount_micros: 5_000_000, currency: 'USD', idempotency_key: randomId() },
  });
  assert.equal(p.status, 201, p.text);
  const f = await s.api('POST', `/api/v1/payouts/${p.json.id}/fail`, { token: ctx.adminToken, body: { reason } });
  assert.equal(f.status, 200, f.text);
  w.payoutId = p.json.id;
  return w;
}

const ctx = () => ({ adminToken, rtoken, project });
const outbox = async (s, token, query = '') => {
  const r = await s.api('GET', `/api/v1/mail/outbox${query}`, { token });
  assert.equal(r.status, 200, r.text);
  fits('MailOutbox', r.json);
  return r.json;
};
const messageOf = async (s, token, w) => {
  const items = (await outbox(s, token, `?user_id=${w.id}`)).items;
  assert.equal(items.length, 1, JSON.stringify(items));
  return items[0];
};
const advance = async (ms) => {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
};

/** Polls the worker's outbox message until pred holds (deadline 15 s). */
async function waitMessage(s, w, pred, what) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const m = await messageOf(s, adminToken, w);
    if (pred(m)) return m;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(m)}`);
    await sleep(100);
  }
}

test('the language: en by default, set to fr, anything else refused', async () => {
  const w = await register(srv.url);
  const token = await srv.login(w.email, w.password);
  const me = (await srv.api('GET', '/api/v1/me', { token })).json;
  fits('User', me);
  assert.equal(me.language, 'en');
  const put = await srv.api('PUT', '/api/v1/me/language', { token, body: { language: 'fr' } });
  assert.deepEqual([put.status, put.json], [200, { language: 'fr' }]);
  assert.equal((await srv.api('GET', '/api/v1/me', { token })).json.language, 'fr');
  assert.equal(assertProblem(await srv.api('PUT', '/api/v1/me/language', { token, body: { language: 'de' } }), 422, 'INVALID_FIELD').field, '/language');
  assert.equal(assertProblem(await srv.api('PUT', '/api/v1/me/language', { token, body: { language: 'fr', x: 1 } }), 422, 'INVALID_FIELD').field, '/x');
  assertProblem(await srv.api('PUT', '/api/v1/me/language', { token, body: ['fr'] }), 422, 'INVALID_FIELD');
  assert.equal((await srv.api('GET', '/api/v1/me', { token })).json.language, 'fr', 'a refused change changes nothing');
  assert.equal((await srv.api('PUT', '/api/v1/me/language', { body: { language: 'en' } })).status, 401);
});

test('a notice reaches the inbox and the SMTP sink, in English and in French', async () => {
  const en = await failedPayout(srv, ctx(), { reason: 'Account closed' });
  const fr = await failedPayout(srv, ctx(), { language: 'fr', reason: 'Compte clôturé' });

  const mEn = await sink.waitFor((m) => m.to.includes(en.email));
  assert.equal(mEn.subject, 'A payout failed');
  assert.match(mEn.text, new RegExp(`^Your payout FLP${en.payoutId} of 5 USD failed: Account closed\\.`));
  assert.equal(mEn.from, 'notices@fairlabel.example');
  assert.equal(mEn.headers['content-language'], 'en');

  const mFr = await sink.waitFor((m) => m.to.includes(fr.email));
  assert.equal(mFr.subject, "Échec d'un versement", 'decoded from RFC 2047 encoded words');
  assert.match(mFr.headers.subject, /^=\?UTF-8\?B\?/, 'the raw subject is encoded');
  assert.match(mFr.text, new RegExp(`^Votre versement FLP${fr.payoutId} de 5 USD a échoué : Compte clôturé\\.`));
  assert.equal(mFr.headers['content-language'], 'fr');
  assert.deepEqual(mFr.to, [fr.email]);
  assert.match(mFr.headers.to, new RegExp(fr.email.replace(/\./g, '\\.')));

  // Message-ID: <outbox id>.<random>@fairlabel
  const row = await waitMessage(srv, fr, (m) => m.state === 'sent', 'sent');
  const id = /^<(\d+)\.([A-Za-z0-9_-]{20,})@fairlabel>$/.exec(mFr.headers['message-id']);
  assert.ok(id, mFr.headers['message-id']);
  assert.equal(Number(id[1]), row.id);
  assert.notEqual(mEn.headers['message-id'].split('.')[1], mFr.headers['message-id'].split('.')[1]);
  assert.deepEqual([row.template_id, row.language, row.to_email, row.subject, row.attempts, row.last_error],
    ['payout_failed', 'fr', fr.email, "Échec d'un versement", 1, null]);
  assert.ok(row.sent_at && row.created_at);

  // the inbox has the same text, in the worker's language
  for (const [w, title, body] of [[en, 'A payout failed', /failed: Account closed/], [fr, "Échec d'un versement", /a échoué : Compte clôturé/]]) {
    const inbox = (await srv.api('GET', '/api/v1/me/notifications', { token: w.token })).json.items;
    const n = inbox.find((x) => x.kind === 'payout');
    assert.ok(n, JSON.stringify(inbox));
    assert.equal(n.title, title);
    assert.match(n.body, body);
    assert.equal(n.link, '/worker#earnings');
  }
  assert.equal(sink.messages.filter((m) => m.to.includes(fr.email)).length, 1, 'sent once');
});

test('a refused delivery is retried 30 s later (test clock)', async () => {
  // the worker's first delivery only is refused
  let target = null, refusedOnce = false;
  sink.refuse = (to) => to === target && !refusedOnce && (refusedOnce = true);
  const refusedBefore = sink.refused;
  const w = await failedPayout(srv, ctx(), { before: (x) => { target = x.email; } });
  const waiting = await waitMessage(srv, w, (m) => m.attempts === 1, 'first attempt refused');
  assert.equal(waiting.state, 'queued');
  assert.match(waiting.last_error, /450/);
  assert.equal(sink.refused, refusedBefore + 1);
  assert.ok(Date.parse(waiting.next_at) - Date.parse(waiting.created_at) >= 30000, JSON.stringify(waiting));
  assert.equal(sink.messages.filter((m) => m.to.includes(w.email)).length, 0);
  sink.refuse = 0;
  await advance(31000);
  const m = await sink.waitFor((x) => x.to.includes(w.email));
  assert.equal(m.subject, 'A payout failed');
  const sent = await waitMessage(srv, w, (x) => x.state === 'sent', 'sent on the second attempt');
  assert.equal(sent.attempts, 2);
});

test('without FAIRLABEL_SMTP_URL messages stay queued, and the admin view says so', async () => {
  const s = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1' } });
  try {
    const c = await setUp(s);
    const w = await failedPayout(s, c);
    await sleep(1000); // what is asserted is an absence: nothing may send it meanwhile
    const view = await outbox(s, c.adminToken);
    assert.equal(view.smtp_configured, false);
    assert.match(view.note, /FAIRLABEL_SMTP_URL/);
    const item = view.items.find((x) => x.user_id === w.id);
    assert.deepEqual([item.state, item.attempts, item.sent_at], ['queued', 0, null]);
    assert.equal(view.totals.queued, 1);
    assert.equal(view.totals.sent, 0);
    assert.equal(sink.messages.filter((m) => m.to.includes(w.email)).length, 0);
  } finally {
    await s.stop();
  }
});

test('the outbox view and retry are for admins only', async () => {
  const w = await register(srv.url);
  const wtoken = await srv.login(w.email, w.password);
  for (const token of [wtoken, rtoken]) {
    assertProblem(await srv.api('GET', '/api/v1/mail/outbox', { token }), 403, 'ROLE_FORBIDDEN');
    assertProblem(await srv.api('POST', '/api/v1/mail/outbox/1/retry', { token }), 403, 'ROLE_FORBIDDEN');
  }
  assert.equal((await srv.api('GET', '/api/v1/mail/outbox')).status, 401);
  assertProblem(await srv.api('POST', '/api/v1/mail/outbox/999999999/retry', { token: adminToken }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('GET', '/api/v1/mail/outbox?state=lost', { token: adminToken }), 400, 'BAD_QUERY');
  const view = await outbox(srv, adminToken, '?state=sent&limit=1');
  assert.equal(view.smtp_configured, true);
  assert.equal(view.items.length, 1);
  assert.equal(view.items[0].state, 'sent');
  assert.equal(typeof view.next_before, 'number');
  const older = await outbox(srv, adminToken, `?state=sent&before=${view.next_before}`);
  assert.ok(older.items.every((x) => x.id < view.next_before));
  assert.ok(view.totals.sent >= 3, JSON.stringify(view.totals));
});

// Last: it moves the clock a day forward.
test('24 hours of refusals end in failed; an admin retry sends it once', async () => {
  let target = null;
  sink.refuse = (to) => to === target;
  const w = await failedPayout(srv, ctx(), { before: (x) => { target = x.email; } });
  await waitMessage(srv, w, (m) => m.attempts === 1, 'first attempt refused');
  await advance(25 * 3600 * 1000);
  const failed = await waitMessage(srv, w, (m) => m.state === 'failed', 'failed after 24 hours');
  assert.equal(failed.attempts, 2);
  assert.match(failed.last_error, /450/);
  assert.equal((await outbox(srv, adminToken, '?state=failed')).items.some((x) => x.id === failed.id), true);

  sink.refuse = 0;
  const retry = await srv.api('POST', `/api/v1/mail/outbox/${failed.id}/retry`, { token: adminToken });
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.json.state, 'queued');
  await sink.waitFor((m) => m.to.includes(w.email));
  const sent = await waitMessage(srv, w, (m) => m.state === 'sent', 'sent after the retry');
  assert.equal(sent.attempts, 3);
  assertProblem(await srv.api('POST', `/api/v1/mail/outbox/${failed.id}/retry`, { token: adminToken }), 409, 'MAIL_SENT');
  assert.equal(sink.messages.filter((m) => m.to.includes(w.email)).length, 1, 'sent once');
  const audit = (await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken })).json.items;
  assert.ok(audit.some((e) => e.action === 'mail.retry' && e.target === `mail:${failed.id}`), 'the retry is audited');
});
