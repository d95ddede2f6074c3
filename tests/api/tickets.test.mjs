// FW-17 a human within reach: tickets with threads and attachments, the support queue with its 72-hour
// first-response clock and escalation, and the login-free contact page (a one-time emailed link, then a token
// scoped to one ticket), anonymous safety reports, size bounds and rate limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeChecker } from '../lib/schema.mjs';
import { startServer, createUserCli, register, assertProblem, randomId, REPO_ROOT, eventually } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';

const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], `${name}: ${JSON.stringify(body).slice(0, 300)}`);

const HOUR = 3600000;
let srv, sink, adminToken, admin, supportToken, support, requesterToken;

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({
    env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SMTP_URL: sink.url, FAIRLABEL_CONTACT_MAX_PER_IP: '1000' },
  });
  admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  admin.id = (await srv.api('GET', '/api/v1/me', { token: adminToken })).json.id;
  support = await createUserCli(srv, { role: 'support' });
  supportToken = await srv.login(support.email, support.password);
  support.id = (await srv.api('GET', '/api/v1/me', { token: supportToken })).json.id;
  const requester = await createUserCli(srv, { role: 'requester', escrow: 0 });
  requesterToken = await srv.login(requester.email, requester.password);
});

after(async () => {
  await srv?.stop();
  await sink?.close();
});

async function worker() {
  const w = await register(srv.url);
  const token = await srv.login(w.email, w.password);
  const me = await srv.api('GET', '/api/v1/me', { token });
  return { ...w, token, id: me.json.id };
}

const b64 = (buf) => Buffer.from(buf).toString('base64');
const advance = async (ms) => {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
};
const queue = async (query = '') => {
  const r = await srv.api('GET', `/api/v1/support/tickets${query}`, { token: supportToken });
  assert.equal(r.status, 200, r.text);
  fits('TicketQueue', r.json);
  return r.json.items;
};
/** Real time passes during a test too: a figure computed from the moved clock is within a minute of the expected. */
const near = (actual, expected, later = false) => {
  const d = later ? actual - expected : expected - actual;
  assert.ok(d >= 0 && d < 60000, `${actual} is within a minute ${later ? 'after' : 'before'} ${expected}`);
};
const linkToken = (text) => {
  const m = /\/contact\?t=(flc_[A-Za-z0-9_-]+)/.exec(text);
  assert.ok(m, `a contact link in the email: ${text}`);
  return m[1];
};

test('a worker opens a ticket, support answers it (first response recorded), states move, others get 404', async () => {
  const w = await worker();
  const other = await worker();
  const file = Buffer.from('screenshot bytes \x00\x01\x02');
  let r = await srv.api('POST', '/api/v1/tickets', {
    token: w.token,
    body: { category: 'pay', subject: 'Payout missing', message: 'My payout of last week never arrived.',
      attachments: [{ name: 'shot.png', content_type: 'image/png', data_base64: b64(file) }] },
  });
  assert.equal(r.status, 201, r.text);
  fits('Ticket', r.json);
  const t = r.json;
  assert.equal(t.state, 'open');
  assert.equal(t.category, 'pay');
  assert.equal(t.source, 'account');
  assert.equal(t.first_response_at, null);
  near(t.response_ms_left, 72 * HOUR);
  assert.equal(t.messages.length, 1);
  assert.equal(t.messages[0].attachments.length, 1);
  const att = t.messages[0].attachments[0];
  assert.equal(att.size, file.length);

  // the owner downloads the attachment; another worker and a requester cannot see the ticket at all
  r = await srv.api('GET', `/api/v1/ticket-attachments/${att.id}`, { token: w.token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/png');
  assert.match(r.headers.get('content-disposition'), /attachment/);
  for (const token of [other.token, requesterToken]) {
    assertProblem(await srv.api('GET', `/api/v1/tickets/${t.id}`, { token }), 404, 'NOT_FOUND');
    assertProblem(await srv.api('GET', `/api/v1/ticket-attachments/${att.id}`, { token }), 404, 'NOT_FOUND');
    assertProblem(await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, { token, body: { body: 'hi' } }), 404, 'NOT_FOUND');
    assertProblem(await srv.api('POST', `/api/v1/tickets/${t.id}/state`, { token, body: { state: 'resolved' } }), 404, 'NOT_FOUND');
  }
  assert.ok(!(await srv.api('GET', '/api/v1/tickets', { token: other.token })).json.items.some((x) => x.id === t.id));
  assertProblem(await srv.api('GET', '/api/v1/support/tickets', { token: w.token }), 403, 'ROLE_FORBIDDEN');
  assertProblem(await srv.api('POST', `/api/v1/tickets/${t.id}/state`, { token: w.token, body: { state: 'waiting_for_worker' } }), 422, 'INVALID_FIELD');

  // support sees it in the queue with its clock, takes it and answers
  let q = (await queue()).find((x) => x.id === t.id);
  assert.ok(q, 'the ticket is in the support queue');
  assert.equal(q.user_id, w.id);
  assert.equal(q.overdue, false);
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/assign`, { token: supportToken, body: {} });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.assignee_id, support.id);
  assert.ok((await queue('?assignee=me')).some((x) => x.id === t.id));
  assertProblem(await srv.api('POST', `/api/v1/tickets/${t.id}/assign`, { token: supportToken, body: { assignee_id: w.id } }), 422, 'INVALID_FIELD');

  await advance(5 * HOUR);
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, {
    token: supportToken, body: { body: 'We found it: the bank refused the transfer. Could you check your IBAN?' },
  });
  assert.equal(r.status, 201, r.text);
  fits('Ticket', r.json);
  assert.equal(r.json.state, 'waiting_for_worker');
  assert.ok(r.json.first_response_at);
  near(r.json.first_response_ms, 5 * HOUR, true);
  const firstMs = r.json.first_response_ms;
  assert.equal(r.json.response_ms_left, null);
  assert.equal(r.json.messages.at(-1).staff, true);
  assert.equal(r.json.messages.at(-1).author_name, support.display_name);

  // the worker is told in the inbox and by email
  const inbox = (await srv.api('GET', '/api/v1/me/notifications', { token: w.token })).json.items;
  assert.ok(inbox.some((n) => n.kind === 'ticket' && /Payout missing/.test(n.title)), JSON.stringify(inbox));
  const mail = await sink.waitFor((m) => m.to.includes(w.email) && /Payout missing/.test(m.subject));
  assert.match(mail.text, /bank refused the transfer/);

  // a second staff message keeps the first response time; the worker's answer reopens the ticket
  await advance(HOUR);
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, { token: adminToken, body: { body: 'Adding a note.', state: 'waiting_for_worker' } });
  assert.equal(r.json.first_response_ms, firstMs);
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, { token: w.token, body: { body: 'IBAN fixed.' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'open');
  assertProblem(await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, { token: w.token, body: { body: 'x', state: 'resolved' } }), 422, 'INVALID_FIELD');
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, { token: supportToken, body: { body: 'Paid again.', state: 'resolved' } });
  assert.equal(r.json.state, 'resolved');
  assert.ok(r.json.resolved_at);
  assert.ok(!(await queue()).some((x) => x.id === t.id), 'resolved tickets leave the default queue');
  assert.ok((await queue('?state=resolved')).some((x) => x.id === t.id));
  // the worker may reopen it, and resolve it again
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/state`, { token: w.token, body: { state: 'open' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'open');
  r = await srv.api('POST', `/api/v1/tickets/${t.id}/state`, { token: w.token, body: { state: 'resolved' } });
  assert.equal(r.json.state, 'resolved');
  const mine = (await srv.api('GET', '/api/v1/tickets', { token: w.token })).json;
  fits('TicketList', mine);
  assert.deepEqual(mine.items.map((x) => x.id), [t.id]);
  assert.equal(mine.items[0].contact_email, undefined);

  // the assignment and state changes are audited with the human's id
  const audit = (await srv.api('GET', '/api/v1/audit?limit=200', { token: adminToken })).json.items;
  assert.ok(audit.some((a) => a.action === 'ticket.assigned' && a.actor_id === support.id), 'assignment audited');
  assert.ok(audit.some((a) => a.action === 'ticket.state' && a.actor_id === w.id), 'state change audited');
});

test('a ticket nobody answers within 72 hours escalates to the admins and tops the support queue', async () => {
  const w = await worker();
  const open = async (subject) => {
    const r = await srv.api('POST', '/api/v1/tickets', { token: w.token, body: { category: 'account', subject, message: 'Please help.' } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const late = await open(`Locked task ${randomId()}`);
  const answered = await open(`Answered ${randomId()}`);
  const r = await srv.api('POST', `/api/v1/tickets/${answered.id}/messages`, { token: supportToken, body: { body: 'On it.' } });
  assert.equal(r.status, 201, r.text);

  await advance(71 * HOUR);
  let q = await queue();
  let row = q.find((x) => x.id === late.id);
  assert.equal(row.escalated, false);
  near(row.response_ms_left, HOUR);

  await advance(HOUR + 1000);
  row = await eventually(async () => (await queue()).find((x) => x.id === late.id && x.escalated), 'the escalation job');
  assert.ok(row.escalated_at);
  assert.equal(row.overdue, true);
  assert.ok(row.response_ms_left < 0);
  q = await queue();
  assert.equal(q[0].escalated, true, 'escalated tickets come first');
  assert.ok(!q.find((x) => x.id === answered.id).escalated, 'an answered ticket never escalates');

  // every admin is told, in the inbox and by email; the escalation is audited
  const inbox = await eventually(async () => {
    const items = (await srv.api('GET', '/api/v1/me/notifications', { token: adminToken })).json.items;
    return items.find((n) => n.kind === 'ticket_escalated' && n.body.includes(late.subject)) && items;
  }, 'the admin notice');
  assert.ok(inbox.length);
  await sink.waitFor((m) => m.to.includes(admin.email) && m.subject.includes(String(late.id)));
  const audit = (await srv.api('GET', '/api/v1/audit?limit=200', { token: adminToken })).json.items;
  assert.ok(audit.some((a) => a.action === 'ticket.escalated' && a.target === `ticket ${late.id}`));

  // a late answer still counts: the first response time is recorded, the ticket stays marked escalated
  const ans = await srv.api('POST', `/api/v1/tickets/${late.id}/messages`, { token: supportToken, body: { body: 'Sorry for the wait.' } });
  near(ans.json.first_response_ms, 72 * HOUR + 1000, true);
  assert.equal(ans.json.escalated, true);
});

test('locked out: the contact page proves the address with a one-time link, then the person follows the ticket', async () => {
  const w = await worker(); // an account whose owner cannot sign in any more
  const subject = `Cannot sign in ${randomId()}`;
  let r = await srv.api('POST', '/api/v1/contact', {
    body: { email: w.email.toUpperCase(), category: 'account', subject, message: 'My account was locked after a trip.' },
  });
  assert.equal(r.status, 202, r.text);
  fits('ContactAccepted', r.json);
  assert.equal(r.json.state, 'unverified');
  assert.equal(r.json.follow_up, true);
  // unverified: nobody sees it yet
  assert.ok(!(await queue()).some((x) => x.subject === subject));

  const mail = await sink.waitFor((m) => m.to.includes(w.email) && /follow your request/.test(m.subject));
  const token = linkToken(mail.text);
  const page = await srv.api('GET', `/contact?t=${token}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /contact\.js/);

  r = await srv.api('POST', '/api/v1/contact/verify', { body: { token } });
  assert.equal(r.status, 200, r.text);
  fits('ContactVerified', r.json);
  const access = r.json.access_token;
  const id = r.json.ticket_id;
  assert.equal(r.json.ticket.state, 'open');
  assert.equal(r.json.ticket.source, 'contact');
  assert.equal(r.json.ticket.user_id, w.id, 'the proven address links the ticket to its account');
  // the link works once
  assertProblem(await srv.api('POST', '/api/v1/contact/verify', { body: { token } }), 410, 'CONTACT_LINK_INVALID');

  // the ticket-scoped token reads this ticket, and nothing else
  r = await srv.api('GET', '/api/v1/contact/ticket', { token: access });
  assert.equal(r.status, 200, r.text);
  fits('Ticket', r.json);
  assert.equal(r.json.id, id);
  assert.equal(r.json.contact_email, undefined);
  assertProblem(await srv.api('GET', '/api/v1/contact/ticket'), 401, 'AUTH_REQUIRED');
  assertProblem(await srv.api('GET', '/api/v1/contact/ticket', { token: `${access}x` }), 401, 'AUTH_REQUIRED');
  assertProblem(await srv.api('GET', '/api/v1/contact/ticket', { token: w.token }), 401, 'AUTH_REQUIRED');
  assertProblem(await srv.api('GET', '/api/v1/me', { token: access }), 401, null);
  assertProblem(await srv.api('GET', `/api/v1/tickets/${id}`, { token: access }), 401, null);

  // support sees the address and answers; the person gets the reply with a fresh link by email
  const q = (await queue()).find((x) => x.id === id);
  assert.equal(q.contact_email, w.email);
  r = await srv.api('POST', `/api/v1/tickets/${id}/messages`, { token: supportToken, body: { body: 'Unlocked. Try again now.' } });
  assert.equal(r.status, 201, r.text);
  const reply = await sink.waitFor((m) => m.to.includes(w.email) && m.subject.includes(subject) && /Unlocked/.test(m.text) && /\/contact\?t=/.test(m.text));
  const again = linkToken(reply.text);
  r = await srv.api('POST', '/api/v1/contact/verify', { body: { token: again } });
  assert.equal(r.status, 200, r.text);
  const access2 = r.json.access_token;
  assert.equal(r.json.ticket.messages.at(-1).body, 'Unlocked. Try again now.');
  assertProblem(await srv.api('GET', '/api/v1/contact/ticket', { token: access }), 401, 'AUTH_REQUIRED', 'the earlier token is replaced');

  // the person answers with an attachment and reads it back
  r = await srv.api('POST', '/api/v1/contact/ticket/messages', {
    token: access2, body: { body: 'It works, thanks.', attachments: [{ name: 'ok.txt', content_type: 'text/plain', data_base64: b64('fine') }] },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'open');
  const att = r.json.messages.at(-1).attachments[0];
  r = await srv.api('GET', `/api/v1/contact/attachments/${att.id}`, { token: access2 });
  assert.equal(r.status, 200);
  assert.equal(r.text, 'fine');
  // an attachment of another ticket is not reachable with this token
  const other = await srv.api('POST', '/api/v1/tickets', {
    token: w.token, body: { category: 'other', subject: 'x', message: 'y', attachments: [{ name: 'a.bin', data_base64: b64('zz') }] },
  });
  assertProblem(await srv.api('GET', `/api/v1/contact/attachments/${other.json.messages[0].attachments[0].id}`, { token: access2 }), 404, 'NOT_FOUND');
  // the account sees the ticket too, once it can sign in
  assert.ok((await srv.api('GET', '/api/v1/tickets', { token: w.token })).json.items.some((x) => x.id === id));

  // a link expires after 24 hours
  const late = `late-${randomId()}@test.example`;
  r = await srv.api('POST', '/api/v1/contact', { body: { email: late, category: 'region', subject: 'Region closed', message: 'Why?' } });
  assert.equal(r.status, 202, r.text);
  const lateToken = linkToken((await sink.waitFor((m) => m.to.includes(late))).text);
  await advance(24 * HOUR + 1000);
  assertProblem(await srv.api('POST', '/api/v1/contact/verify', { body: { token: lateToken } }), 410, 'CONTACT_LINK_INVALID');
  assertProblem(await srv.api('POST', '/api/v1/contact/verify', { body: { token: 'flc_nonsense' } }), 410, 'CONTACT_LINK_INVALID');
});

test('a safety report may be anonymous: accepted, no follow-up, and only safety reports', async () => {
  const subject = `Harassment in a project chat ${randomId()}`;
  let r = await srv.api('POST', '/api/v1/contact', { body: { category: 'safety', subject, message: 'A requester insults workers.' } });
  assert.equal(r.status, 201, r.text);
  fits('ContactAccepted', r.json);
  assert.equal(r.json.follow_up, false);
  assert.match(r.json.detail, /nobody can answer you/);
  assert.equal(r.json.access_token, undefined);
  const q = (await queue()).find((x) => x.subject === subject);
  assert.ok(q, 'the report is in the support queue at once');
  assert.equal(q.source, 'anonymous');
  assert.equal(q.contact_email, null);
  assert.equal(q.user_id, null);
  near(q.response_ms_left, 72 * HOUR);

  const e = assertProblem(await srv.api('POST', '/api/v1/contact', { body: { category: 'pay', subject: 's', message: 'm' } }), 422, 'INVALID_FIELD');
  assert.equal(e.field, '/email');
  assertProblem(await srv.api('POST', '/api/v1/contact', { body: { email: 'x@test.example', category: 'gossip', subject: 's', message: 'm' } }), 422, 'INVALID_FIELD');
});

test('attachments are bounded: 2 MiB each (413 above), 5 a message', async () => {
  const w = await worker();
  const MiB2 = 2 * 1024 * 1024;
  const send = (atts) => srv.api('POST', '/api/v1/tickets', {
    token: w.token, body: { category: 'task', subject: 'Big file', message: 'See attached.', attachments: atts },
  });
  let r = await send([{ name: 'max.bin', data_base64: b64(Buffer.alloc(MiB2, 7)) }]);
  assert.equal(r.status, 201, r.text.slice(0, 300));
  assert.equal(r.json.messages[0].attachments[0].size, MiB2);
  let e = assertProblem(await send([{ name: 'big.bin', data_base64: b64(Buffer.alloc(MiB2 + 1, 7)) }]), 413, 'TICKET_ATTACHMENT_TOO_LARGE');
  assert.equal(e.field, '/attachments/0/data_base64');
  e = assertProblem(await send(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, data_base64: b64('x') }))), 413, 'TICKET_ATTACHMENT_TOO_LARGE');
  assert.equal(e.field, '/attachments');
  assertProblem(await send([{ name: 'bad.bin', data_base64: '!!notbase64' }]), 422, 'INVALID_FIELD');
  // nothing of the refused tickets was stored
  assert.equal((await srv.api('GET', '/api/v1/tickets', { token: w.token })).json.items.length, 1);
  // the contact page has the same bound
  assertProblem(await srv.api('POST', '/api/v1/contact', {
    body: { category: 'safety', subject: 's', message: 'm', attachments: [{ name: 'big.bin', data_base64: b64(Buffer.alloc(MiB2 + 1)) }] },
  }), 413, 'TICKET_ATTACHMENT_TOO_LARGE');
});

test('the contact page is rate-limited per email address and per client address (429 with Retry-After)', async () => {
  const email = `limit-${randomId()}@test.example`;
  const send = (s, body) => s.api('POST', '/api/v1/contact', { body: { category: 'other', subject: 'Hello', message: 'Anyone?', ...body } });
  for (let i = 0; i < 3; i++) assert.equal((await send(srv, { email })).status, 202);
  let r = await send(srv, { email: email.toUpperCase() });
  assertProblem(r, 429, 'CONTACT_THROTTLED');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  assert.equal((await send(srv, { email: `other-${randomId()}@test.example` })).status, 202, 'another address is not limited');
  await advance(HOUR);
  assert.equal((await send(srv, { email })).status, 202, 'the window passed');

  // per client address, anonymous reports included
  const s2 = await startServer({ env: { FAIRLABEL_CONTACT_MAX_PER_IP: '2', FAIRLABEL_SMTP_URL: sink.url } });
  try {
    assert.equal((await send(s2, { category: 'safety' })).status, 201);
    assert.equal((await send(s2, { email: `a-${randomId()}@test.example` })).status, 202);
    r = await send(s2, { category: 'safety' });
    assertProblem(r, 429, 'CONTACT_THROTTLED');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  } finally {
    await s2.stop();
  }
});
