// The whole labelling flow through the HTTP API, per docs/api.md: accounts, projects, task import, claims,
// leases, submissions, progress, export, API keys, sessions, cookies/CSRF and the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, assertProblem, assertUser, projectInput, ndjson, taskLines, importTasks, exportLines, makeProject,
  sleep, ISO_MS, randomId,
} from '../lib/server.mjs';

let srv;
let admin; // { email, password, token }
let requester; // { ...user, token }
const workers = []; // three registered workers { ...user, token }

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

const progress = async (projectId) => {
  const r = await srv.api('GET', `/api/v1/projects/${projectId}/progress`, { token: requester.token });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const claim = (w, projectId) => srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
const submit = (w, assignmentId, body, headers = {}) =>
  srv.api('POST', `/api/v1/assignments/${assignmentId}/submit`, { token: w.token, body, headers });
const release = (w, assignmentId, leaseToken) =>
  srv.api('POST', `/api/v1/assignments/${assignmentId}/release`, { token: w.token, body: { lease_token: leaseToken } });

function assertClaim(c, project) {
  for (const k of ['assignment_id', 'lease_token', 'expires_at', 'task', 'project']) assert.ok(k in c, `claim.${k}`);
  assert.equal(typeof c.assignment_id, 'number');
  assert.equal(typeof c.lease_token, 'string');
  assert.ok(c.lease_token.length >= 16, 'lease token is not trivially guessable');
  assert.match(c.expires_at, ISO_MS);
  assert.equal(typeof c.task.id, 'number');
  assert.ok('external_id' in c.task);
  assert.equal(typeof c.task.data.text, 'string');
  assert.equal(c.project.id, project.id);
  for (const k of ['name', 'instructions', 'kind', 'labels', 'reward_micros', 'currency', 'estimated_seconds']) {
    assert.deepEqual(c.project[k], project[k], `claim.project.${k}`);
  }
}

test('health endpoints', async () => {
  const h = await srv.api('GET', '/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(h.json, { status: 'ok' });
  const r = await srv.api('GET', '/readyz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ready' });
});

test('first admin from the CLI creates a requester', async () => {
  const a = await srv.createUserCli({ role: 'admin' });
  const lr = await srv.api('POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password } });
  assert.equal(lr.status, 200, lr.text);
  for (const k of ['token', 'csrf_token', 'expires_at', 'user']) assert.ok(k in lr.json, `login reply has ${k}`);
  assert.match(lr.json.expires_at, ISO_MS);
  assertUser(lr.json.user, { email: a.email, role: 'admin' });
  admin = { ...a, ...lr.json.user, token: lr.json.token };

  const me = await srv.api('GET', '/api/v1/me', { token: admin.token });
  assert.equal(me.status, 200);
  assertUser(me.json, { email: admin.email, role: 'admin', country: 'KE' });

  const body = { email: `req-${randomId()}@test.example`, password: 'requester-pass', display_name: 'Req One', role: 'requester', country: 'NG' };
  const cr = await srv.api('POST', '/api/v1/users', { token: admin.token, body });
  assert.equal(cr.status, 201, cr.text);
  assertUser(cr.json, { email: body.email, role: 'requester', country: 'NG', display_name: 'Req One' });

  const dup = await srv.api('POST', '/api/v1/users', { token: admin.token, body });
  assertProblem(dup, 409, 'EMAIL_TAKEN');

  const list = await srv.api('GET', '/api/v1/users?role=requester', { token: admin.token });
  assert.equal(list.status, 200);
  assert.ok(list.json.items.some((u) => u.email === body.email));
  assert.ok(list.json.items.every((u) => u.role === 'requester'), '?role= filters');

  requester = { ...cr.json, password: body.password, token: await srv.login(body.email, body.password) };
  // the admin records a deposit, so the requester's projects can be published (FW-1)
  const dep = await srv.api('POST', '/api/v1/escrow/deposits', {
    token: admin.token, body: { requester_id: requester.id, amount_micros: 1_000_000_000, currency: 'USD', reference: 'flow' },
  });
  assert.equal(dep.status, 201, dep.text);
});

test('workers register (always as workers) and log in', async () => {
  for (let i = 0; i < 3; i++) {
    const body = { email: `w${i}-${randomId()}@test.example`, password: `worker-pass-${i}`, display_name: `Worker ${i}`, country: 'KE' };
    const r = await srv.api('POST', '/api/v1/auth/register', { body });
    assert.equal(r.status, 201, r.text);
    assertUser(r.json, { email: body.email, role: 'worker', display_name: body.display_name });
    workers.push({ ...r.json, token: await srv.login(body.email, body.password) });
  }
  const again = await srv.api('POST', '/api/v1/auth/register', {
    body: { email: workers[0].email, password: 'whatever-123', display_name: 'X', country: 'KE' },
  });
  assertProblem(again, 409, 'EMAIL_TAKEN');
  const bad = await srv.api('POST', '/api/v1/auth/login', { body: { email: workers[0].email, password: 'wrong-password' } });
  assertProblem(bad, 401, 'AUTH_BAD_CREDENTIALS');
});

test('overlap 2 with three workers: claims, submits, progress and export', async () => {
  const input = projectInput({ overlap: 2 });
  const cr = await srv.api('POST', '/api/v1/projects', { token: requester.token, body: input });
  assert.equal(cr.status, 201, cr.text);
  let project = cr.json;
  for (const [k, v] of Object.entries(input)) assert.deepEqual(project[k], v, `project.${k}`);
  assert.equal(project.status, 'draft');
  assert.equal(project.owner_id, requester.id);
  assert.equal(project.lease_seconds, 600, 'lease_seconds defaults to 600');
  assert.equal(project.task_count, 0);
  assert.equal(project.answer_count, 0);
  assert.match(project.created_at, ISO_MS);

  const lines = taskLines(5, 'a');
  const imp = await srv.api('POST', `/api/v1/projects/${project.id}/tasks`, {
    token: requester.token, body: ndjson(lines), headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(imp.status, 201, imp.text);
  assert.equal(imp.json.imported, 5);

  // A draft project is invisible to workers.
  const early = await claim(workers[0], project.id);
  assert.ok([404, 409].includes(early.status), `claim on a draft: ${early.status} ${early.text}`);
  const wl = await srv.api('GET', '/api/v1/projects', { token: workers[0].token });
  assert.ok(!wl.json.items.some((p) => p.id === project.id), 'workers do not list drafts');

  const pub = await srv.api('POST', `/api/v1/projects/${project.id}/publish`, { token: requester.token });
  assert.equal(pub.status, 200, pub.text);
  assert.equal(pub.json.status, 'published');
  assert.equal(pub.json.task_count, 5);
  project = pub.json;

  assert.deepEqual(await progress(project.id), {
    project_id: project.id, tasks_total: 5, tasks_open: 5, tasks_in_progress: 0, tasks_complete: 0,
    answers_submitted: 0, leases_active: 0,
  });

  const labels = ['positive', 'negative', 'neutral'];
  const submitted = new Map(); // task_id -> [{assignment_id, worker_id, label}]
  const seenBy = workers.map(() => new Set());

  // Worker 0 claims everything, one at a time.
  const runWorker = async (wi) => {
    const w = workers[wi];
    for (;;) {
      const c = await claim(w, project.id);
      if (c.status === 204) {
        assert.equal(c.text, '', '204 has no body');
        return;
      }
      assert.equal(c.status, 200, c.text);
      assertClaim(c.json, project);
      assert.ok(!seenBy[wi].has(c.json.task.id), `worker ${wi} got task ${c.json.task.id} twice`);
      seenBy[wi].add(c.json.task.id);
      if (wi === 0 && seenBy[0].size === 1) {
        assert.equal((await progress(project.id)).leases_active, 1, 'a live lease is counted');
      }
      const label = labels[(c.json.task.id + wi) % 3];
      const s = await submit(w, c.json.assignment_id, { lease_token: c.json.lease_token, answer: { label } });
      assert.equal(s.status, 200, s.text);
      assert.equal(s.json.assignment_id, c.json.assignment_id);
      assert.equal(s.json.task_id, c.json.task.id);
      assert.equal(s.json.status, 'submitted');
      assert.match(s.json.submitted_at, ISO_MS);
      const list = submitted.get(c.json.task.id) || [];
      list.push({ assignment_id: c.json.assignment_id, worker_id: w.id, answer: { label }, submitted_at: s.json.submitted_at });
      submitted.set(c.json.task.id, list);
    }
  };

  await runWorker(0);
  assert.equal(seenBy[0].size, 5);
  assert.deepEqual(await progress(project.id), {
    project_id: project.id, tasks_total: 5, tasks_open: 0, tasks_in_progress: 5, tasks_complete: 0,
    answers_submitted: 5, leases_active: 0,
  });

  // Workers 1 and 2 race for the second slot of every task: exactly 5 more answers, none beyond overlap 2.
  await Promise.all([runWorker(1), runWorker(2)]);
  assert.equal(seenBy[1].size + seenBy[2].size, 5, 'the second slots go to the other two workers');
  for (const [taskId, list] of submitted) {
    assert.equal(list.length, 2, `task ${taskId} has exactly overlap answers`);
    assert.equal(new Set(list.map((a) => a.worker_id)).size, 2, `task ${taskId} answered by two different workers`);
  }
  const third = await claim(workers[2], project.id);
  assert.equal(third.status, 204, 'nothing left once every task has its overlap');

  assert.deepEqual(await progress(project.id), {
    project_id: project.id, tasks_total: 5, tasks_open: 0, tasks_in_progress: 0, tasks_complete: 5,
    answers_submitted: 10, leases_active: 0,
  });
  const pr = await srv.api('GET', `/api/v1/projects/${project.id}`, { token: requester.token });
  assert.equal(pr.json.answer_count, 10);

  // Export: streamed JSONL, one line per task in task id order, holding every submitted answer.
  const raw = await srv.raw('GET', `/api/v1/projects/${project.id}/export?format=jsonl`, {
    headers: { Authorization: `Bearer ${requester.token}` },
  });
  assert.equal(raw.status, 200);
  assert.match(raw.headers['content-type'] || '', /^application\/x-ndjson/);
  assert.ok(raw.chunked, 'export is sent with Transfer-Encoding: chunked');
  const out = raw.text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  assert.equal(out.length, 5);
  const ids = out.map((l) => l.task_id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'task id order');
  for (const line of out) {
    const src = lines.find((l) => l.external_id === line.external_id);
    assert.ok(src, `export line for ${line.external_id}`);
    assert.deepEqual(line.data, src.data);
    const want = submitted.get(line.task_id);
    assert.ok(want, `task ${line.task_id} was submitted`);
    const norm = (a) => a.map((x) => ({ assignment_id: x.assignment_id, worker_id: x.worker_id, answer: x.answer }))
      .sort((p, q) => p.assignment_id - q.assignment_id);
    assert.deepEqual(norm(line.answers), norm(want), `answers of task ${line.task_id}`);
    for (const a of line.answers) assert.match(a.submitted_at, ISO_MS);
  }
  const adminExport = await srv.api('GET', `/api/v1/projects/${project.id}/export?format=jsonl`, { token: admin.token });
  assert.equal(adminExport.status, 200);
  assert.equal(adminExport.text.split('\n').filter((l) => l.trim()).length, 5);
});

test('pause stops claims and hides the project from workers; publishing again resumes', async () => {
  const project = await makeProject(srv, requester.token, { tasks: 2, publish: true, overlap: 1 });
  const w = workers[0];
  const paused = await srv.api('POST', `/api/v1/projects/${project.id}/pause`, { token: requester.token });
  assert.equal(paused.status, 200, paused.text);
  assert.equal(paused.json.status, 'paused');

  const c = await claim(w, project.id);
  assert.ok(c.status === 204 || c.status === 404 || c.json?.name === 'PROJECT_NOT_PUBLISHED', `claim on a paused project: ${c.status} ${c.text}`);
  const list = await srv.api('GET', '/api/v1/projects', { token: w.token });
  assert.ok(!list.json.items.some((p) => p.id === project.id), 'workers do not list paused projects');
  assert.equal((await progress(project.id)).leases_active, 0);

  const again = await srv.api('POST', `/api/v1/projects/${project.id}/publish`, { token: requester.token });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.status, 'published');
  const c2 = await claim(w, project.id);
  assert.equal(c2.status, 200, c2.text);
  assert.equal((await release(w, c2.json.assignment_id, c2.json.lease_token)).status, 204);
});

test('release frees the slot; a worker never gets a task back', async () => {
  const project = await makeProject(srv, requester.token, { tasks: 1, publish: true, overlap: 1 });
  const [w0, w1] = workers;
  const c0 = await claim(w0, project.id);
  assert.equal(c0.status, 200, c0.text);
  assert.equal((await claim(w1, project.id)).status, 204, 'the only slot is leased');

  const wrong = await release(w0, c0.json.assignment_id, 'not-the-token');
  assertProblem(wrong, 409, 'LEASE_LOST');

  const rel = await release(w0, c0.json.assignment_id, c0.json.lease_token);
  assert.equal(rel.status, 204, rel.text);
  assert.equal((await progress(project.id)).leases_active, 0);

  const late = await submit(w0, c0.json.assignment_id, { lease_token: c0.json.lease_token, answer: { label: 'positive' } });
  assertProblem(late, 409, 'LEASE_LOST', 'submit after release');

  const c1 = await claim(w1, project.id);
  assert.equal(c1.status, 200, c1.text);
  assert.equal(c1.json.task.id, c0.json.task.id);
  const rel1 = await release(w1, c1.json.assignment_id, c1.json.lease_token);
  assert.equal(rel1.status, 204);
  assert.equal((await claim(w0, project.id)).status, 204, 'a worker who leased a task never gets it again');

  const out = await exportLines(srv, requester.token, project.id);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0].answers, [], 'released leases write nothing');
});

test('lease expiry frees the slot and the old lease can no longer submit', async () => {
  const project = await makeProject(srv, requester.token, { tasks: 1, publish: true, overlap: 1, lease_seconds: 2 });
  assert.equal(project.lease_seconds, 2);
  const [w0, w1] = workers;
  const c0 = await claim(w0, project.id);
  assert.equal(c0.status, 200, c0.text);
  const leaseMs = Date.parse(c0.json.expires_at) - Date.now();
  assert.ok(leaseMs > 0 && leaseMs <= 2500, `lease lasts lease_seconds (${leaseMs} ms left)`);
  assert.equal((await claim(w1, project.id)).status, 204);

  await sleep(2500);
  const c1 = await claim(w1, project.id);
  assert.equal(c1.status, 200, `slot is free after the lease expired: ${c1.text}`);
  assert.equal(c1.json.task.id, c0.json.task.id);

  const stale = await submit(w0, c0.json.assignment_id, { lease_token: c0.json.lease_token, answer: { label: 'negative' } });
  assertProblem(stale, 409, 'LEASE_LOST', 'submit on an expired lease');
  let out = await exportLines(srv, requester.token, project.id);
  assert.deepEqual(out[0].answers, [], 'the expired submit wrote nothing');

  const ok = await submit(w1, c1.json.assignment_id, { lease_token: c1.json.lease_token, answer: { label: 'neutral' } });
  assert.equal(ok.status, 200, ok.text);
  out = await exportLines(srv, requester.token, project.id);
  assert.equal(out[0].answers.length, 1);
  assert.equal(out[0].answers[0].worker_id, w1.id);
  assert.deepEqual(out[0].answers[0].answer, { label: 'neutral' });
});

test('submit with a wrong lease token gets LEASE_LOST and writes nothing', async () => {
  const project = await makeProject(srv, requester.token, { tasks: 1, publish: true, overlap: 1 });
  const w = workers[2];
  const c = await claim(w, project.id);
  assert.equal(c.status, 200, c.text);
  const before = await exportLines(srv, requester.token, project.id);
  const bad = await submit(w, c.json.assignment_id, { lease_token: `${c.json.lease_token}x`, answer: { label: 'positive' } });
  assertProblem(bad, 409, 'LEASE_LOST');
  assert.deepEqual(await exportLines(srv, requester.token, project.id), before, 'export unchanged');
  assert.equal((await progress(project.id)).answers_submitted, 0);

  // Someone else's assignment is not the other worker's to submit, even with the right token.
  const other = await submit(workers[0], c.json.assignment_id, { lease_token: c.json.lease_token, answer: { label: 'positive' } });
  assert.ok([403, 404, 409].includes(other.status), `non-holder submit: ${other.status} ${other.text}`);
  assert.deepEqual(await exportLines(srv, requester.token, project.id), before, 'export unchanged');

  const good = await submit(w, c.json.assignment_id, { lease_token: c.json.lease_token, answer: { label: 'positive' } });
  assert.equal(good.status, 200, 'the lease survives failed attempts');
});

test('idempotent submit: same key repeats the reply, another key conflicts', async () => {
  const project = await makeProject(srv, requester.token, { tasks: 2, publish: true, overlap: 1 });
  const w = workers[1];

  // Key in the Idempotency-Key header.
  const c = await claim(w, project.id);
  assert.equal(c.status, 200);
  const body = { lease_token: c.json.lease_token, answer: { label: 'negative' } };
  const s1 = await submit(w, c.json.assignment_id, body, { 'Idempotency-Key': 'key-one' });
  assert.equal(s1.status, 200, s1.text);
  const s2 = await submit(w, c.json.assignment_id, body, { 'Idempotency-Key': 'key-one' });
  assert.equal(s2.status, 200, s2.text);
  assert.deepEqual(s2.json, s1.json, 'the same key returns the first reply');
  const s3 = await submit(w, c.json.assignment_id, { ...body, answer: { label: 'positive' } }, { 'Idempotency-Key': 'key-two' });
  assertProblem(s3, 409, 'ASSIGNMENT_ALREADY_SUBMITTED');

  // Key in the body.
  const d = await claim(w, project.id);
  assert.equal(d.status, 200);
  const b2 = { lease_token: d.json.lease_token, answer: { label: 'neutral' }, idempotency_key: 'body-key' };
  const t1 = await submit(w, d.json.assignment_id, b2);
  const t2 = await submit(w, d.json.assignment_id, b2);
  assert.equal(t1.status, 200, t1.text);
  assert.equal(t2.status, 200, t2.text);
  assert.deepEqual(t2.json, t1.json);
  const t3 = await submit(w, d.json.assignment_id, { ...b2, idempotency_key: 'other-body-key' });
  assertProblem(t3, 409, 'ASSIGNMENT_ALREADY_SUBMITTED');

  const out = await exportLines(srv, requester.token, project.id);
  assert.deepEqual(out.map((l) => l.answers.length), [1, 1], 'one answer per task despite the repeats');
  assert.deepEqual(out.map((l) => l.answers[0].answer.label).sort(), ['negative', 'neutral']);
  assert.equal((await progress(project.id)).answers_submitted, 2);
});

test('API keys: create, use as bearer, list, revoke', async () => {
  const cr = await srv.api('POST', '/api/v1/api-keys', { token: requester.token, body: { name: 'ci' } });
  assert.equal(cr.status, 201, cr.text);
  assert.equal(cr.json.name, 'ci');
  assert.equal(typeof cr.json.id, 'number');
  assert.match(cr.json.key, /^flk_/);
  assert.match(cr.json.created_at, ISO_MS);
  const key = cr.json.key;

  const me = await srv.api('GET', '/api/v1/me', { token: key });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.id, requester.id);
  const projects = await srv.api('GET', '/api/v1/projects', { token: key });
  assert.equal(projects.status, 200);
  assert.ok(projects.json.items.length >= 1 && projects.json.items.every((p) => p.owner_id === requester.id));
  // A bearer key needs no CSRF token for writes.
  const made = await srv.api('POST', '/api/v1/projects', { token: key, body: projectInput() });
  assert.equal(made.status, 201, made.text);

  const list = await srv.api('GET', '/api/v1/api-keys', { token: requester.token });
  assert.equal(list.status, 200);
  const item = list.json.items.find((k) => k.id === cr.json.id);
  assert.ok(item, 'the new key is listed');
  for (const k of ['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at']) assert.ok(k in item, `key item has ${k}`);
  assert.ok(!('key' in item), 'the secret is shown only once');
  assert.ok(!JSON.stringify(list.json).includes(key), 'the list never holds the secret');
  assert.ok(key.startsWith(item.prefix), 'prefix is the start of the key');
  assert.equal(item.revoked_at, null);
  assert.match(item.last_used_at || '', ISO_MS, 'last_used_at is set after use');

  const del = await srv.api('DELETE', `/api/v1/api-keys/${cr.json.id}`, { token: requester.token });
  assert.equal(del.status, 204, del.text);
  assertProblem(await srv.api('GET', '/api/v1/me', { token: key }), 401, null, 'revoked key');
  const after = await srv.api('GET', '/api/v1/api-keys', { token: requester.token });
  assert.match(after.json.items.find((k) => k.id === cr.json.id).revoked_at || '', ISO_MS);

  const garbage = await srv.api('GET', '/api/v1/me', { token: 'flk_not_a_real_key' });
  assertProblem(garbage, 401, null);
});

test('logout ends the session', async () => {
  const token = await srv.login(requester.email, requester.password);
  assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 200);
  const out = await srv.api('POST', '/api/v1/auth/logout', { token });
  assert.equal(out.status, 204, out.text);
  assertProblem(await srv.api('GET', '/api/v1/me', { token }), 401, null, 'token after logout');
  assert.equal((await srv.api('GET', '/api/v1/me', { token: requester.token })).status, 200, 'other sessions live on');
});

test('cookie sessions need X-CSRF-Token on writes', async () => {
  const lr = await srv.api('POST', '/api/v1/auth/login', { body: { email: requester.email, password: requester.password } });
  assert.equal(lr.status, 200);
  const setCookies = lr.headers.getSetCookie();
  const session = setCookies.find((c) => c.startsWith('fl_session='));
  const csrf = setCookies.find((c) => c.startsWith('fl_csrf='));
  assert.ok(session, `fl_session cookie set: ${setCookies}`);
  assert.ok(csrf, `fl_csrf cookie set: ${setCookies}`);
  assert.match(session, /;\s*HttpOnly/i);
  assert.match(session, /;\s*SameSite=Strict/i);
  assert.doesNotMatch(csrf, /;\s*HttpOnly/i, 'scripts can read fl_csrf');
  assert.match(csrf, /;\s*SameSite=Strict/i);
  const cookie = [session, csrf].map((c) => c.split(';')[0]).join('; ');
  const csrfValue = decodeURIComponent(csrf.split(';')[0].slice('fl_csrf='.length));
  assert.equal(csrfValue, lr.json.csrf_token, 'fl_csrf holds the csrf_token');

  const me = await srv.api('GET', '/api/v1/me', { cookie });
  assert.equal(me.status, 200, 'GET with the cookie alone works');
  assert.equal(me.json.id, requester.id);

  const body = projectInput();
  assertProblem(await srv.api('POST', '/api/v1/projects', { cookie, body }), 403, 'CSRF_TOKEN_INVALID', 'no header');
  assertProblem(await srv.api('POST', '/api/v1/projects', { cookie, body, headers: { 'X-CSRF-Token': 'wrong' } }),
    403, 'CSRF_TOKEN_INVALID', 'wrong header');
  const ok = await srv.api('POST', '/api/v1/projects', { cookie, body, headers: { 'X-CSRF-Token': lr.json.csrf_token } });
  assert.equal(ok.status, 201, ok.text);

  const key = await srv.api('POST', '/api/v1/api-keys', { cookie, body: { name: 'x' }, headers: { 'X-CSRF-Token': lr.json.csrf_token } });
  assert.equal(key.status, 201);
  assertProblem(await srv.api('DELETE', `/api/v1/api-keys/${key.json.id}`, { cookie }), 403, 'CSRF_TOKEN_INVALID', 'DELETE');

  assertProblem(await srv.api('POST', '/api/v1/auth/logout', { cookie }), 403, 'CSRF_TOKEN_INVALID', 'logout');
  const out = await srv.api('POST', '/api/v1/auth/logout', { cookie, headers: { 'X-CSRF-Token': lr.json.csrf_token } });
  assert.equal(out.status, 204);
  const cleared = out.headers.getSetCookie();
  const clearedSession = cleared.find((c) => c.startsWith('fl_session='));
  assert.ok(clearedSession, 'logout resets fl_session');
  assert.match(clearedSession, /^fl_session=;|Max-Age=0|Expires=Thu, 01 Jan 1970/i, 'fl_session cleared');
  assertProblem(await srv.api('GET', '/api/v1/me', { cookie }), 401, null, 'cookie after logout');
});

test('admin audit log lists logins and user creation, hash-chained', async () => {
  const r = await srv.api('GET', '/api/v1/audit?limit=500', { token: admin.token });
  assert.equal(r.status, 200, r.text);
  const items = r.json.items;
  assert.ok(items.length > 0);
  for (const e of items) {
    for (const k of ['id', 'at', 'actor_id', 'action', 'target', 'detail', 'prev_hash', 'hash']) assert.ok(k in e, `audit entry has ${k}`);
    assert.match(e.at, ISO_MS);
  }
  assert.ok(items.some((e) => /login/i.test(e.action)), `a login event: ${items.map((e) => e.action)}`);
  assert.ok(items.some((e) => /user/i.test(e.action) && /creat|add|register/i.test(e.action) && e.actor_id === admin.id),
    `a user creation by the admin: ${items.map((e) => `${e.action}/${e.actor_id}`)}`);
  assert.ok(items.some((e) => /login/i.test(e.action) && e.actor_id === requester.id), 'the requester login is logged');

  const sorted = [...items].sort((a, b) => a.id - b.id);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].id === sorted[i - 1].id + 1) assert.equal(sorted[i].prev_hash, sorted[i - 1].hash, `chain at ${sorted[i].id}`);
  }

  const page = await srv.api('GET', '/api/v1/audit?limit=2', { token: admin.token });
  assert.equal(page.status, 200);
  assert.equal(page.json.items.length, 2, 'limit is honoured');
  const afterId = sorted[0].id;
  const next = await srv.api('GET', `/api/v1/audit?after_id=${afterId}&limit=3`, { token: admin.token });
  assert.equal(next.status, 200);
  assert.ok(next.json.items.length > 0 && next.json.items.every((e) => e.id > afterId), 'after_id pages forward');

  const v = await srv.cli(['audit', 'verify', '--db', srv.dbUrl], { allowFail: true });
  assert.equal(v.code, 0, `fairlabel audit verify: ${v.stdout}${v.stderr}`);
});
