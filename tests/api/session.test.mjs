// Session lifetime (FAIRLABEL_SESSION_TTL) and the `fairlabel user add` password sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, newUser, sleep, ISO_MS } from '../lib/server.mjs';

let srv;
before(async () => {
  srv = await startServer({ env: { FAIRLABEL_SESSION_TTL: '2' } });
});
after(async () => {
  await srv?.stop();
});

test('sessions end after FAIRLABEL_SESSION_TTL seconds', async () => {
  const u = await srv.createUserCli({ role: 'requester' });
  const lr = await srv.api('POST', '/api/v1/auth/login', { body: { email: u.email, password: u.password } });
  assert.equal(lr.status, 200, lr.text);
  assert.match(lr.json.expires_at, ISO_MS);
  const left = Date.parse(lr.json.expires_at) - Date.now();
  assert.ok(left > 0 && left <= 2500, `expires_at is about 2 s ahead (${left} ms)`);
  assert.equal((await srv.api('GET', '/api/v1/me', { token: lr.json.token })).status, 200);
  await sleep(2600);
  assertProblem(await srv.api('GET', '/api/v1/me', { token: lr.json.token }), 401, null, 'expired session');
});

test('user add takes the password from --password, FAIRLABEL_PASSWORD or stdin', async () => {
  const viaEnv = newUser({ role: 'support' });
  await srv.cli(['user', 'add', '--db', srv.dbUrl, '--email', viaEnv.email, '--role', 'support', '--country', 'UG',
    '--name', 'Env User'], { env: { FAIRLABEL_PASSWORD: viaEnv.password } });
  const a = await srv.api('POST', '/api/v1/auth/login', { body: { email: viaEnv.email, password: viaEnv.password } });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.user.role, 'support');
  assert.equal(a.json.user.country, 'UG');
  assert.equal(a.json.user.display_name, 'Env User');

  const viaStdin = newUser({ role: 'reviewer' });
  await srv.cli(['user', 'add', '--db', srv.dbUrl, '--email', viaStdin.email, '--role', 'reviewer', '--country', 'TZ'],
    { input: `${viaStdin.password}\n` });
  const b = await srv.api('POST', '/api/v1/auth/login', { body: { email: viaStdin.email, password: viaStdin.password } });
  assert.equal(b.status, 200, b.text);
  assert.equal(b.json.user.role, 'reviewer');

  const dup = await srv.cli(['user', 'add', '--db', srv.dbUrl, '--email', viaStdin.email, '--role', 'worker', '--country', 'TZ',
    '--password', 'another-password'], { allowFail: true });
  assert.notEqual(dup.code, 0, 'a taken email is refused');
  const bad = await srv.cli(['user', 'add', '--db', srv.dbUrl, '--email', 'x@test.example', '--role', 'emperor', '--country', 'TZ',
    '--password', 'another-password'], { allowFail: true });
  assert.notEqual(bad.code, 0, 'an unknown role is refused');
});
