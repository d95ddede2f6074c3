// Login throttling: per account (FAIRLABEL_LOGIN_MAX_FAILURES) and per client address
// (FAIRLABEL_LOGIN_MAX_FAILURES_IP), 429 LOGIN_THROTTLED with a numeric Retry-After.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from '../lib/server.mjs';

const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const attempt = (srv, email, password) => srv.api('POST', '/api/v1/auth/login', { body: { email, password } });

function assertThrottled(res, msg) {
  assertProblem(res, 429, 'LOGIN_THROTTLED', msg);
  const ra = res.headers.get('retry-after');
  assert.match(ra || '', /^\d+$/, `Retry-After is a number of seconds (${msg}): ${ra}`);
  assert.ok(Number(ra) > 0 && Number(ra) <= 15 * 60, `Retry-After within the 15 minute window: ${ra}`);
}

test('per-account lock after FAIRLABEL_LOGIN_MAX_FAILURES bad passwords', async () => {
  const srv = await startServer({ env: { FAIRLABEL_LOGIN_MAX_FAILURES: '3' } });
  servers.push(srv);
  const victim = await srv.createUserCli({ role: 'worker' });
  const bystander = await srv.createUserCli({ role: 'worker' });

  // Failures below the limit are plain bad credentials.
  for (let i = 1; i <= 2; i++) {
    assertProblem(await attempt(srv, victim.email, `wrong-${i}`), 401, 'AUTH_BAD_CREDENTIALS', `failure ${i}`);
  }
  // The third failure reaches the limit (it may already be answered with 429); the fourth is refused for sure.
  const third = await attempt(srv, victim.email, 'wrong-3');
  if (third.status !== 429) assertProblem(third, 401, 'AUTH_BAD_CREDENTIALS', 'failure 3');
  assertThrottled(await attempt(srv, victim.email, 'wrong-4'), 'failure 4');

  // While locked, even the right password is refused and no session is handed out.
  const right = await attempt(srv, victim.email, victim.password);
  assertThrottled(right, 'right password while locked');
  assert.equal(right.headers.getSetCookie().filter((c) => /^fl_session=[^;]+/.test(c)).length, 0, 'no session cookie');

  // Another account from the same address is below the per-address limit (default 50) and works.
  const ok = await attempt(srv, bystander.email, bystander.password);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(typeof ok.json.token, 'string');
  assertProblem(await attempt(srv, bystander.email, 'nope-nope'), 401, 'AUTH_BAD_CREDENTIALS', 'other account is not locked');
  assert.equal((await attempt(srv, bystander.email, bystander.password)).status, 200);

  // The lock outlives further attempts (they do not reset it).
  assertThrottled(await attempt(srv, victim.email, victim.password), 'still locked');
});

test('per-address lock after FAIRLABEL_LOGIN_MAX_FAILURES_IP failures across accounts', async () => {
  const srv = await startServer({ env: { FAIRLABEL_LOGIN_MAX_FAILURES: '100', FAIRLABEL_LOGIN_MAX_FAILURES_IP: '4' } });
  servers.push(srv);
  const users = [];
  for (let i = 0; i < 5; i++) users.push(await srv.createUserCli({ role: 'worker' }));

  // One failure each for four accounts: no account is near its own limit, the address reaches 4.
  for (let i = 0; i < 3; i++) {
    assertProblem(await attempt(srv, users[i].email, 'wrong-password'), 401, 'AUTH_BAD_CREDENTIALS', `account ${i}`);
  }
  const fourth = await attempt(srv, users[3].email, 'wrong-password');
  if (fourth.status !== 429) assertProblem(fourth, 401, 'AUTH_BAD_CREDENTIALS', 'account 3');
  assertThrottled(await attempt(srv, users[4].email, 'wrong-password'), 'address over its limit');
  assertThrottled(await attempt(srv, users[4].email, users[4].password), 'right password from a locked address');
});
