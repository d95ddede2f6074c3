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
import { pngBytes, kittiBin } from '../lib/media.mjs';

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
  const isJsonType = (ct) => ct === 'application/json' || ct.endsWith('+json') || ct === 'application/x-ndjson';

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
      // Binary bodies (media files): the documented status and content type are all there is to check.
      if (!isJsonType(ct)) {
        seen.add(`${method} ${op.operationId} ${r.status}`);
        return r;
      }
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

  // Media: upload as a requester, read back whole, by range, conditionally; errors.
  const png = pngBytes({ width: 6, height: 4 });
  const img = (await call('POST', '/api/v1/media?name=oa.png', { token: rt, body: png, headers: { 'content-type': 'image/png' } })).json;
  await call('POST', '/api/v1/media', { token: rt, body: png, headers: { 'content-type': 'application/octet-stream' } });
  await call('POST', '/api/v1/media?name=bad.png', { token: rt, body: Buffer.from('not an image'), headers: { 'content-type': 'image/png' } });
  await call('POST', '/api/v1/media', { token: wt, body: png, headers: { 'content-type': 'image/png' } });
  const cloud = (await call('POST', '/api/v1/media?name=oa.bin', {
    token: rt, body: kittiBin([[1, 2, 3, 0.5], [4, 5, 6, 0.25]]), headers: { 'content-type': 'application/octet-stream' },
  })).json;
  const full = await call('GET', `/api/v1/media/${img.media_id}`, { token: rt });
  assert.equal(full.status, 200);
  await call('GET', `/api/v1/media/${img.media_id}`, { token: rt, headers: { range: 'bytes=0-7' } });
  await call('GET', `/api/v1/media/${img.media_id}`, { token: rt, headers: { 'if-none-match': full.headers.get('etag') } });
  await call('GET', `/api/v1/media/${img.media_id}`, { token: rt, headers: { range: `bytes=${png.length + 10}-` } });
  await call('GET', `/api/v1/media/${img.media_id}`, { token: wt });
  await call('GET', `/api/v1/media/${img.media_id}`, { token: at });
  await call('GET', `/api/v1/media/${'0'.repeat(64)}`, { token: rt });
  await call('GET', `/api/v1/media/${img.media_id}/points`, { token: rt });
  await call('GET', `/api/v1/media/${cloud.media_id}`, { token: rt });
  await call('GET', `/api/v1/media/${cloud.media_id}/points`, { token: rt });
  await call('GET', `/api/v1/media/${cloud.media_id}/points`, { token: rt, headers: { range: 'bytes=0-3' } });

  // Every other kind: create with a schema, import (with pre-annotations), claim, submit, export.
  const kinds = {
    text_spans: [{ entities: ['PER', 'ORG'], relations: ['works_for'] },
      { data: { text: 'Ann works at ACME' }, predictions: { spans: [{ id: 's1', start: 0, end: 3, label: 'PER' }] } },
      { spans: [{ id: 's1', start: 0, end: 3, label: 'PER' }, { start: 13, end: 17, label: 'ORG' }], relations: [{ from: 0, to: 1, label: 'works_for' }] }],
    image_annotation: [{ classes: [{ name: 'car', tools: ['bbox', 'polygon'], attributes: [{ name: 'occluded', type: 'bool' }] }] },
      { data: { image: { media_id: img.media_id } }, predictions: { objects: [{ id: 'o1', class: 'car', type: 'bbox', bbox: [0, 0, 2, 2] }] } },
      { objects: [{ id: 'o1', class: 'car', type: 'bbox', bbox: [0, 0, 3, 2], attributes: { occluded: true } },
        { class: 'car', type: 'polygon', points: [[0, 0], [4, 0], [2, 3]] }] }],
    lidar_cuboids: [{ classes: [{ name: 'Car' }] },
      { data: { pointcloud: { media_id: cloud.media_id }, images: [{ media_id: img.media_id }] } },
      { objects: [{ class: 'Car', center: [1, 2, 3], size: [4, 2, 1.5], yaw: 0.5 }] }],
    llm_comparison: [{ allow_tie: true, criteria: ['helpfulness'], rationale_min_chars: 5 },
      { data: { prompt: 'Greet me', responses: [{ id: 'a', text: 'Hi!' }, { id: 'b', text: 'Hello.' }] } },
      { preference: { choice: 'tie', strength: 4 }, ratings: { a: { helpfulness: 4 }, b: { helpfulness: 4 } }, rationale: 'Both are fine.' }],
    free_text: [{ min_chars: 1, max_chars: 50 }, { data: { text: 'Transcribe: HELLO' } }, { text: 'HELLO' }],
  };
  for (const [kind, [schema, task, answer]] of Object.entries(kinds)) {
    const created = await call('POST', '/api/v1/projects', { token: rt, body: { name: kind, kind, schema, reward_micros: 1, currency: 'EUR', estimated_seconds: 5, overlap: 1 } });
    assert.equal(created.status, 201, `${kind}: ${created.text}`);
    const kp = created.json;
    const imp = await call('POST', `/api/v1/projects/${kp.id}/tasks`, { token: rt, body: ndjson([task]), headers: ndj });
    assert.equal(imp.status, 201, `${kind}: ${imp.text}`);
    await call('POST', `/api/v1/projects/${kp.id}/publish`, { token: rt });
    const claimed = await call('POST', `/api/v1/projects/${kp.id}/claim`, { token: wt });
    assert.equal(claimed.status, 200, `${kind}: ${claimed.text}`);
    const kc = claimed.json;
    if (kind === 'image_annotation') assert.equal((await call('GET', `/api/v1/media/${img.media_id}`, { token: wt })).status, 200);
    if (kind === 'lidar_cuboids') assert.equal((await call('GET', `/api/v1/media/${cloud.media_id}/points`, { token: wt })).status, 200);
    const sub = await call('POST', `/api/v1/assignments/${kc.assignment_id}/submit`, { token: wt, body: { lease_token: kc.lease_token, answer } });
    assert.equal(sub.status, 200, `${kind}: ${sub.text}`);
    await call('GET', `/api/v1/projects/${kp.id}/export?format=jsonl`, { token: rt });
    await call('GET', `/api/v1/projects/${kp.id}`, { token: rt });
  }
  await call('POST', '/api/v1/projects', { token: rt, body: { name: 'OA', kind: 'text_spans', labels: ['a', 'b'], reward_micros: 1, currency: 'EUR', estimated_seconds: 5, overlap: 1 } });

  await call('POST', '/api/v1/auth/logout', { token: wt });
  assert.ok(seen.size >= 30, `walked ${seen.size} distinct replies`);
});
