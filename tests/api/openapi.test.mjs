// docs/openapi.json: valid OpenAPI 3.1 whose paths and methods are exactly the API routes of the binary
// (`fairlabel routes`) and of the route table in docs/api.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO_ROOT, routeTable, apiRouteKeys, normalisePattern, startServer, makeProject, ndjson, taskLines,
} from '../lib/server.mjs';
import { makeChecker } from '../lib/schema.mjs';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8'));

function openapiKeys() {
  const keys = [];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const m of METHODS) if (item[m]) keys.push(`${m.toUpperCase()} ${normalisePattern(path)}`);
  }
  return keys.sort();
}

function diff(a, b) {
  const sb = new Set(b);
  return a.filter((k) => !sb.has(k));
}

test('docs/openapi.json is OpenAPI 3.1 with info, paths and components', () => {
  assert.match(String(doc.openapi), /^3\.1\.\d+$/);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  assert.equal(typeof doc.paths, 'object');
  const schemes = Object.values(doc.components?.securitySchemes || {});
  assert.ok(schemes.some((s) => s.type === 'http' && /^bearer$/i.test(s.scheme)), 'a bearer security scheme');
  assert.ok(schemes.some((s) => s.type === 'apiKey' && s.in === 'cookie' && s.name === 'fl_session'), 'a cookie security scheme');
  assert.ok(doc.components?.schemas?.Problem, 'a Problem schema');
});

test('paths and methods equal the API routes of `fairlabel routes`', async () => {
  const routes = [...new Set(apiRouteKeys(await routeTable()))].sort();
  const spec = openapiKeys();
  assert.deepEqual(diff(routes, spec), [], 'routes in the binary missing from docs/openapi.json');
  assert.deepEqual(diff(spec, routes), [], 'operations in docs/openapi.json the binary does not serve');
});

test('paths and methods equal the route table of docs/api.md', () => {
  const md = readFileSync(join(REPO_ROOT, 'docs', 'api.md'), 'utf8');
  const rows = [...md.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| (\/\S*) \|/gm)]
    .map(([, m, p]) => `${m} ${normalisePattern(p.split('?')[0])}`).sort();
  assert.ok(rows.length >= 20, `parsed the api.md route table (${rows.length} rows)`);
  const spec = openapiKeys();
  assert.deepEqual(diff(rows, spec), [], 'api.md routes missing from docs/openapi.json');
  assert.deepEqual(diff(spec, rows), [], 'operations in docs/openapi.json not in api.md');
});

test('every operation is documented: id, roles, responses, errors as problem+json', () => {
  const ids = new Set();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const where = `${m.toUpperCase()} ${path}`;
      assert.equal(typeof op.operationId, 'string', `${where} operationId`);
      assert.ok(!ids.has(op.operationId), `${where} operationId is unique`);
      ids.add(op.operationId);
      assert.match(op.description || '', /Roles?:/i, `${where} names its roles in the description`);
      assert.ok(op.responses && Object.keys(op.responses).length, `${where} has responses`);
      assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${where} has a success response`);
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const resolved = r.$ref ? resolve(r.$ref) : r;
        assert.ok(resolved.content?.['application/problem+json'], `${where} ${status} is problem+json`);
      }
      for (const param of (path.match(/\{(\w+)\}/g) || [])) {
        const name = param.slice(1, -1);
        const params = [...(item.parameters || []), ...(op.parameters || [])].map((p) => (p.$ref ? resolve(p.$ref) : p));
        assert.ok(params.some((p) => p.in === 'path' && p.name === name && p.required), `${where} declares path parameter ${name}`);
      }
    }
  }
});

function resolve(ref) {
  assert.match(ref, /^#\//, `only local $refs: ${ref}`);
  let node = doc;
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    assert.ok(node !== undefined, `$ref ${ref} resolves`);
  }
  return node;
}

test('every $ref resolves', () => {
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string') resolve(node.$ref);
      Object.values(node).forEach(walk);
    }
  };
  walk(doc);
});

// Every reply of a walk through all routes must have a status the operation documents and a body that fits
// the documented schema (per line for NDJSON).
test('real replies fit the documented responses', async (t) => {
  const { check, resolve: res } = makeChecker(doc);
  const ops = Object.entries(doc.paths).map(([p, item]) => ({
    re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`), item,
  }));
  const srv = await startServer();
  t.after(() => srv.stop());
  const seen = new Set();

  async function call(method, path, opts = {}) {
    const r = await srv.api(method, path, opts);
    const bare = path.split('?')[0];
    const entry = ops.find((o) => o.re.test(bare));
    assert.ok(entry, `${method} ${bare} is in the document`);
    const op = entry.item[method.toLowerCase()];
    assert.ok(op, `${method} ${bare} is in the document`);
    const where = `${op.operationId} → ${r.status}`;
    let resp = op.responses[String(r.status)] || op.responses.default;
    assert.ok(resp, `${where}: status not documented (${r.text.slice(0, 200)})`);
    if (resp.$ref) resp = res(resp.$ref);
    const ct = (r.headers.get('content-type') || '').split(';')[0].trim();
    if (!resp.content) {
      assert.equal(r.text, '', `${where}: documented without a body`);
    } else {
      const media = resp.content[ct];
      assert.ok(media, `${where}: content type ${ct} not documented (${Object.keys(resp.content)})`);
      const bodies = ct === 'application/x-ndjson'
        ? r.text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
        : [JSON.parse(r.text)];
      for (const b of bodies) {
        const errs = check(media.schema, b);
        assert.deepEqual(errs, [], `${where}: body does not fit the schema: ${JSON.stringify(b).slice(0, 300)}`);
      }
    }
    seen.add(`${method} ${op.operationId} ${r.status}`);
    return r;
  }

  const json = { 'content-type': 'application/json' };
  const ndj = { 'content-type': 'application/x-ndjson' };
  await call('GET', '/healthz');
  await call('GET', '/readyz');
  const admin = await srv.createUserCli({ role: 'admin' });
  const at = (await call('POST', '/api/v1/auth/login', { body: { email: admin.email, password: admin.password } })).json.token;
  await call('POST', '/api/v1/auth/login', { body: { email: admin.email, password: 'wrong-password' } });
  await call('POST', '/api/v1/auth/login', { body: '{"email":', headers: json });
  const reqBody = { email: 'oa-req@test.example', password: 'requester-pw', display_name: 'Req', role: 'requester', country: 'KE' };
  await call('POST', '/api/v1/users', { token: at, body: reqBody });
  await call('POST', '/api/v1/users', { token: at, body: reqBody });
  await call('GET', '/api/v1/users?role=requester', { token: at });
  const rt = (await call('POST', '/api/v1/auth/login', { body: { email: reqBody.email, password: reqBody.password } })).json.token;
  const wBody = { email: 'oa-w@test.example', password: 'worker-pw-1', display_name: 'W', country: 'NG' };
  await call('POST', '/api/v1/auth/register', { body: wBody });
  await call('POST', '/api/v1/auth/register', { body: { ...wBody, country: 'Nigeria' } });
  const wt = (await call('POST', '/api/v1/auth/login', { body: { email: wBody.email, password: wBody.password } })).json.token;
  await call('GET', '/api/v1/me', { token: wt });
  await call('GET', '/api/v1/me');
  await call('GET', '/api/v1/users', { token: wt });

  const key = (await call('POST', '/api/v1/api-keys', { token: rt, body: { name: 'oa' } })).json;
  await call('GET', '/api/v1/api-keys', { token: key.key });
  await call('DELETE', `/api/v1/api-keys/${key.id}`, { token: rt });
  await call('DELETE', `/api/v1/api-keys/${key.id + 1000}`, { token: rt });

  const p = (await call('POST', '/api/v1/projects', { token: rt, body: { name: 'OA', kind: 'text_classification', labels: ['a', 'b'], reward_micros: 1, currency: 'EUR', estimated_seconds: 5, overlap: 1 } })).json;
  await call('POST', '/api/v1/projects', { token: rt, body: { name: 'OA' } });
  await call('POST', `/api/v1/projects/${p.id}/tasks`, { token: rt, body: ndjson(taskLines(3)), headers: ndj });
  await call('POST', `/api/v1/projects/${p.id}/tasks`, { token: rt, body: ndjson([{ data: {} }]), headers: ndj });
  await call('POST', `/api/v1/projects/${p.id}/publish`, { token: rt });
  await call('GET', '/api/v1/projects', { token: wt });
  await call('GET', `/api/v1/projects/${p.id}`, { token: wt });
  await call('GET', `/api/v1/projects/${p.id + 1000}`, { token: wt });
  const c = (await call('POST', `/api/v1/projects/${p.id}/claim`, { token: wt })).json;
  await call('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: wt, body: { lease_token: c.lease_token, answer: { label: 'zzz' } } });
  await call('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: wt, body: { lease_token: 'nope', answer: { label: 'a' } } });
  await call('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: wt, body: { lease_token: c.lease_token, answer: { label: 'a' } } });
  const c2 = (await call('POST', `/api/v1/projects/${p.id}/claim`, { token: wt })).json;
  await call('POST', `/api/v1/assignments/${c2.assignment_id}/release`, { token: wt, body: { lease_token: c2.lease_token } });
  await call('POST', `/api/v1/projects/${p.id}/claim`, { token: wt });
  const other = await makeProject(srv, rt, { tasks: 1, publish: true });
  await call('POST', `/api/v1/projects/${other.id}/claim`, { token: at });
  await call('GET', `/api/v1/projects/${p.id}/progress`, { token: rt });
  await call('GET', `/api/v1/projects/${p.id}/export?format=jsonl`, { token: at });
  await call('POST', `/api/v1/projects/${p.id}/pause`, { token: rt });
  await call('GET', '/api/v1/projects', { token: rt });
  await call('GET', '/api/v1/audit?limit=50', { token: at });
  await call('POST', '/api/v1/auth/logout', { token: wt });
  assert.ok(seen.size >= 30, `walked ${seen.size} distinct replies`);
});
