// Result callbacks: a project's URL (private addresses only when an admin allows them), a signed POST
// when a task's result is final, retries with backoff after a failure, the delivery state per task and
// a manual re-send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { startServer, createUserCli, register, assertProblem, makeProject, sleep } from '../lib/server.mjs';

let srv, hook, hookUrl, rtoken, otherToken, adminToken, wtoken;
const received = [];
let failNext = 0;

before(async () => {
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ headers: req.headers, body, url: req.url });
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end('try later');
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${hook.address().port}/hook`;
  // backoff unit 50 ms: retries after 0.25 s, 0.5 s, …
  srv = await startServer({ env: { FAIRLABEL_CALLBACK_UNIT_MS: '50' } });
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  const other = await createUserCli(srv, { role: 'requester' });
  otherToken = await srv.login(other.email, other.password);
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  const w = await register(srv.url);
  wtoken = await srv.login(w.email, w.password);
});

after(async () => {
  await srv?.stop();
  hook?.close();
});

async function waitFor(pred, ms = 8000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await sleep(25);
  }
  assert.fail(`timed out after ${ms} ms (${received.length} callbacks received)`);
}

function verify(delivery, secret) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery.headers['x-fairlabel-signature'] || '');
  assert.ok(m, `signature header: ${delivery.headers['x-fairlabel-signature']}`);
  const expected = createHmac('sha256', secret).update(`${m[1]}.${delivery.body}`).digest('hex');
  assert.equal(m[2], expected, 'HMAC-SHA256 of "<t>.<body>" under the project secret');
  assert.ok(Math.abs(Date.now() - Number(m[1])) < 60_000, 'the timestamp is now');
}

test('callback URL: checked against private addresses unless an admin allows them; owner only', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 1 });
  const url = `/api/v1/projects/${p.id}/callback`;
  let r = await srv.api('PUT', url, { token: rtoken, body: { url: hookUrl } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/url');
  assert.match(r.json.detail, /private|loopback/);
  for (const bad of ['ftp://example.org/x', 'https://user:pw@example.org/', 'http://localhost:9/x', 'http://[::1]/x',
    'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'not a url']) {
    r = await srv.api('PUT', url, { token: rtoken, body: { url: bad } });
    assert.equal(assertProblem(r, 422, 'INVALID_FIELD', bad).field, '/url');
  }
  r = await srv.api('PUT', url, { token: rtoken, body: { allow_private: true } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/allow_private');
  assertProblem(await srv.api('PUT', url, { token: otherToken, body: { url: 'https://example.org/h' } }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('PUT', url, { token: wtoken, body: { url: 'https://example.org/h' } }), 403, 'ROLE_FORBIDDEN');
  r = await srv.api('PUT', url, { token: rtoken, body: { url: 'https://example.org/hook' } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.secret, /^[0-9a-f]{64}$/);
  const again = await srv.api('PUT', url, { token: rtoken, body: { url: 'https://example.org/other' } });
  assert.equal(again.json.secret, r.json.secret, 'the secret is per project and stable');
  r = await srv.api('PUT', url, { token: adminToken, body: { allow_private: true } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.allow_private, true);
  assert.equal(r.json.secret, undefined, 'only the requester is shown the secret');
  r = await srv.api('PUT', url, { token: rtoken, body: { url: hookUrl } });
  assert.equal(r.status, 200, r.text);
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken });
  assert.ok(audit.json.items.some((e) => e.action === 'project.callback'));
});

test('a final result is POSTed signed, retried after a failure, visible per task, and re-sent on demand', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 1, publish: true });
  await srv.api('PUT', `/api/v1/projects/${p.id}/callback`, { token: adminToken, body: { allow_private: true } });
  const set = await srv.api('PUT', `/api/v1/projects/${p.id}/callback`, { token: rtoken, body: { url: hookUrl } });
  const secret = set.json.secret;
  received.length = 0;
  failNext = 1;
  const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: wtoken });
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: wtoken, body: { lease_token: c.json.lease_token, answer: { label: 'negative' } },
  });
  assert.equal(s.status, 200, s.text);
  await waitFor(() => received.length >= 2);
  for (const d of received) verify(d, secret);
  const body = JSON.parse(received[1].body);
  assert.equal(body.event, 'task.result');
  assert.equal(body.project_id, p.id);
  assert.equal(body.task_id, c.json.task.id);
  assert.deepEqual(body.result.answer, { label: 'negative' });
  assert.equal(body.result.final, true);
  assert.equal(body.result.confidence > 0, true);
  assert.equal(body.answers, 1);
  assert.equal(received[0].body, received[1].body, 'a retry sends the same body');
  assert.equal(received[0].headers['x-fairlabel-delivery'], received[1].headers['x-fairlabel-delivery']);

  const taskId = c.json.task.id;
  let list;
  for (let i = 0; i < 100; i++) {
    list = await srv.api('GET', `/api/v1/tasks/${taskId}/callbacks`, { token: rtoken });
    if (list.json.items[0]?.state === 'delivered') break;
    await sleep(25);
  }
  assert.equal(list.status, 200, list.text);
  const item = list.json.items[0];
  assert.equal(item.state, 'delivered');
  assert.equal(item.attempts, 2);
  assert.equal(item.last_status, 204);
  assert.equal(item.next_at, null);
  assert.ok(item.delivered_at);
  assertProblem(await srv.api('GET', `/api/v1/tasks/${taskId}/callbacks`, { token: otherToken }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('GET', `/api/v1/tasks/${taskId}/callbacks`, { token: wtoken }), 403, 'ROLE_FORBIDDEN');

  const re = await srv.api('POST', `/api/v1/tasks/${taskId}/callbacks/resend`, { token: rtoken });
  assert.equal(re.status, 202, re.text);
  await waitFor(() => received.length >= 3);
  verify(received[2], secret);
  assert.deepEqual(JSON.parse(received[2].body).result, body.result);
});

test('a receiver that keeps failing is retried with growing delays, then given up on', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 1, publish: true });
  await srv.api('PUT', `/api/v1/projects/${p.id}/callback`, { token: adminToken, body: { allow_private: true } });
  await srv.api('PUT', `/api/v1/projects/${p.id}/callback`, { token: rtoken, body: { url: hookUrl } });
  received.length = 0;
  failNext = 1000;
  const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: wtoken });
  await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: wtoken, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  await waitFor(() => received.length >= 4, 10_000);
  failNext = 0;
  const times = received.map((d) => Number(/t=(\d+)/.exec(d.headers['x-fairlabel-signature'])[1]));
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(gaps[0] >= 200, `first retry after ≥ 0.25 s: ${gaps}`);
  assert.ok(gaps[2] > gaps[0] * 1.5, `delays grow: ${gaps}`);
  // the sender records an attempt just after the receiver answered it: wait for the fourth to be written
  let item;
  for (let i = 0; i < 100; i++) {
    item = (await srv.api('GET', `/api/v1/tasks/${c.json.task.id}/callbacks`, { token: rtoken })).json.items[0];
    if (item.attempts >= 4) break;
    await sleep(25);
  }
  assert.ok(['pending', 'delivered'].includes(item.state));
  assert.ok(item.attempts >= 4);
  if (item.state === 'pending') assert.match(item.last_error, /HTTP 500/);
});

test('without a callback URL nothing is queued, and re-send says why', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 1, publish: true });
  const c = await srv.api('POST', `/api/v1/projects/${p.id}/claim`, { token: wtoken });
  await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: wtoken, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  const list = await srv.api('GET', `/api/v1/tasks/${c.json.task.id}/callbacks`, { token: rtoken });
  assert.deepEqual(list.json.items, []);
  const re = await srv.api('POST', `/api/v1/tasks/${c.json.task.id}/callbacks/resend`, { token: rtoken });
  assert.match(assertProblem(re, 409, 'PROJECT_STATE').detail, /no callback URL/);
  assertProblem(await srv.api('GET', '/api/v1/tasks/999999/callbacks', { token: rtoken }), 404, 'NOT_FOUND');
});
