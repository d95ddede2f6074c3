// docs/openapi.json: valid OpenAPI 3.1 whose paths and methods are exactly the API routes of the binary
// (`fairlabel routes`) and of the route table in docs/api.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO_ROOT, routeTable, apiRouteKeys, normalisePattern, startServer, makeProject, ndjson, taskLines, sleep,
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

  async function callOn(server, method, path, opts = {}) {
    const r = await server.api(method, path, opts);
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
  const call = (method, path, opts) => callOn(srv, method, path, opts);
  // the members of a balances object ({CUR: {...}}), which the checker's additionalProperties does not reach
  const checkBalances = (r, schema) => {
    for (const [cur, b] of Object.entries(r.json.balances)) {
      assert.deepEqual(check({ $ref: `#/components/schemas/${schema}` }, b), [], `${schema} ${cur}: ${JSON.stringify(b)}`);
    }
  };

  const json = { 'content-type': 'application/json' };
  const ndj = { 'content-type': 'application/x-ndjson' };
  await call('GET', '/healthz');
  await call('GET', '/readyz');
  const admin = await srv.createUserCli({ role: 'admin' });
  const at = (await call('POST', '/api/v1/auth/login', { body: { email: admin.email, password: admin.password } })).json.token;
  await call('POST', '/api/v1/auth/login', { body: { email: admin.email, password: 'wrong-password' } });
  await call('POST', '/api/v1/auth/login', { body: '{"email":', headers: json });
  const reqBody = { email: 'oa-req@test.example', password: 'requester-pw', display_name: 'Req', role: 'requester', country: 'KE' };
  const rId = (await call('POST', '/api/v1/users', { token: at, body: reqBody })).json.id;
  await call('POST', '/api/v1/users', { token: at, body: reqBody });
  await call('GET', '/api/v1/users?role=requester', { token: at });
  const rt = (await call('POST', '/api/v1/auth/login', { body: { email: reqBody.email, password: reqBody.password } })).json.token;
  const wBody = { email: 'oa-w@test.example', password: 'worker-pw-1', display_name: 'W', country: 'NG' };
  await call('POST', '/api/v1/auth/register', { body: wBody });
  await call('POST', '/api/v1/auth/register', { body: { ...wBody, country: 'Nigeria' } });
  const wt = (await call('POST', '/api/v1/auth/login', { body: { email: wBody.email, password: wBody.password } })).json.token;
  const wId = (await call('GET', '/api/v1/me', { token: wt })).json.id;
  await call('GET', '/api/v1/me');
  await call('GET', '/api/v1/users', { token: wt });

  const key = (await call('POST', '/api/v1/api-keys', { token: rt, body: { name: 'oa' } })).json;
  await call('GET', '/api/v1/api-keys', { token: key.key });
  await call('DELETE', `/api/v1/api-keys/${key.id}`, { token: rt });
  await call('DELETE', `/api/v1/api-keys/${key.id + 1000}`, { token: rt });

  // The wage tables (FW-5): EUR gets a USD rate through an admin edit, so EUR work can be checked against floors.
  // Edits wait 14 days (FW-23); these lower nothing, so they apply at once as emergencies.
  const emergency = { reason: 'EUR work needs a rate now' };
  await call('GET', '/api/v1/wage-benchmarks');
  await call('POST', '/api/v1/wage-countries', { token: at, body: { country: 'FR', name: 'France', reason: 'incomplete' } });
  const fr = await call('POST', '/api/v1/wage-countries', { token: at, body: { country: 'FR', name: 'France', currency: 'EUR', usd_per_unit: '1.08', fx_date: '2026-06', normal_weekly_hours: '35', hours_source: 'Code du travail', reason: 'EUR projects', emergency } });
  assert.equal(fr.status, 201, fr.text);
  assert.equal((await call('POST', '/api/v1/wage-countries', { token: at, body: { country: 'FR', hours_source: 'Code du travail, art. L3121-27', reason: 'cite the article', emergency } })).status, 200);
  await call('POST', '/api/v1/wage-countries', { token: wt, body: { country: 'FR', reason: 'not an admin' } });
  const smic = { country: 'FR', region: 'national', kind: 'minimum', amount: '11.88', currency: 'EUR', unit: 'hour', ref_date: '2026-01-01', method: 'statutory(SMIC)', confidence: 'V', source: 'https://example.org/smic', reason: 'SMIC', emergency };
  assert.equal((await call('POST', '/api/v1/wage-benchmarks', { token: at, body: smic })).status, 201);
  assert.equal((await call('POST', '/api/v1/wage-benchmarks', { token: at, body: { ...smic, reason: 'the same again' } })).status, 200);
  await call('POST', '/api/v1/wage-benchmarks', { token: at, body: { ...smic, amount: '-1' } });
  await call('POST', '/api/v1/wage-benchmarks', { token: at, body: { ...smic, amount: '10' } }); // a lowering: 422
  const { emergency: _e, ...lower } = smic;
  const sched = await call('POST', '/api/v1/wage-benchmarks', { token: at, body: { ...lower, amount: '10', reason: 'scheduled' } });
  assert.equal(sched.status, 202, sched.text);
  await call('GET', '/api/v1/wage-changes');
  await call('GET', '/api/v1/wage-changes?state=never');
  assert.equal((await call('POST', `/api/v1/wage-changes/${sched.json.id}/withdraw`, { token: at, body: { reason: 'a test' } })).status, 200);
  await call('POST', `/api/v1/wage-changes/${sched.json.id}/withdraw`, { token: at, body: { reason: 'a test' } });
  await call('POST', '/api/v1/wage-changes/999999/withdraw', { token: at, body: { reason: 'a test' } });
  await call('POST', `/api/v1/wage-changes/${sched.json.id}/withdraw`, { token: wt, body: { reason: 'a test' } });
  await call('POST', '/api/v1/wage-benchmarks', { token: rt, body: smic });
  await call('POST', '/api/v1/wage-benchmarks', { body: smic });
  await call('GET', '/api/v1/wage-benchmarks/history?limit=2');
  await call('GET', '/api/v1/wage-benchmarks/history?limit=0');
  await call('POST', '/api/v1/pay-check', { token: rt, body: { reward_micros: 2575, currency: 'EUR', estimated_seconds: 5 } });
  await call('POST', '/api/v1/pay-check', { token: rt, body: { reward_micros: 2575, currency: 'XXY', estimated_seconds: 5 } });
  await call('POST', '/api/v1/pay-check', { token: wt, body: { reward_micros: 2575, currency: 'EUR', estimated_seconds: 5 } });
  // 2,575 micro-EUR for 5 s is 1.854 EUR an hour: above the 2 USD platform floor (1.851852 EUR at 1.08)
  const p = (await call('POST', '/api/v1/projects', { token: rt, body: { name: 'OA', kind: 'text_classification', labels: ['a', 'b'], reward_micros: 2575, currency: 'EUR', estimated_seconds: 5, overlap: 1 } })).json;
  await call('GET', `/api/v1/projects/${p.id}/pay-check`, { token: rt });
  await call('GET', `/api/v1/projects/${p.id}/pay-check`, { token: at });
  await call('GET', `/api/v1/projects/${p.id + 1000}/pay-check`, { token: rt });
  await call('POST', '/api/v1/projects', { token: rt, body: { name: 'OA' } });
  await call('POST', `/api/v1/projects/${p.id}/tasks`, { token: rt, body: ndjson(taskLines(3)), headers: ndj });
  await call('POST', `/api/v1/projects/${p.id}/tasks`, { token: rt, body: ndjson([{ data: {} }]), headers: ndj });
  // Escrow (docs/pay.md): this requester has none yet, so publishing is refused (FW-1) until an admin records a deposit.
  const short = await call('POST', `/api/v1/projects/${p.id}/publish`, { token: rt });
  assert.equal(short.json.name, 'ESCROW_SHORT', short.text);
  assert.deepEqual([short.json.currency, short.json.required_micros, short.json.available_micros, short.json.missing_micros],
    ['EUR', 8499, 0, 8499], '3 tasks × (2,575 micro reward + a 10% fee of 257.5 that rounds half-even to 258)');
  const deposit = (body, token = at, headers) => call('POST', '/api/v1/escrow/deposits', { token, body, headers });
  const eur = { requester_id: rId, amount_micros: 10_000_000, currency: 'EUR', reference: 'oa-eur-1', memo: 'wire 1' };
  const dep = await deposit(eur);
  assert.equal(dep.status, 201, dep.text);
  assert.equal(dep.json.escrow_micros, 10_000_000);
  const replay = await deposit(eur);
  assert.equal(replay.status, 200, 'a used reference writes nothing');
  assert.deepEqual([replay.json.replayed, replay.json.tx_id, replay.json.escrow_micros], [true, dep.json.tx_id, 10_000_000]);
  assert.equal((await deposit({ ...eur, reference: 'oa-eur-2', currency: 'XYZ' })).json.field, '/currency');
  assert.equal((await deposit({ ...eur, reference: 'oa-eur-2', requester_id: wId })).json.field, '/requester_id');
  assert.equal((await deposit({ ...eur, reference: 'oa-eur-2', amount_micros: 0 })).json.field, '/amount_micros');
  assert.equal((await deposit({ ...eur, reference: '' })).json.field, '/reference');
  assert.equal((await deposit([eur])).status, 422);
  assert.equal((await deposit('{"requester_id":', at, json)).status, 400);
  assert.equal((await deposit('requester_id=1', at, { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await deposit({ ...eur, reference: 'oa-eur-2' }, rt)).status, 403);
  assert.equal((await deposit({ ...eur, reference: 'oa-eur-2' }, null)).status, 401);
  assert.equal((await deposit({ requester_id: rId, amount_micros: 100_000_000, currency: 'USD', reference: 'oa-usd-1' })).status, 201);
  assert.equal((await call('POST', `/api/v1/projects/${p.id}/publish`, { token: rt })).status, 200);
  await call('GET', '/api/v1/projects', { token: wt });
  await call('GET', `/api/v1/projects/${p.id}`, { token: wt });
  await call('GET', `/api/v1/projects/${p.id + 1000}`, { token: wt });
  const c = (await call('POST', `/api/v1/projects/${p.id}/claim`, { token: wt })).json;
  await call('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: wt, body: { lease_token: c.lease_token, answer: { label: 'zzz' } } });
  await call('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: wt, body: { lease_token: 'nope', answer: { label: 'a' } } });
  await call('POST', `/api/v1/assignments/${c.assignment_id}/submit`, { token: wt, body: { lease_token: c.lease_token, answer: { label: 'a' } } });
  // a bonus to the worker who just submitted (p is in EUR and funded), its replay, and the usual refusals
  const bonus = { worker_id: (await call('GET', '/api/v1/me', { token: wt })).json.id, amount_micros: 500, message: 'Thanks!', reference: 'oa-bonus-1' };
  assert.equal((await call('POST', `/api/v1/projects/${p.id}/bonuses`, { token: rt, body: bonus })).status, 201);
  assert.equal((await call('POST', `/api/v1/projects/${p.id}/bonuses`, { token: rt, body: bonus })).status, 200);
  assert.equal((await call('POST', `/api/v1/projects/${p.id}/bonuses`, { token: rt, body: { ...bonus, reference: 'oa-bonus-2', amount_micros: 1_000_000_000_000 } })).status, 409);
  assert.equal((await call('POST', `/api/v1/projects/${p.id}/bonuses`, { token: rt, body: { ...bonus, message: '' } })).status, 422);
  assert.equal((await call('POST', `/api/v1/projects/${p.id + 1000}/bonuses`, { token: rt, body: bonus })).status, 404);
  assert.equal((await call('POST', `/api/v1/projects/${p.id}/bonuses`, { token: wt, body: bonus })).status, 403);
  const c2 = (await call('POST', `/api/v1/projects/${p.id}/claim`, { token: wt })).json;
  await call('POST', `/api/v1/assignments/${c2.assignment_id}/release`, { token: wt, body: { lease_token: c2.lease_token } });
  await call('POST', `/api/v1/projects/${p.id}/claim`, { token: wt });
  const other = await makeProject(srv, rt, { tasks: 1, publish: true });
  const underpaid = await makeProject(srv, rt, { tasks: 1, publish: true, reward_micros: 100 }); // 0.012 USD an hour
  assert.equal((await call('POST', `/api/v1/projects/${underpaid.id}/claim`, { token: wt })).json.name, 'BELOW_PAY_FLOOR');
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
  const kindProjects = {};
  for (const [kind, [schema, task, answer]] of Object.entries(kinds)) {
    const created = await call('POST', '/api/v1/projects', { token: rt, body: { name: kind, kind, schema, reward_micros: 2575, currency: 'EUR', estimated_seconds: 5, overlap: 1 } });
    assert.equal(created.status, 201, `${kind}: ${created.text}`);
    const kp = created.json;
    kindProjects[kind] = kp;
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

  // Quality control: settings, gold and qualification tasks, review, results, the worker's own views, skills.
  const revBody = { email: 'oa-rev@test.example', password: 'reviewer-pw', display_name: 'Rev', role: 'reviewer', country: 'DE' };
  const revId = (await call('POST', '/api/v1/users', { token: at, body: revBody })).json.id;
  const vt = (await call('POST', '/api/v1/auth/login', { body: { email: revBody.email, password: revBody.password } })).json.token;
  await call('GET', '/api/v1/quality-rules');
  await call('GET', '/api/v1/wage-benchmarks');
  const quality = {
    gold: { first: 1, percent: 10 }, review: { mode: 'all' }, qualification: { pass_mark: 0.5, skill: 'oa-skill' },
    rules: [{ id: 'gold-low', reads: 'gold_accuracy', window: 1, threshold: 0.5, action: 'flag_for_review' }],
  };
  const qBody = { name: 'OA quality', kind: 'text_classification', labels: ['a', 'b'], reward_micros: 2575, currency: 'EUR', estimated_seconds: 5, overlap: 1 };
  const qpr = await call('POST', '/api/v1/projects', { token: rt, body: { ...qBody, quality } });
  assert.equal(qpr.status, 201, qpr.text);
  const qp = qpr.json;
  assert.equal((await call('POST', '/api/v1/projects', { token: rt, body: { ...qBody, quality: { gold: { percent: 80 } } } })).status, 422);
  const put = await call('PUT', `/api/v1/projects/${qp.id}/quality`, { token: rt, body: { ...qp.quality, max_overlap: 2 } });
  assert.equal(put.status, 200, put.text);
  assert.equal((await call('PUT', `/api/v1/projects/${qp.id}/quality`, { token: rt, body: { review: { mode: 'sometimes' } } })).status, 422);
  assert.equal((await call('PUT', `/api/v1/projects/${qp.id}/quality`, { token: rt, body: '{"gold":', headers: json })).status, 400);
  assert.equal((await call('PUT', `/api/v1/projects/${p.id + 1000}/quality`, { token: rt, body: {} })).status, 404);
  assert.equal((await call('PUT', `/api/v1/projects/${qp.id}/quality`, { token: wt, body: {} })).status, 403);
  const qimp = await call('POST', `/api/v1/projects/${qp.id}/tasks`, {
    token: rt, headers: ndj, body: ndjson([
      { data: { text: 'test 1' }, external_id: 'q1', gold: { answer: { label: 'a' }, qualification: true } },
      { data: { text: 'gold 1' }, external_id: 'g1', gold: { answer: { label: 'b' }, explanation: 'It is b.' } },
      { data: { text: 'work 1' }, external_id: 'n1', priority: 5 },
      { data: { text: 'work 2' }, external_id: 'n2' },
    ]),
  });
  assert.equal(qimp.status, 201, qimp.text);
  assert.equal(qimp.json.gold, 2);
  await call('POST', `/api/v1/projects/${qp.id}/publish`, { token: rt });
  await call('GET', `/api/v1/projects/${qp.id}`, { token: rt });
  // the qualification test (passed), a gold task (missed: the rule flags it), then work that waits for review
  const qc = (await call('POST', `/api/v1/projects/${qp.id}/claim`, { token: wt })).json;
  assert.equal(qc.stage, 'qualification');
  await call('POST', `/api/v1/assignments/${qc.assignment_id}/submit`, { token: wt, body: { lease_token: qc.lease_token, answer: { label: 'a' } } });
  const gc = (await call('POST', `/api/v1/projects/${qp.id}/claim`, { token: wt })).json;
  assert.equal(gc.stage, 'work');
  assert.equal(gc.task.external_id, 'g1');
  await call('POST', `/api/v1/assignments/${gc.assignment_id}/submit`, { token: wt, body: { lease_token: gc.lease_token, answer: { label: 'a' } } });
  const nc = (await call('POST', `/api/v1/projects/${qp.id}/claim`, { token: wt })).json;
  assert.equal(nc.task.external_id, 'n1', 'the higher priority first');
  await call('POST', `/api/v1/assignments/${nc.assignment_id}/submit`, { token: wt, body: { lease_token: nc.lease_token, answer: { label: 'a' } } });
  assert.equal((await call('GET', `/api/v1/assignments/${nc.assignment_id}/history`, { token: wt })).status, 200);
  assert.equal((await call('GET', `/api/v1/assignments/${nc.assignment_id}/history`, { token: vt })).status, 404);
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/review/next`, { token: vt })).status, 404);
  await call('POST', `/api/v1/projects/${qp.id}/reviewers`, { token: rt, body: { user_id: revId } });
  const next = await call('GET', `/api/v1/projects/${qp.id}/review/next`, { token: vt });
  assert.equal(next.status, 200, next.text);
  assert.equal(next.json.assignment_id, nc.assignment_id);
  const review = `/api/v1/assignments/${nc.assignment_id}/review`;
  const noReason = await call('POST', review, { token: vt, body: { decision: 'reject', note: 'wrong' } });
  assert.equal(noReason.status, 422);
  assert.equal(noReason.json.field, '/reason_code');
  assert.equal((await call('POST', review, { token: vt, body: '{"decision":', headers: json })).status, 400);
  assert.equal((await call('POST', `/api/v1/assignments/${gc.assignment_id}/review`, { token: vt, body: { decision: 'accept' } })).status, 409);
  assert.equal((await call('POST', `/api/v1/assignments/${nc.assignment_id + 1000}/review`, { token: vt, body: { decision: 'accept' } })).status, 404);
  assert.equal((await call('POST', review, { token: wt, body: { decision: 'accept' } })).status, 403);
  const fix = await call('POST', review, { token: vt, body: { decision: 'fix', answer: { label: 'b' }, note: 'It is b.' } });
  assert.equal(fix.status, 200, fix.text);
  assert.equal((await call('POST', review, { token: vt, body: { decision: 'accept' } })).status, 409);
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/review/next`, { token: vt })).status, 204);
  const hist = await call('GET', `/api/v1/assignments/${nc.assignment_id}/history`, { token: rt });
  assert.equal(hist.json.versions.length, 2);
  const myReviews = await call('GET', '/api/v1/me/reviews', { token: wt });
  assert.equal(myReviews.json.items.length, 1);
  await call('GET', `/api/v1/me/reviews?before=${myReviews.json.items[0].id}`, { token: wt });
  assert.equal((await call('GET', '/api/v1/me/reviews?before=x', { token: wt })).status, 400);
  assert.equal((await call('GET', '/api/v1/me/reviews', { token: rt })).status, 403);
  const mq = await call('GET', '/api/v1/me/quality', { token: wt });
  for (const k of ['projects', 'gold', 'qualifications', 'skills', 'rule_events', 'qualification_pay']) assert.ok(mq.json[k].length, `me/quality ${k}`);
  assert.equal((await call('GET', '/api/v1/me/quality', { token: at })).status, 403);
  const all = await call('GET', `/api/v1/projects/${qp.id}/results`, { token: rt });
  assert.equal(all.json.items.length, 2);
  assert.notEqual((await call('GET', `/api/v1/projects/${qp.id}/results?filter=gold&limit=1`, { token: vt })).json.next_after, null);
  await call('GET', `/api/v1/projects/${qp.id}/results?filter=low_confidence&below=0.99&after_id=0`, { token: at });
  await call('GET', `/api/v1/projects/${qp.id}/results?filter=disagreement`, { token: rt });
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/results?filter=nope`, { token: rt })).status, 400);
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/results?below=2`, { token: rt })).status, 400);
  assert.equal((await call('GET', `/api/v1/projects/${p.id + 1000}/results`, { token: rt })).status, 404);
  await call('GET', `/api/v1/projects/${qp.id}/workers`, { token: rt });
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/workers`, { token: vt })).status, 403);
  await call('GET', `/api/v1/projects/${qp.id}/export?format=jsonl`, { token: rt });
  // required skills: refused until an admin sets the skill
  const sp = await makeProject(srv, rt, { tasks: 1, publish: true, quality: { required_skills: { 'oa-medical': 60 } } });
  const refused = await call('POST', `/api/v1/projects/${sp.id}/claim`, { token: wt });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.name, 'SKILL_REQUIRED');
  assert.equal((await call('PUT', `/api/v1/users/${wId}/skills`, { token: at, body: { skill: 'oa-medical', value: 101 } })).status, 422);
  assert.equal((await call('PUT', `/api/v1/users/${wId}/skills`, { token: at, body: { skill: 'Medical', value: 60 } })).status, 422);
  assert.equal((await call('PUT', `/api/v1/users/${revId}/skills`, { token: at, body: { skill: 'oa-medical', value: 60 } })).status, 404);
  assert.equal((await call('PUT', `/api/v1/users/${wId}/skills`, { token: rt, body: { skill: 'oa-medical', value: 60 } })).status, 403);
  assert.equal((await call('PUT', `/api/v1/users/${wId}/skills`, { token: at, body: { skill: 'oa-medical', value: 60 } })).status, 200);
  assert.equal((await call('POST', `/api/v1/projects/${sp.id}/claim`, { token: wt })).status, 200);

  // Rule events and the human decisions on them; a qualification retake.
  const evs = await call('GET', `/api/v1/projects/${qp.id}/quality-events`, { token: rt });
  const ev = evs.json.items.find((e) => e.rule_id === 'gold-low');
  assert.ok(ev, evs.text);
  assert.equal(ev.state, 'open');
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/quality-events?after_id=${ev.id}&limit=10`, { token: at })).json.items.length, 0);
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/quality-events?limit=0`, { token: rt })).status, 400);
  assert.equal((await call('GET', `/api/v1/projects/${p.id + 1000}/quality-events`, { token: rt })).status, 404);
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/quality-events`, { token: vt })).status, 403);
  const decide = `/api/v1/quality-events/${ev.id}/decide`;
  assert.equal((await call('POST', decide, { token: rt, body: { decision: 'maybe' } })).status, 422);
  assert.equal((await call('POST', decide, { token: rt, body: '{"decision":', headers: json })).status, 400);
  assert.equal((await call('POST', decide, { token: wt, body: { decision: 'dismiss' } })).status, 403);
  assert.equal((await call('POST', `/api/v1/quality-events/${ev.id + 1000}/decide`, { token: rt, body: { decision: 'dismiss' } })).status, 404);
  const dismissed = await call('POST', decide, { token: rt, body: { decision: 'dismiss', note: 'The gold task was unclear.' } });
  assert.equal(dismissed.json.state, 'dismissed', dismissed.text);
  assert.equal((await call('POST', decide, { token: at, body: { decision: 'approve' } })).status, 409);
  const mq2 = await call('GET', '/api/v1/me/quality', { token: wt });
  assert.equal(mq2.json.rule_events.find((e) => e.id === ev.id).resolution_note, 'The gold task was unclear.');
  const retake = `/api/v1/projects/${qp.id}/qualification/retake`;
  assert.equal((await call('POST', retake, { token: rt, body: { worker_id: revId } })).status, 422);
  assert.equal((await call('POST', retake, { token: rt, body: {} })).status, 422);
  assert.equal((await call('POST', retake, { token: wt, body: { worker_id: wId } })).status, 403);
  assert.equal((await call('POST', `/api/v1/projects/${p.id + 1000}/qualification/retake`, { token: rt, body: { worker_id: wId } })).status, 404);
  const again = await call('POST', retake, { token: rt, body: { worker_id: wId } });
  assert.equal(again.json.attempt, 2, again.text);
  const requal = await call('POST', `/api/v1/projects/${qp.id}/claim`, { token: wt });
  assert.equal(requal.json.stage, 'qualification');

  // Batch aggregation and agreement.
  const agg = await call('POST', `/api/v1/projects/${qp.id}/aggregate`, { token: rt, body: { method: 'ds', max_iter: 50, tol: 1e-6, smoothing: 0.5 } });
  assert.equal(agg.status, 200, agg.text);
  await call('POST', `/api/v1/projects/${p.id}/aggregate`, { token: at, body: { method: 'mv' } });
  assert.equal((await call('POST', `/api/v1/projects/${qp.id}/aggregate`, { token: rt, body: { method: 'vote' } })).status, 422);
  assert.equal((await call('POST', `/api/v1/projects/${qp.id}/aggregate`, { token: rt, body: { method: 'ds', tol: 2 } })).status, 422);
  assert.equal((await call('POST', `/api/v1/projects/${qp.id}/aggregate`, { token: rt, body: 'ds', headers: json })).status, 400);
  assert.equal((await call('POST', `/api/v1/projects/${kindProjects.free_text.id}/aggregate`, { token: rt, body: { method: 'ds' } })).status, 409);
  assert.equal((await call('POST', `/api/v1/projects/${p.id + 1000}/aggregate`, { token: rt, body: { method: 'ds' } })).status, 404);
  assert.equal((await call('POST', `/api/v1/projects/${qp.id}/aggregate`, { token: wt, body: { method: 'ds' } })).status, 403);
  assert.equal(typeof (await call('GET', `/api/v1/projects/${p.id}/agreement`, { token: rt })).json.workers, 'object');
  await call('GET', `/api/v1/projects/${qp.id}/agreement`, { token: at });
  assert.equal((await call('GET', `/api/v1/projects/${kindProjects.image_annotation.id}/agreement`, { token: rt })).json.tasks_compared, 0);
  assert.equal(typeof (await call('GET', `/api/v1/projects/${kindProjects.free_text.id}/agreement`, { token: rt })).json.note, 'string');
  assert.equal((await call('GET', `/api/v1/projects/${p.id + 1000}/agreement`, { token: rt })).status, 404);
  assert.equal((await call('GET', `/api/v1/projects/${qp.id}/agreement`, { token: vt })).status, 403);

  // Result callbacks: the URL (a private one only after an admin allows it), deliveries, re-send.
  const cbp = await makeProject(srv, rt, { tasks: 1, publish: true });
  const cbUrl = `/api/v1/projects/${cbp.id}/callback`;
  const sink = `${srv.url}/callback-sink`; // this server: a receiver that never answers 2xx, enough to list deliveries
  assert.equal((await call('PUT', cbUrl, { token: rt, body: { url: sink } })).json.field, '/url');
  assert.equal((await call('PUT', cbUrl, { token: rt, body: { allow_private: true } })).json.field, '/allow_private');
  assert.equal((await call('PUT', cbUrl, { token: at, body: { url: 'https://example.org/hook' } })).status, 422);
  assert.equal((await call('PUT', cbUrl, { token: rt, body: '{"url":', headers: json })).status, 400);
  assert.equal((await call('PUT', cbUrl, { token: wt, body: { url: 'https://example.org/hook' } })).status, 403);
  assert.equal((await call('PUT', `/api/v1/projects/${p.id + 1000}/callback`, { token: rt, body: { url: 'https://example.org/hook' } })).status, 404);
  assert.equal((await call('PUT', cbUrl, { token: at, body: { allow_private: true } })).json.allow_private, true);
  const cbSet = await call('PUT', cbUrl, { token: rt, body: { url: sink } });
  assert.match(cbSet.json.secret, /^[0-9a-f]{64}$/, cbSet.text);
  const cbc = (await call('POST', `/api/v1/projects/${cbp.id}/claim`, { token: wt })).json;
  assert.equal((await call('POST', `/api/v1/assignments/${cbc.assignment_id}/submit`, { token: wt, body: { lease_token: cbc.lease_token, answer: { label: 'positive' } } })).status, 200);
  const deliveries = await call('GET', `/api/v1/tasks/${cbc.task.id}/callbacks`, { token: rt });
  assert.equal(deliveries.json.items.length, 1, deliveries.text);
  assert.equal(deliveries.json.items[0].body.event, 'task.result');
  assert.equal((await call('POST', `/api/v1/tasks/${cbc.task.id}/callbacks/resend`, { token: at })).status, 202);
  assert.equal((await call('GET', `/api/v1/tasks/${cbc.task.id}/callbacks`, { token: at })).json.items.length, 2);
  assert.equal((await call('GET', `/api/v1/tasks/${cbc.task.id}/callbacks`, { token: wt })).status, 403);
  assert.equal((await call('GET', `/api/v1/tasks/${cbc.task.id + 100000}/callbacks`, { token: rt })).status, 404);
  assert.equal((await call('POST', `/api/v1/tasks/${c.task.id}/callbacks/resend`, { token: rt })).status, 409, 'no callback URL');
  assert.equal((await call('POST', `/api/v1/tasks/${cbc.task.id + 100000}/callbacks/resend`, { token: rt })).status, 404);
  assert.equal((await call('PUT', cbUrl, { token: rt, body: { url: '' } })).json.url, null);

  // Money: a requester without escrow (FW-1 on publish and on adding tasks), the earnings and escrow views, the test clock.
  const poor = await srv.createUserCli({ role: 'requester', escrow: 0 });
  const pt = (await call('POST', '/api/v1/auth/login', { body: { email: poor.email, password: poor.password } })).json.token;
  const poorId = (await call('GET', '/api/v1/me', { token: pt })).json.id;
  const pp = await makeProject(srv, pt, { tasks: 2, reward_micros: 50000, currency: 'USD' });
  const refusedPub = await call('POST', `/api/v1/projects/${pp.id}/publish`, { token: pt });
  assert.equal(refusedPub.status, 409, refusedPub.text);
  assert.deepEqual([refusedPub.json.name, refusedPub.json.code, refusedPub.json.required_micros, refusedPub.json.missing_micros],
    ['ESCROW_SHORT', 5000, 110000, 110000], '2 tasks × (50,000 + 5,000 fee)');
  assert.equal((await call('GET', `/api/v1/projects/${pp.id}`, { token: pt })).json.status, 'draft');
  assert.equal((await deposit({ requester_id: poorId, amount_micros: 110000, currency: 'USD', reference: 'oa-poor-1' })).status, 201);
  assert.equal((await call('POST', `/api/v1/projects/${pp.id}/publish`, { token: pt })).status, 200);
  const refusedImp = await call('POST', `/api/v1/projects/${pp.id}/tasks`, { token: pt, body: ndjson(taskLines(1, 'more')), headers: ndj });
  assert.deepEqual([refusedImp.status, refusedImp.json.name, refusedImp.json.missing_micros], [409, 'ESCROW_SHORT', 55000], refusedImp.text);
  assert.equal((await call('GET', `/api/v1/projects/${pp.id}`, { token: pt })).json.task_count, 2, 'nothing imported');
  const esc = await call('GET', '/api/v1/me/escrow', { token: pt });
  checkBalances(esc, 'EscrowBalance');
  assert.equal(esc.json.balances.USD.escrow_micros, 110000);
  assert.deepEqual([esc.json.lines[0].cause, esc.json.lines[0].escrow, esc.json.lines[0].memo], ['deposit', 110000, 'oa-poor-1']);
  const rkey = (await call('POST', '/api/v1/api-keys', { token: rt, body: { name: 'oa-pay' } })).json.key;
  const resc = await call('GET', '/api/v1/me/escrow', { token: rkey });
  checkBalances(resc, 'EscrowBalance');
  assert.ok(resc.json.lines.some((l) => l.cause === 'submission' && l.escrow < 0), 'answers were paid from escrow');
  assert.ok(resc.json.lines.length >= 3, resc.text);
  const older = await call('GET', `/api/v1/me/escrow?before=${resc.json.lines[1].tx_id}`, { token: rt });
  assert.equal(older.json.lines[0].tx_id, resc.json.lines[2].tx_id);
  assert.equal((await call('GET', '/api/v1/me/escrow?before=0', { token: rt })).status, 400);
  assert.equal((await call('GET', '/api/v1/me/escrow', { token: wt })).status, 403);
  assert.equal((await call('GET', '/api/v1/me/escrow')).status, 401);
  const earn = await call('GET', '/api/v1/me/earnings', { token: wt });
  checkBalances(earn, 'EarningsBalance');
  assert.equal(earn.json.balances.EUR.available_micros, 2575 + 2575 + 500, 'the fixed answer was approved, the qualification answer paid at the project rate for 5 s (FW-8), and the bonus paid');
  const approval = earn.json.lines.find((l) => l.cause === 'approval');
  assert.deepEqual([approval.cause_id, approval.gross, approval.fee, approval.net, approval.available, approval.pending],
    [nc.assignment_id, 2575, 0, 2575, 2575, -2575]);
  assert.ok(earn.json.lines.some((l) => l.cause === 'submission' && l.currency === 'USD' && l.pending === 50000), earn.text);
  assert.ok(earn.json.lines.every((l) => !('escrow' in l)), 'a worker never sees escrow');
  await call('GET', `/api/v1/me/earnings?before=${earn.json.lines.at(-1).tx_id}`, { token: wt });
  assert.equal((await call('GET', '/api/v1/me/earnings?before=x', { token: wt })).status, 400);
  assert.equal((await call('GET', '/api/v1/me/earnings', { token: rt })).status, 403);
  assert.equal((await call('GET', '/api/v1/me/earnings')).status, 401);
  // this server runs without FAIRLABEL_TEST_CLOCK: the clock cannot be moved, whatever the body
  assert.equal((await call('POST', '/api/v1/test/clock', { token: at, body: { advance_ms: 1000 } })).json.name, 'TEST_CLOCK_OFF');
  assert.equal((await call('POST', '/api/v1/test/clock', { token: rt, body: { advance_ms: 1000 } })).status, 403);

  // A second server with the test clock on: moving it past a one-day review window approves the answer (FW-2).
  const clk = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_CALLBACK_UNIT_MS: '50' } });
  t.after(() => clk.stop());
  const clkCall = (method, path, opts) => callOn(clk, method, path, opts);
  const cAdmin = await clk.createUserCli({ role: 'admin' });
  const cat = await clk.login(cAdmin.email, cAdmin.password);
  const cReq = await clk.createUserCli({ role: 'requester' });
  const crt = await clk.login(cReq.email, cReq.password);
  const cw = await clk.register();
  const cwt = await clk.login(cw.email, cw.password);
  const cp = await makeProject(clk, crt, { tasks: 1, publish: true, quality: { review: { window_days: 1 } } });
  assert.equal(cp.quality.review.window_days, 1);
  const cc = (await clkCall('POST', `/api/v1/projects/${cp.id}/claim`, { token: cwt })).json;
  assert.equal((await clkCall('POST', `/api/v1/assignments/${cc.assignment_id}/submit`, { token: cwt, body: { lease_token: cc.lease_token, answer: { label: 'positive' } } })).status, 200);
  const clock = (body, token = cat, headers) => clkCall('POST', '/api/v1/test/clock', { token, body, headers });
  assert.equal((await clock({ advance_ms: -1 })).json.field, '/advance_ms');
  assert.equal((await clock({ advance_ms: 1, by: 'x' })).status, 422);
  assert.equal((await clock('{"advance_ms":', cat, json)).status, 400);
  assert.equal((await clock({ advance_ms: 1 }, crt)).status, 403);
  const moved = await clock({ advance_ms: 86400000 + 1000 });
  assert.equal(moved.json.offset_ms, 86400000 + 1000, moved.text);
  let cearn;
  for (let i = 0; i < 200; i++) {
    cearn = await clkCall('GET', '/api/v1/me/earnings', { token: cwt });
    if (cearn.json.balances.USD?.available_micros === 50000) break;
    await sleep(50);
  }
  assert.deepEqual(cearn.json.balances.USD, { pending_micros: 0, available_micros: 50000 }, 'approved when the window passed');
  assert.deepEqual(cearn.json.lines.map((l) => l.cause), ['approval', 'submission']);
  assert.equal((await clkCall('GET', `/api/v1/assignments/${cc.assignment_id}/history`, { token: cwt })).json.review_state, 'auto_approved');
  assert.equal((await clkCall('GET', `/api/v1/projects/${cp.id}/results`, { token: crt })).json.items[0].answers[0].review_state, 'auto_approved');
  await clkCall('GET', `/api/v1/projects/${cp.id}/export?format=jsonl`, { token: crt });
  assert.equal((await clkCall('POST', `/api/v1/assignments/${cc.assignment_id}/review`, { token: crt, body: { decision: 'accept' } })).json.name, 'REVIEW_DECIDED');
  const ledger = await clk.cli(['ledger', 'verify', '--db', clk.dbUrl]);
  assert.match(ledger.stdout, /ledger OK/);

  await call('POST', '/api/v1/auth/logout', { token: wt });
  assert.ok(seen.size >= 30, `walked ${seen.size} distinct replies`);
});
