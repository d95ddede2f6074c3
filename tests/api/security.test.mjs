// Security tests (issue 7); docs/security.md says what each one proves.
//
// SQL injection, asserted two ways:
//  1. Every free-text string field of every JSON or NDJSON write body in docs/openapi.json (a string property
//     with no enum, format or pattern; nested objects and arrays included; derived from the schema, not a hand
//     list) is sent with each payload below inside an otherwise valid body (required fields filled from the
//     schema, or a valid base body from BASES where the schema lists fewer fields than the route needs), as a
//     user of a role the route table allows. Asserted: no 5xx, and afterwards the database is
//     intact (the fixture users, project and its tasks are all still there, and every request still works);
//     at the end the user and project counts equal the fixtures plus what the 2xx replies created.
//     When a 2xx reply carries the field back, it must be the payload, byte for byte. A password field gets
//     one payload only: it is hashed, never stored as text.
//  2. A subset stored and read back through a separate request, compared byte for byte: project name and
//     instructions (GET /projects/{id}), task data text and external id (the JSONL export), API key name (GET
//     /api-keys), display name (admin-created via GET /users, self-registered via GET /me), ticket subject and
//     message (GET /tickets/{id}), announcement title and body (GET /announcements/{id}); the payout holder name
//     from the PUT reply where the validator accepts it (plain printable text only).
//  Plus: login with injected emails (`' OR 1=1 --`…) is refused, never a session.
// Path traversal on media ids and static files; CSRF on cookie sessions; session fixation and logout; login
// brute force (the lockouts themselves are in throttle.test.mjs; here what it leaves out).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import {
  startServer, assertProblem, makeProject, importTasks, ndjson, routeTable, apiRouteKeys, normalisePattern,
  REPO_ROOT, randomId, projectInput,
} from '../lib/server.mjs';
import { pngBytes } from '../lib/media.mjs';

const PAYLOADS = [
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  "\\'); DELETE FROM tasks; --",
  "Zoë ünïcødé ✓ 日本語 ‮ 😀 ' OR ''=' ; SELECT * FROM sessions; /*",
];

let srv;
const u = {}; // role -> { ...user, token }
const fx = {};

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1' } });
  const admin = await srv.createUserCli({ role: 'admin' });
  u.admin = { ...admin, token: await srv.login(admin.email, admin.password) };
  for (const role of ['requester', 'reviewer', 'support']) {
    const x = await srv.createUserApi(u.admin.token, { role });
    u[role] = { ...x, token: await srv.login(x.email, x.password) };
  }
  const w = await srv.register();
  u.worker = { ...w, token: await srv.login(w.email, w.password) };
  fx.project = await makeProject(srv, u.requester.token, { tasks: 5, publish: true });
  fx.tasks = (await progress()).total;
  fx.scratch = await makeProject(srv, u.requester.token, { tasks: 1 });
  fx.users = await count('/api/v1/users');
  fx.projects = await count('/api/v1/projects');
});

after(async () => {
  await srv?.stop();
});

async function count(path) {
  const r = await srv.api('GET', `${path}?limit=500`, { token: u.admin.token });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json.items.length;
}

async function progress() {
  const r = await srv.api('GET', `/api/v1/projects/${fx.project.id}/progress`, { token: u.requester.token });
  assert.equal(r.status, 200, r.text);
  return { ...r.json, total: r.json.total ?? r.json.tasks ?? r.json.tasks_total };
}

/** The database still holds what the fixtures made, and reads still work. */
async function assertIntact(where) {
  const me = await srv.api('GET', '/api/v1/me', { token: u.worker.token });
  assert.equal(me.status, 200, `${where}: a session still works: ${me.text}`);
  const users = await srv.api('GET', '/api/v1/users?limit=500', { token: u.admin.token });
  assert.equal(users.status, 200, `${where}: users readable`);
  const emails = new Set(users.json.items.map((x) => x.email));
  for (const role of Object.keys(u)) assert.ok(emails.has(u[role].email), `${where}: the ${role} fixture user is still there`);
  const p = await srv.api('GET', `/api/v1/projects/${fx.project.id}`, { token: u.requester.token });
  assert.equal(p.status, 200, `${where}: the fixture project is still there`);
  assert.equal((await progress()).total, fx.tasks, `${where}: its tasks are all there`);
}

// ---- schema walking ----

const openapi = JSON.parse(readFileSync(join(REPO_ROOT, 'docs/openapi.json'), 'utf8'));
const deref = (s) => {
  while (s && s.$ref) s = s.$ref.split('/').slice(1).reduce((a, k) => a[k], openapi);
  return s;
};
const isType = (s, t) => s && (s.type === t || (Array.isArray(s.type) && s.type.includes(t)));
const KNOWN_PATTERN_VALUES = ['KE', 'USD', 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5', 'skill-a'];

/** A value satisfying schema s, as small as the schema allows. */
function sample(s, depth = 0) {
  s = deref(s);
  if (!s || depth > 6) return null;
  if ('const' in s) return s.const;
  if (s.enum) return s.enum.find((v) => v !== null) ?? s.enum[0];
  if (s.oneOf || s.anyOf) return sample((s.oneOf || s.anyOf)[0], depth + 1);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => sample(x, depth + 1)));
  if (isType(s, 'object') || s.properties) {
    const o = {};
    for (const k of s.required || []) o[k] = sample(s.properties?.[k], depth + 1);
    return o;
  }
  if (isType(s, 'array')) return Array.from({ length: s.minItems || 0 }, () => sample(s.items, depth + 1));
  if (isType(s, 'integer') || isType(s, 'number')) return Math.max(1, s.minimum ?? 1);
  if (isType(s, 'boolean')) return false;
  if (isType(s, 'string')) {
    if (s.format === 'email') return `x-${randomId(3)}@test.example`;
    if (s.format === 'uri') return 'https://example.org/x';
    if (s.format === 'date-time') return new Date(Date.now() + 86400000 * 40).toISOString();
    if (s.format === 'date') return '2026-01-01';
    if (s.pattern) {
      const re = new RegExp(s.pattern);
      const v = KNOWN_PATTERN_VALUES.find((x) => re.test(x));
      if (v) return v;
    }
    return 'x'.repeat(Math.max(1, s.minLength || 1));
  }
  return null;
}

/** Free-text string fields of a body schema: [[path segments], schema]; '[]' marks an array element. */
function textFields(s, path = [], out = [], depth = 0) {
  s = deref(s);
  if (!s || depth > 6) return out;
  for (const sub of [...(s.allOf || []), ...(s.oneOf || []), ...(s.anyOf || [])]) textFields(sub, path, out, depth + 1);
  for (const [k, v0] of Object.entries(s.properties || {})) {
    const v = deref(v0);
    if (!v) continue;
    if (isType(v, 'string') && !v.enum && !v.format && !v.pattern && !('const' in v)) out.push([[...path, k], v]);
    else if (isType(v, 'object') || v.properties) textFields(v, [...path, k], out, depth + 1);
    else if (isType(v, 'array') && v.items) textFields(v.items, [...path, k, '[]'], out, depth + 1);
  }
  return out;
}

/** A copy of body with the field at path set to value (creating objects and one-element arrays). */
function withField(body, s, path, value) {
  const root = structuredClone(body ?? {});
  let o = root;
  let sch = deref(s);
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (k === '[]') continue;
    sch = deref(sch?.properties?.[k]);
    if (path[i + 1] === '[]') {
      if (!Array.isArray(o[k]) || !o[k].length) o[k] = [sample(sch?.items) ?? {}];
      o = o[k][0];
      sch = deref(sch?.items);
    } else {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = sample(sch) ?? {};
      o = o[k];
    }
  }
  o[path[path.length - 1]] = value;
  return root;
}

const ROLE_ORDER = ['admin', 'requester', 'worker', 'reviewer', 'support'];
// Project routes are the requester's own (an admin may not set, say, the callback URL).
const roleFor = (pattern, roles) => (pattern.startsWith('/api/v1/projects/') && roles.includes('requester')
  ? 'requester' : ROLE_ORDER.find((x) => roles.includes(x)));

const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString();
// Valid bodies for routes whose schema does not list every field it requires (or whose fields depend on each
// other); the fields injected still come from the schema.
const BASES = {
  'POST /api/v1/projects': () => projectInput(),
  'POST /api/v1/projects/{id}/tasks': () => ({ data: { text: 'x' } }),
  'POST /api/v1/escrow/deposits': () => ({ requester_id: u.requester.id, amount_micros: 1000000, currency: 'USD', reference: `r-${randomId()}`, memo: 'm' }),
  'POST /api/v1/announcements': () => ({ kind: 'pay_rules', title: 't', body: 'b', rule_id: 'auto_approval', comment_until: iso(Date.now() + 20 * DAY), applies_at: iso(Date.now() + 40 * DAY) }),
  'PUT /api/v1/me/payout-method': () => ({ rail: 'mobile_money', holder_name: 'Holder', phone: '+254700000001', provider: 'MPESA' }),
  'POST /api/v1/tickets': () => ({ category: 'pay', subject: 's', message: 'm', attachments: [{ name: 'a.txt', content_type: 'text/plain', data_base64: 'aGk=' }] }),
  'POST /api/v1/contact': () => ({ email: `c-${randomId()}@test.example`, category: 'account', subject: 's', message: 'm' }),
};

function pathFor(pattern) {
  return pattern.replace(/\{[^}]+\}/, () => {
    if (pattern.startsWith('/api/v1/projects/')) return String(fx.scratch.id); // the fixture project stays as made
    return '1';
  });
}

test('SQL injection: every free-text field of every JSON write body', { timeout: 300000 }, async (t) => {
  const routes = await routeTable();
  let cases = 0;
  let created = { users: 0, projects: 0 };
  const skipped = [];
  for (const [pattern, ops] of Object.entries(openapi.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const content = op.requestBody?.content || {};
      const ct = ['application/x-ndjson', 'application/json'].find((c) => content[c]);
      if (!ct) continue;
      const schema = content[ct].schema;
      const fields = textFields(schema);
      if (!fields.length) continue;
      const route = routes.find((r) => r.method === method.toUpperCase() && normalisePattern(r.pattern) === normalisePattern(pattern));
      if (!route) { skipped.push(`${method} ${pattern} (not in the route table)`); continue; }
      if (pattern === '/api/v1/test/clock') continue;
      const role = route.roles.includes('public') ? null : roleFor(pattern, route.roles);
      const send = async (path, fschema, payload) => {
        const base = BASES[`${method.toUpperCase()} ${pattern}`]?.() ?? sample(schema);
        const value = fschema.maxLength && payload.length > fschema.maxLength ? payload.slice(0, fschema.maxLength) : payload;
        const body = withField(base, schema, path, value);
        const opts = { token: role ? u[role].token : undefined };
        if (ct === 'application/x-ndjson') {
          opts.body = ndjson([body]);
          opts.headers = { 'content-type': ct };
        } else {
          opts.body = body;
        }
        const res = await srv.api(method.toUpperCase(), pathFor(pattern), opts);
        cases++;
        const where = `${method.toUpperCase()} ${pattern} ${path.join('.')} = ${JSON.stringify(value)}`;
        const unconfigured = res.status === 503 && pattern === '/api/v1/escrow/webhook'; // no webhook secret set
        assert.ok(res.status < 500 || unconfigured, `${where}: ${res.status} ${res.text.slice(0, 300)}`);
        if (res.status < 300 && path.length === 1 && res.json && typeof res.json[path[0]] === 'string') {
          assert.equal(res.json[path[0]], value, `${where}: the reply carries the value verbatim`);
        }
        if (res.status === 201 && /^\/api\/v1\/(users|auth\/register)$/.test(pattern)) created.users++;
        if (res.status === 201 && pattern === '/api/v1/projects') created.projects++;
      };
      for (const [path, fschema] of fields) {
        // A password is hashed (argon2id, a quarter second of CPU) and never stored as text: one payload does.
        const payloads = path[path.length - 1] === 'password' ? PAYLOADS.slice(0, 1) : PAYLOADS;
        // One at a time: this is about what a value does, not about concurrent writes.
        for (const p of payloads) await send(path, fschema, p);
      }
      await assertIntact(`after ${method.toUpperCase()} ${pattern}`);
    }
  }
  t.diagnostic(`${cases} injection requests${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}`);
  assert.ok(cases > 300, `the schema yields the expected breadth of cases (${cases})`);
  assert.equal(await count('/api/v1/users'), fx.users + created.users, 'no user appeared or vanished besides those created');
  assert.equal(await count('/api/v1/projects'), fx.projects + created.projects, 'no project appeared or vanished besides those created');
  fx.users += created.users;
  fx.projects += created.projects;
});

test('SQL injection: stored verbatim and read back', { timeout: 120000 }, async () => {
  const rt = u.requester.token;
  const at = u.admin.token;
  let holdersKept = 0;
  for (const [i, P] of PAYLOADS.entries()) {
    const proj = await srv.api('POST', '/api/v1/projects', { token: rt, body: projectInput({ name: P, instructions: P }) });
    assert.equal(proj.status, 201, proj.text);
    const got = await srv.api('GET', `/api/v1/projects/${proj.json.id}`, { token: rt });
    assert.equal(got.json.name, P, 'project name');
    assert.equal(got.json.instructions, P, 'project instructions');

    await importTasks(srv, rt, proj.json.id, [{ data: { text: P }, external_id: `${P}#${i}` }]);
    const exp = await srv.api('GET', `/api/v1/projects/${proj.json.id}/export?format=jsonl`, { token: rt });
    assert.equal(exp.status, 200, exp.text);
    const rows = exp.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(rows.some((r) => r.data?.text === P && r.external_id === `${P}#${i}`), `task data and external id: ${exp.text.slice(0, 300)}`);

    const key = await srv.api('POST', '/api/v1/api-keys', { token: rt, body: { name: P } });
    assert.equal(key.status, 201, key.text);
    const keys = await srv.api('GET', '/api/v1/api-keys', { token: rt });
    assert.equal(keys.json.items.find((k) => k.id === key.json.id)?.name, P, 'API key name');

    const made = await srv.createUserApi(at, { role: 'reviewer', display_name: P });
    const list = await srv.api('GET', '/api/v1/users?limit=500', { token: at });
    assert.equal(list.json.items.find((x) => x.email === made.email)?.display_name, P, 'display name (admin-made)');
    const self = await srv.register({ display_name: P });
    const me = await srv.api('GET', '/api/v1/me', { token: await srv.login(self.email, self.password) });
    assert.equal(me.json.display_name, P, 'display name (self-registered)');

    const tk = await srv.api('POST', '/api/v1/tickets', { token: u.worker.token, body: { category: 'pay', subject: P, message: P } });
    assert.equal(tk.status, 201, tk.text);
    const tg = await srv.api('GET', `/api/v1/tickets/${tk.json.id}`, { token: u.worker.token });
    assert.equal(tg.json.subject, P, 'ticket subject');
    assert.ok(JSON.stringify(tg.json).includes(JSON.stringify(P).slice(1, -1)), `ticket message: ${tg.text.slice(0, 300)}`);

    const ann = await srv.api('POST', '/api/v1/announcements', { token: at, body: { ...BASES['POST /api/v1/announcements'](), title: P, body: P } });
    assert.equal(ann.status, 201, ann.text);
    const ag = await srv.api('GET', `/api/v1/announcements/${ann.json.id}`, { token: at });
    assert.equal(ag.json.title, P, 'announcement title');
    assert.equal(ag.json.body, P, 'announcement body');

    // A holder name must be plain printable text (it goes into bank files): some payloads are refused.
    const holder = P.slice(0, 70);
    const pm = await srv.api('PUT', '/api/v1/me/payout-method', { token: u.worker.token, body: { ...BASES['PUT /api/v1/me/payout-method'](), holder_name: holder } });
    if (pm.status === 200) {
      holdersKept++;
      assert.equal(pm.json.holder_name, holder, 'payout holder name');
    } else {
      assertProblem(pm, 422, 'INVALID_FIELD');
    }
  }
  assert.ok(holdersKept >= 1, 'at least one payload is a valid holder name, and is kept verbatim');
  await assertIntact('after the verbatim round trips');
});

test('SQL injection in the sign-in email never signs anyone in', async () => {
  for (const email of [`${u.admin.email}' --`, "' OR 1=1 --", `${u.admin.email}" OR "1"="1`, "admin@x' OR 'a'='a"]) {
    const r = await srv.api('POST', '/api/v1/auth/login', { body: { email, password: "' OR ''='" } });
    assert.ok([400, 401, 422, 429].includes(r.status), `${email}: ${r.status} ${r.text}`);
    assert.equal(r.json?.token, undefined);
  }
  const r = await srv.api('POST', '/api/v1/auth/login', { body: { email: u.admin.email, password: "' OR ''='" } });
  assertProblem(r, 401, 'AUTH_BAD_CREDENTIALS');
});

// ---- path traversal ----

/** A GET over a raw socket with the path exactly as given (fetch would normalise "..", "%2e" and NUL). */
function rawGet(path, { token, localAddress } = {}) {
  const { port } = new URL(srv.url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port: Number(port), localAddress });
    const chunks = [];
    sock.setTimeout(15000, () => sock.destroy());
    sock.on('connect', () => sock.write(Buffer.concat([
      Buffer.from('GET '), Buffer.isBuffer(path) ? path : Buffer.from(path, 'latin1'),
      Buffer.from(` HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}\r\n`),
    ])));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      const all = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(all)?.[1] || 0), text: all });
    });
  });
}

const TRAVERSALS = [
  '../../../../etc/passwd', '..%2f..%2f..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/%2e%2e/etc/passwd', '..%5c..%5c..%5cetc%5cpasswd', '....//....//....//etc/passwd',
  '%252e%252e%252fetc%252fpasswd', '..%c0%af..%c0%afetc%c0%afpasswd', '/etc/passwd', '%2fetc%2fpasswd',
  'file:%2f%2f%2fetc%2fpasswd', '.', '..', '%00', 'app.css%00.png', `${'a'.repeat(64)}%00`, `${'../'.repeat(300)}etc/passwd`,
  'x'.repeat(3000),
];

// A reply that leaked a file outside: /etc/passwd's first line, or this repository's sources.
const leaked = (text) => /root:.*:0:0:|#include|"name": "fairlabel"/.test(text);

test('path traversal: media ids and static files never reach a file outside', { timeout: 60000 }, async () => {
  const png = await srv.api('POST', '/api/v1/media?name=a.png', { token: u.requester.token, body: pngBytes(), headers: { 'content-type': 'image/png' } });
  assert.equal(png.status, 201, png.text);
  const okMedia = await rawGet(`/api/v1/media/${png.json.media_id}`, { token: u.requester.token });
  assert.equal(okMedia.status, 200, 'the real media id works through the same client');
  const okStatic = await rawGet('/static/app.css');
  assert.equal(okStatic.status, 200, 'a real static file works through the same client');

  const probes = [];
  for (const t of TRAVERSALS) {
    probes.push([`/api/v1/media/${t}`, u.requester.token], [`/api/v1/media/${t}/points`, u.requester.token]);
    probes.push([`/static/${t}`], [`/${t}`], [`/static/../${t}`]);
  }
  probes.push([`/api/v1/media/${png.json.media_id}%00`, u.requester.token], [`/api/v1/media/${png.json.media_id}/..%2f..%2f`, u.requester.token]);
  probes.push([Buffer.from(`/api/v1/media/${'a'.repeat(32)}\0${'b'.repeat(31)}`), u.requester.token], [Buffer.from('/static/app.css\0.html')]);
  for (const [path, token] of probes) {
    const r = await rawGet(path, { token });
    const where = `${String(path).slice(0, 120)} -> ${r.status}`;
    // Refused as malformed (400), missing (404), too long (414) or dropped without a reply (0).
    assert.ok([0, 400, 404, 414].includes(r.status), where);
    assert.ok(!leaked(r.text), `${where}: leaked a file: ${r.text.slice(0, 200)}`);
  }
  // The server is still fine.
  assert.equal((await rawGet('/healthz')).status, 200);
});

// ---- every route is covered by an authorisation test ----

test('every route outside the authorisation matrix is a public GET page or static file', async () => {
  const routes = await routeTable();
  const api = new Set(apiRouteKeys(routes));
  const rest = routes.filter((r) => !api.has(`${r.method.toUpperCase()} ${normalisePattern(r.pattern)}`));
  assert.ok(rest.length > 0);
  for (const r of rest) {
    // authz.test.mjs fails when an API route lacks a row; anything else must take no input but a file name.
    assert.equal(r.method, 'GET', `${r.pattern} is a read`);
    assert.deepEqual(r.roles, ['public'], `${r.pattern} is public`);
    assert.equal(r.max_body, 0, `${r.pattern} takes no body`);
    const path = r.pattern.replace('{path}', 'app.css');
    const res = await srv.api('GET', path);
    assert.equal(res.status, 200, `${path} answers anyone`);
    assert.match(res.headers.get('content-type'), /^text\/(html|css)/, path);
  }
});

// ---- CSRF on cookie sessions ----

async function cookieLogin(user, headers = {}) {
  const lr = await srv.api('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password }, headers });
  assert.equal(lr.status, 200, lr.text);
  const set = lr.headers.getSetCookie();
  const session = set.find((c) => c.startsWith('fl_session='));
  return { cookie: session.split(';')[0], setCookie: session, csrf: lr.json.csrf_token, token: lr.json.token };
}

test('CSRF: every write route refuses a cookie session without its token', { timeout: 120000 }, async (t) => {
  const routes = await routeTable();
  const sessions = {};
  for (const role of ROLE_ORDER) sessions[role] = await cookieLogin(u[role]);
  let checked = 0;
  for (const r of routes) {
    if (r.method === 'GET' || r.roles.includes('public')) continue;
    const role = roleFor(r.pattern, r.roles);
    const path = r.pattern.replace(/\{[^}]+\}/g, '1');
    for (const headers of [{}, { 'X-CSRF-Token': 'forged' }, { 'X-CSRF-Token': sessions.admin.csrf === sessions[role].csrf ? 'x' : sessions.admin.csrf }]) {
      // The other role's token is real but belongs to another session. (admin's own role uses 'x'.)
      if (role === 'admin' && headers['X-CSRF-Token'] === 'x') headers['X-CSRF-Token'] = sessions.requester.csrf;
      const res = await srv.api(r.method, path, { cookie: sessions[role].cookie, headers });
      assertProblem(res, 403, 'CSRF_TOKEN_INVALID', `${r.method} ${r.pattern} as ${role} with ${JSON.stringify(headers)}`);
      checked++;
    }
  }
  t.diagnostic(`${checked} write-route cells refused without the session's token`);
  assert.ok(checked > 100, `${checked} cells`);
  // With the session's own token the write goes through; a bearer token needs none.
  const s = sessions.requester;
  const withToken = await srv.api('POST', '/api/v1/api-keys', { cookie: s.cookie, body: { name: 'csrf ok' }, headers: { 'X-CSRF-Token': s.csrf } });
  assert.equal(withToken.status, 201, withToken.text);
  const bearer = await srv.api('POST', '/api/v1/api-keys', { token: s.token, body: { name: 'bearer' } });
  assert.equal(bearer.status, 201, bearer.text);
  // A request carrying both is judged by its bearer token: the cookie adds no authority, so no CSRF token.
  const both = await srv.api('POST', '/api/v1/api-keys', { token: s.token, cookie: s.cookie, body: { name: 'both' } });
  assert.equal(both.status, 201, both.text);
  // Reads need no token.
  assert.equal((await srv.api('GET', '/api/v1/me', { cookie: s.cookie })).status, 200);

  // A cross-origin page: its write is refused for want of the token (the Origin itself is not checked), and it
  // cannot get one: no CORS header ever allows another origin to read a reply or send X-CSRF-Token.
  const evil = { Origin: 'https://evil.example' };
  assertProblem(await srv.api('POST', '/api/v1/api-keys', { cookie: s.cookie, body: { name: 'evil' }, headers: evil }),
    403, 'CSRF_TOKEN_INVALID', 'cross-origin write');
  const preflight = await srv.api('OPTIONS', '/api/v1/api-keys', {
    headers: { ...evil, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-csrf-token' },
  });
  assert.ok(preflight.status >= 400, `the preflight is refused: ${preflight.status}`);
  for (const r of [preflight, await srv.api('GET', '/api/v1/me', { cookie: s.cookie, headers: evil })]) {
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'no Access-Control-Allow-Origin');
    assert.equal(r.headers.get('access-control-allow-credentials'), null, 'no Access-Control-Allow-Credentials');
  }
});

// ---- session fixation and logout ----

test('session fixation: a session id chosen before sign-in is never adopted', async () => {
  const planted = 'fl_session=attacker-chosen-0123456789abcdef0123456789abcdef';
  const s = await cookieLogin(u.worker, { cookie: planted });
  assert.notEqual(s.cookie, planted, 'sign-in issues a new session id');
  assert.match(s.setCookie, /;\s*HttpOnly/i);
  assert.match(s.setCookie, /;\s*SameSite=Strict/i);
  assertProblem(await srv.api('GET', '/api/v1/me', { cookie: planted }), 401, 'AUTH_REQUIRED', 'the planted id is not a session');
  assert.equal((await srv.api('GET', '/api/v1/me', { cookie: s.cookie })).status, 200);

  // A live session of one account sent while signing in as another is not upgraded: each keeps its user.
  const a = await cookieLogin(u.requester);
  const b = await cookieLogin(u.worker, { cookie: a.cookie });
  assert.notEqual(b.cookie, a.cookie);
  assert.equal((await srv.api('GET', '/api/v1/me', { cookie: a.cookie })).json.email, u.requester.email);
  assert.equal((await srv.api('GET', '/api/v1/me', { cookie: b.cookie })).json.email, u.worker.email);

  // Logout ends the session on the server: the cookie or token replayed afterwards is refused.
  const out = await srv.api('POST', '/api/v1/auth/logout', { cookie: b.cookie, headers: { 'X-CSRF-Token': b.csrf } });
  assert.equal(out.status, 204, out.text);
  assertProblem(await srv.api('GET', '/api/v1/me', { cookie: b.cookie }), 401, 'AUTH_REQUIRED', 'replayed cookie');
  assertProblem(await srv.api('GET', '/api/v1/me', { token: b.token }), 401, 'AUTH_REQUIRED', 'replayed token');
  assert.equal((await srv.api('GET', '/api/v1/me', { cookie: a.cookie })).status, 200, 'other sessions live on');
});

// ---- login brute force ----
// throttle.test.mjs proves the per-account lock (and that the right password is refused while it holds) and the
// per-address lock. Here: an attacker rotating client addresses still meets the account's lock; unknown accounts
// count against the address and answer exactly like a wrong password; the lock ends with its window; a success
// clears the account's count. Other loopback addresses (127.0.0.x) stand in for other clients.

function loginFrom(base, localAddress, email, password) {
  const { port } = new URL(base);
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port: Number(port), localAddress });
    const chunks = [];
    sock.on('connect', () => sock.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', () => {
      const all = Buffer.concat(chunks).toString();
      const sep = all.indexOf('\r\n\r\n');
      const text = all.slice(sep + 4);
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(all)?.[1]), json, text, head: all.slice(0, sep) });
    });
  });
}

test('login brute force: locks follow the account across addresses, and end with their window', { timeout: 120000 }, async () => {
  const bf = await startServer({ env: { FAIRLABEL_LOGIN_MAX_FAILURES: '3', FAIRLABEL_LOGIN_MAX_FAILURES_IP: '5', FAIRLABEL_TEST_CLOCK: '1' } });
  try {
    const admin = await bf.createUserCli({ role: 'admin' });
    const adminToken = await bf.login(admin.email, admin.password);
    const victim = await bf.createUserCli({ role: 'worker' });
    const other = await bf.createUserCli({ role: 'worker' });
    const name = (r) => r.json?.name;

    // Three wrong passwords, each from a different address: the account is locked for every address.
    for (let i = 0; i < 3; i++) {
      const r = await loginFrom(bf.url, `127.0.0.${10 + i}`, victim.email, `wrong-${i}`);
      assert.ok([401, 429].includes(r.status), `failure ${i}: ${r.status}`);
    }
    const locked = await loginFrom(bf.url, '127.0.0.20', victim.email, victim.password);
    assert.equal(locked.status, 429, `the right password from a fresh address while the account is locked: ${locked.text}`);
    assert.equal(name(locked), 'LOGIN_THROTTLED');
    assert.equal(locked.json?.token, undefined);

    // An unknown account answers exactly like a wrong password (no account enumeration), and counts
    // against the address: five failures from one address lock that address for every account.
    const unknown = await loginFrom(bf.url, '127.0.0.30', `nobody-${randomId()}@test.example`, 'whatever-pw');
    const wrong = await loginFrom(bf.url, '127.0.0.31', other.email, 'whatever-pw');
    assert.equal(unknown.status, 401);
    assert.equal(wrong.status, 401);
    const strip = (j) => ({ ...j, request_id: undefined });
    assert.deepEqual(strip(unknown.json), strip(wrong.json), 'unknown account and wrong password read the same');
    for (let i = 1; i < 5; i++) await loginFrom(bf.url, '127.0.0.30', `nobody-${i}-${randomId()}@test.example`, 'whatever-pw');
    const byAddress = await loginFrom(bf.url, '127.0.0.30', other.email, other.password);
    assert.equal(byAddress.status, 429, `the address is locked: ${byAddress.text}`);
    const elsewhere = await loginFrom(bf.url, '127.0.0.32', other.email, other.password);
    assert.equal(elsewhere.status, 200, `the same account from another address: ${elsewhere.text}`);

    // The lock ends with its window (900 s by default; the test clock moves past it).
    const adv = await bf.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 901000 } });
    assert.equal(adv.status, 200, adv.text);
    const after = await loginFrom(bf.url, '127.0.0.20', victim.email, victim.password);
    assert.equal(after.status, 200, `after the window: ${after.text}`);
    // The success cleared the account's count: two more failures do not lock it.
    for (let i = 0; i < 2; i++) assert.equal((await loginFrom(bf.url, '127.0.0.21', victim.email, 'nope-nope')).status, 401);
    assert.equal((await loginFrom(bf.url, '127.0.0.21', victim.email, victim.password)).status, 200);
  } finally {
    await bf.stop();
  }
});
