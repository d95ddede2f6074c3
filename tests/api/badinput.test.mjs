// Bad input: every rejected request gets an application/problem+json reply with a numeric code, a title and a
// detail, the documented status and error name, and (for field errors) a JSON pointer in `field`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, assertProblem, projectInput, ndjson, makeProject, routeTable, normalisePattern,
} from '../lib/server.mjs';

let srv;
let requester;
let worker;
let admin;

before(async () => {
  srv = await startServer();
  const a = await srv.createUserCli({ role: 'admin' });
  admin = { ...a, token: await srv.login(a.email, a.password) };
  const r = await srv.createUserApi(admin.token, { role: 'requester' });
  requester = { ...r, token: await srv.login(r.email, r.password) };
  const w = await srv.register();
  worker = { ...w, token: await srv.login(w.email, w.password) };
});
after(async () => {
  await srv?.stop();
});

const createProject = (body) => srv.api('POST', '/api/v1/projects', {
  token: requester.token, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' },
});

test('malformed JSON is 400 BAD_JSON', async () => {
  for (const text of ['{"name":', '{name: "x"}', 'not json', '{"a":1}}', '']) {
    assertProblem(await createProject(text), 400, 'BAD_JSON', `body ${JSON.stringify(text)}`);
  }
  const login = await srv.api('POST', '/api/v1/auth/login', { body: '{"email":"a@b.c","password":', headers: { 'content-type': 'application/json' } });
  assertProblem(login, 400, 'BAD_JSON', 'login');
  const reg = await srv.api('POST', '/api/v1/auth/register', { body: '[1,2', headers: { 'content-type': 'application/json' } });
  assertProblem(reg, 400, 'BAD_JSON', 'register');
});

test('wrong types and out-of-range values are 422 INVALID_FIELD naming the field', async () => {
  const cases = [
    [{ overlap: 'two' }, '/overlap'],
    [{ overlap: 0 }, '/overlap'],
    [{ overlap: 16 }, '/overlap'],
    [{ overlap: 1.5 }, '/overlap'],
    [{ name: 5 }, '/name'],
    [{ name: '' }, '/name'],
    [{ name: 'x'.repeat(201) }, '/name'],
    [{ instructions: 'x'.repeat(20001) }, '/instructions'],
    [{ kind: 'image_boxes' }, '/kind'],
    [{ labels: 'positive' }, '/labels'],
    [{ labels: ['only-one'] }, '/labels'],
    [{ labels: Array.from({ length: 51 }, (_, i) => `l${i}`) }, '/labels'],
    [{ reward_micros: 0.05 }, '/reward_micros'],
    [{ reward_micros: -1 }, '/reward_micros'],
    [{ reward_micros: '50000' }, '/reward_micros'],
    [{ reward_micros: 1e12 + 1 }, '/reward_micros'],
    [{ currency: 'dollars' }, '/currency'],
    [{ estimated_seconds: 0 }, '/estimated_seconds'],
    [{ estimated_seconds: 86401 }, '/estimated_seconds'],
    [{ lease_seconds: 1 }, '/lease_seconds'],
    [{ lease_seconds: 86401 }, '/lease_seconds'],
  ];
  for (const [patch, field] of cases) {
    const res = await createProject(projectInput(patch));
    const p = assertProblem(res, 422, 'INVALID_FIELD', JSON.stringify(patch).slice(0, 80));
    assert.equal(p.field, field, `field for ${JSON.stringify(patch).slice(0, 80)}`);
  }
  // Pointers into arrays may name the element.
  for (const labels of [['a', 'a'], ['a', ''], ['a', 'x'.repeat(101)], ['a', 7]]) {
    const p = assertProblem(await createProject(projectInput({ labels })), 422, 'INVALID_FIELD', `labels ${labels}`);
    assert.match(p.field, /^\/labels(\/\d+)?$/, `field for labels ${JSON.stringify(labels).slice(0, 60)}`);
  }
  // Not an object at all.
  const arr = await createProject([projectInput()]);
  assert.ok([400, 422].includes(arr.status), `array body: ${arr.status}`);
  assertProblem(arr, arr.status, arr.status === 400 ? 'BAD_JSON' : 'INVALID_FIELD');
});

test('missing required fields are 422 INVALID_FIELD naming the field', async () => {
  for (const key of ['name', 'kind', 'labels', 'reward_micros', 'estimated_seconds', 'overlap']) {
    const body = projectInput();
    delete body[key];
    const p = assertProblem(await createProject(body), 422, 'INVALID_FIELD', `without ${key}`);
    assert.equal(p.field, `/${key}`);
  }
  // instructions and lease_seconds have defaults.
  const body = projectInput();
  delete body.instructions;
  delete body.lease_seconds;
  const ok = await createProject(body);
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.instructions, '');
  assert.equal(ok.json.lease_seconds, 600);

  const reg = (b) => srv.api('POST', '/api/v1/auth/register', { body: b });
  const good = { email: 'someone@test.example', password: 'long-enough', display_name: 'Some One', country: 'KE' };
  for (const [patch, field] of [
    [{ email: undefined }, '/email'], [{ email: 'not-an-email' }, '/email'],
    [{ password: undefined }, '/password'], [{ password: 'short12' }, '/password'], [{ password: 'x'.repeat(257) }, '/password'],
    [{ display_name: '' }, '/display_name'], [{ display_name: 'x'.repeat(101) }, '/display_name'],
    [{ country: 'Kenya' }, '/country'], [{ country: undefined }, '/country'], [{ country: 3 }, '/country'],
  ]) {
    const p = assertProblem(await reg({ ...good, ...patch }), 422, 'INVALID_FIELD', JSON.stringify(patch).slice(0, 60));
    assert.equal(p.field, field);
  }
  const login = await srv.api('POST', '/api/v1/auth/login', { body: { email: 'someone@test.example' } });
  assert.equal(login.status, 422, login.text);
  assertProblem(login, 422, 'INVALID_FIELD');
  assert.equal(login.json.field, '/password');

  const badRole = await srv.api('POST', '/api/v1/users', { token: admin.token, body: { ...good, email: 'r@test.example', role: 'overlord' } });
  assert.equal(assertProblem(badRole, 422, 'INVALID_FIELD').field, '/role');
  const key = await srv.api('POST', '/api/v1/api-keys', { token: requester.token, body: {} });
  assert.equal(assertProblem(key, 422, 'INVALID_FIELD').field, '/name');
});

test('unknown ids are 404 NOT_FOUND', async () => {
  const r = requester.token;
  const ndj = { 'content-type': 'application/x-ndjson' };
  const cases = [
    ['GET', '/api/v1/projects/987654', r],
    ['POST', '/api/v1/projects/987654/publish', r],
    ['POST', '/api/v1/projects/987654/pause', r],
    ['GET', '/api/v1/projects/987654/progress', r],
    ['GET', '/api/v1/projects/987654/export?format=jsonl', r],
    ['DELETE', '/api/v1/api-keys/987654', r],
    ['POST', '/api/v1/projects/987654/claim', worker.token],
    ['GET', '/api/v1/projects/987654', admin.token],
  ];
  for (const [method, path, token] of cases) {
    assertProblem(await srv.api(method, path, { token }), 404, 'NOT_FOUND', `${method} ${path}`);
  }
  assertProblem(await srv.api('POST', '/api/v1/projects/987654/tasks', { token: r, body: ndjson([{ data: { text: 'x' } }]), headers: ndj }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('POST', '/api/v1/assignments/987654/submit', { token: worker.token, body: { lease_token: 'x', answer: { label: 'positive' } } }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('POST', '/api/v1/assignments/987654/release', { token: worker.token, body: { lease_token: 'x' } }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('GET', '/api/v1/no-such-route', { token: r }), 404, 'NOT_FOUND');
});

test('oversized bodies are 413 BODY_TOO_LARGE', async () => {
  const routes = await routeTable();
  for (const [method, pattern, token, ct] of [
    ['POST', '/api/v1/projects', requester.token, 'application/json'],
    ['POST', '/api/v1/auth/login', undefined, 'application/json'],
  ]) {
    const route = routes.find((x) => x.method.toUpperCase() === method && normalisePattern(x.pattern) === normalisePattern(pattern));
    assert.ok(route, `${method} ${pattern} in the route table`);
    assert.ok(Number.isInteger(route.max_body) && route.max_body > 0, `max_body of ${pattern}: ${route.max_body}`);
    const filler = 'x'.repeat(route.max_body + 1 - '{"name":""}'.length);
    const body = `{"name":"${filler}"}`;
    assert.equal(body.length, route.max_body + 1);
    const headers = { 'Content-Type': ct };
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await srv.raw(method, pattern, { headers, body });
    assertProblem(res, 413, 'BODY_TOO_LARGE', pattern);
  }
  // One byte less is not rejected for its size.
  const route = routes.find((x) => x.method.toUpperCase() === 'POST' && x.pattern === '/api/v1/projects');
  const body = JSON.stringify(projectInput({ instructions: '' }));
  const padded = body.slice(0, -1) + ' '.repeat(route.max_body - body.length) + '}';
  assert.equal(padded.length, route.max_body);
  const ok = await srv.api('POST', '/api/v1/projects', { token: requester.token, body: padded, headers: { 'content-type': 'application/json' } });
  assert.equal(ok.status, 201, `a body of exactly max_body bytes: ${ok.status} ${ok.text.slice(0, 200)}`);
});

test('overlong URLs are 414 URI_TOO_LONG', async () => {
  const res = await srv.raw('GET', `/api/v1/projects?x=${'a'.repeat(10000)}`, { headers: { Authorization: `Bearer ${requester.token}` } });
  assertProblem(res, 414, 'URI_TOO_LONG');
  const anon = await srv.raw('GET', `/healthz/${'b'.repeat(10000)}`);
  assertProblem(anon, 414, 'URI_TOO_LONG', 'before authentication');
  // The server still serves after those.
  assert.equal((await srv.api('GET', '/healthz')).status, 200);
});

// Beyond the 16 KiB request-header limit libevent 2.1 refuses the request line itself, before any
// callback of ours runs (its own 400 page; evhttp has no hook for that reply). The contract is only
// that the request is refused without harm and the server keeps serving.
test('a URL longer than the whole header limit is refused and the server keeps serving', async () => {
  const res = await srv.raw('GET', `/api/v1/projects?x=${'a'.repeat(40000)}`);
  assert.ok(res.status === 400 || res.status === 414, `status ${res.status}`);
  assert.equal((await srv.api('GET', '/healthz')).status, 200);
});

test('an NDJSON import with bad lines lists every bad line and imports nothing', async () => {
  const project = await makeProject(srv, requester.token);
  const lines = [
    { data: { text: 'fine 1' }, external_id: 'e1' }, // 1
    '{"data": {"text": "broken"', // 2: not JSON
    { data: { text: 'fine 3' } }, // 3
    { data: {} }, // 4: no text
    { data: { text: 42 } }, // 5: text not a string
    { data: { text: 'fine 6' }, external_id: 'e6' }, // 6
    { external_id: 'e7' }, // 7: no data
    '[1,2,3]', // 8: not an object
  ];
  const res = await srv.api('POST', `/api/v1/projects/${project.id}/tasks`, {
    token: requester.token, body: ndjson(lines), headers: { 'content-type': 'application/x-ndjson' },
  });
  const p = assertProblem(res, 422, 'IMPORT_INVALID');
  assert.ok(Array.isArray(p.errors), `errors array: ${res.text}`);
  assert.deepEqual(p.errors.map((e) => e.line), [2, 4, 5, 7, 8], 'every bad line, in order');
  assert.equal(p.error_count, 5);
  assert.match(String(p.field), /(^|\D)2$/, `field names the first bad line: ${p.field}`);
  for (const e of p.errors) assert.equal(typeof e.detail, 'string');
  assert.equal(p.errors.find((e) => e.line === 4).field, '/data/text');
  assert.equal(p.errors.find((e) => e.line === 5).field, '/data/text');

  const after = await srv.api('GET', `/api/v1/projects/${project.id}`, { token: requester.token });
  assert.equal(after.json.task_count, 0, 'all or nothing: nothing imported');
  const prog = await srv.api('GET', `/api/v1/projects/${project.id}/progress`, { token: requester.token });
  assert.equal(prog.json.tasks_total, 0);

  // At most 100 errors are listed, error_count has them all.
  const many = Array.from({ length: 150 }, (_, i) => (i % 2 ? { data: { text: `ok ${i}` } } : { data: { text: i } }));
  const big = await srv.api('POST', `/api/v1/projects/${project.id}/tasks`, {
    token: requester.token, body: ndjson([...many, ...many]), headers: { 'content-type': 'application/x-ndjson' },
  });
  const q = assertProblem(big, 422, 'IMPORT_INVALID');
  assert.equal(q.errors.length, 100);
  assert.equal(q.error_count, 150);
  assert.deepEqual(q.errors.slice(0, 3).map((e) => e.line), [1, 3, 5]);

  // A good import still works afterwards.
  const good = await srv.api('POST', `/api/v1/projects/${project.id}/tasks`, {
    token: requester.token, body: ndjson([{ data: { text: 'a' } }, { data: { text: 'b' } }]), headers: { 'content-type': 'application/x-ndjson' },
  });
  assert.equal(good.status, 201, good.text);
  assert.equal(good.json.imported, 2);
});

test('an answer label outside the project labels is 422 /answer/label and writes nothing', async () => {
  const project = await makeProject(srv, requester.token, { tasks: 1, publish: true });
  const c = await srv.api('POST', `/api/v1/projects/${project.id}/claim`, { token: worker.token });
  assert.equal(c.status, 200, c.text);
  const submit = (body) => srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: worker.token, body, headers: { 'content-type': 'application/json' },
  });
  const lt = c.json.lease_token;

  for (const [answer, field] of [
    [{ label: 'sarcastic' }, '/answer/label'],
    [{ label: 3 }, '/answer/label'],
    [{ label: '' }, '/answer/label'],
    [{}, '/answer/label'],
  ]) {
    const p = assertProblem(await submit({ lease_token: lt, answer }), 422, 'INVALID_FIELD', JSON.stringify(answer));
    assert.equal(p.field, field);
  }
  const noAnswer = assertProblem(await submit({ lease_token: lt }), 422, 'INVALID_FIELD');
  assert.match(noAnswer.field, /^\/answer/);
  const noToken = assertProblem(await submit({ answer: { label: 'positive' } }), 422, 'INVALID_FIELD');
  assert.equal(noToken.field, '/lease_token');
  assertProblem(await submit('{"lease_token":'), 400, 'BAD_JSON');

  const prog = await srv.api('GET', `/api/v1/projects/${project.id}/progress`, { token: requester.token });
  assert.equal(prog.json.answers_submitted, 0, 'nothing written');
  const ok = await submit({ lease_token: lt, answer: { label: 'positive' } });
  assert.equal(ok.status, 200, `a valid submit still succeeds: ${ok.text}`);
});

test('error replies carry type, code, name, title and detail', async () => {
  const res = await srv.api('GET', '/api/v1/me');
  const p = assertProblem(res, 401, 'AUTH_REQUIRED');
  assert.equal(p.type, `https://fairlabel.org/errors/${p.code}`);
});
