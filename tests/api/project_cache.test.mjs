// Issue 7: claims and submits take a project's settings and label schema from an in-process cache
// (src/store/project_cache.c). Two servers share one database (SQLite file or PostgreSQL): settings changed
// through one must hold on the other's very next claim or submit, with no TTL to wait out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, makeProject, assertProblem } from '../lib/server.mjs';

const env = { FAIRLABEL_SECRET_KEY: 'b2'.repeat(32) }; // servers sharing a database share the key
let a, b, rtoken, adminToken;

before(async () => {
  a = await startServer({ env });
  b = await startServer({ env, sameDatabaseAs: a });
  const requester = await createUserCli(a, { role: 'requester' });
  rtoken = await a.login(requester.email, requester.password);
  const admin = await createUserCli(a, { role: 'admin' });
  adminToken = await a.login(admin.email, admin.password);
});

after(async () => {
  await b?.stop();
  await a?.stop();
});

async function worker() {
  const w = await createUserCli(a, { role: 'worker' });
  return { ...w, token: await b.login(w.email, w.password) };
}
const claim = (w, id) => b.api('POST', `/api/v1/projects/${id}/claim`, { token: w.token });
const submit = (w, c, label) => b.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
  token: w.token, body: { lease_token: c.lease_token, answer: { label } },
});

test('settings changed through one server hold on the next claim and submit of another', async () => {
  const p = await makeProject(a, rtoken, { tasks: 8, publish: true });
  const w = await worker();
  // fills server b's cache for the project
  const first = await claim(w, p.id);
  assert.equal(first.status, 200, first.text);
  assert.equal((await submit(w, first.json, 'positive')).status, 200);

  const put = (quality) => a.api('PUT', `/api/v1/projects/${p.id}/quality`, { token: rtoken, body: quality });
  const gated = await put({ ...p.quality, required_skills: { cache_skill: 50 } });
  assert.equal(gated.status, 200, gated.text);
  const refused = assertProblem(await claim(w, p.id), 403, 'SKILL_REQUIRED');
  assert.equal(refused.field, '/quality/required_skills/cache_skill');

  assert.equal((await put({ ...p.quality, required_skills: {} })).status, 200);
  const again = await claim(w, p.id);
  assert.equal(again.status, 200, again.text);

  // a submit after the settings changed uses the new ones: every answer is now sampled for review
  const all = await put({ ...p.quality, review: { mode: 'all' } });
  assert.equal(all.status, 200, all.text);
  assert.equal((await submit(w, again.json, 'negative')).status, 200);
  const history = await b.api('GET', `/api/v1/assignments/${again.json.assignment_id}/history`, { token: adminToken });
  assert.equal(history.status, 200, history.text);
  assert.equal(history.json.review_state, 'pending', history.text);

  // pausing through a and publishing again through a: b follows each at once
  assert.equal((await a.api('POST', `/api/v1/projects/${p.id}/pause`, { token: rtoken })).status, 200);
  assertProblem(await claim(w, p.id), 409, 'PROJECT_NOT_PUBLISHED');
  assert.equal((await a.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken })).status, 200);
  assert.equal((await claim(w, p.id)).status, 200);
});

test('each project keeps its own label schema in the cache', async () => {
  const p1 = await makeProject(a, rtoken, { tasks: 3, publish: true, labels: ['cat', 'dog'] });
  const p2 = await makeProject(a, rtoken, { tasks: 3, publish: true, labels: ['red', 'blue'] });
  const w = await worker();
  for (const [p, good, bad] of [[p1, 'cat', 'red'], [p2, 'blue', 'dog']]) {
    const c = await claim(w, p.id);
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.json.project.labels, p.labels);
    assertProblem(await submit(w, c.json, bad), 422, 'INVALID_FIELD');
    assert.equal((await submit(w, c.json, good)).status, 200);
  }
});
