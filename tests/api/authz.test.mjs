// Authorisation matrix: every API route of docs/api.md × every role, with the expected status of each cell.
// anonymous on a protected route → 401 AUTH_REQUIRED; a role that may not use the route → 403 ROLE_FORBIDDEN;
// another requester's object → 404 NOT_FOUND; otherwise the route's success status.
// The route table of the binary (`fairlabel routes`) must not hold an API route that has no row here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, assertProblem, projectInput, ndjson, makeProject, routeTable, apiRouteKeys, normalisePattern,
  randomId,
} from '../lib/server.mjs';
import { pngBytes, kittiBin } from '../lib/media.mjs';

const ROLES = ['anonymous', 'admin', 'requester', 'other_requester', 'reviewer', 'support', 'worker'];
const SIGNED_IN = ROLES.filter((r) => r !== 'anonymous');

let srv;
const users = {}; // role -> { email, password, id, token }
const fx = {}; // fixtures: objects owned by `requester`

/** A fresh session for a role (for cells that end or use up the session). */
const freshToken = (role) => (role === 'anonymous' ? undefined : srv.login(users[role].email, users[role].password));

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1' } }); // so an admin's test-clock call succeeds
  const admin = await srv.createUserCli({ role: 'admin' });
  users.admin = { ...admin, token: await srv.login(admin.email, admin.password) };
  for (const [key, role] of [['requester', 'requester'], ['other_requester', 'requester'], ['reviewer', 'reviewer'], ['support', 'support']]) {
    const u = await srv.createUserApi(users.admin.token, { role });
    users[key] = { ...u, token: await srv.login(u.email, u.password) };
  }
  const w = await srv.register();
  users.worker = { ...w, token: await srv.login(w.email, w.password) };
  users.anonymous = { token: undefined };

  const rt = users.requester.token;
  fx.published = await makeProject(srv, rt, { tasks: 20, publish: true, overlap: 1 });
  fx.draft = await makeProject(srv, rt, { tasks: 1 });
  const key = await srv.api('POST', '/api/v1/api-keys', { token: rt, body: { name: 'fixture' } });
  assert.equal(key.status, 201, key.text);
  fx.keyId = key.json.id;
  const png = await srv.api('POST', '/api/v1/media?name=fixture.png', { token: rt, body: pngBytes(), headers: { 'content-type': 'image/png' } });
  assert.equal(png.status, 201, png.text);
  fx.image = png.json.media_id;
  const cloud = await srv.api('POST', '/api/v1/media?name=fixture.bin', {
    token: rt, body: kittiBin([[1, 2, 3, 0.5], [4, 5, 6, 0.25]]), headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(cloud.status, 201, cloud.text);
  fx.cloud = cloud.json.media_id;
  // A claim the worker holds while other roles try to submit or release it.
  const c = await srv.api('POST', `/api/v1/projects/${fx.published.id}/claim`, { token: users.worker.token });
  assert.equal(c.status, 200, c.text);
  fx.claim = c.json;
  fx.submitted = await newSubmitted();
});

after(async () => {
  await srv?.stop();
});

/** A claim the worker submits at once: something to review and a history to read. */
async function newSubmitted() {
  const c = await newClaim();
  const s = await srv.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
    token: users.worker.token, body: { lease_token: c.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(s.status, 200, `fixture submit: ${s.text}`);
  return s.json;
}

// A ticket the worker opened, with one attachment (FW-17 rows); others' tickets are 404 to the other roles.
const TICKET_OTHERS = { requester: 404, other_requester: 404, reviewer: 404 };
let ticketFixture;
const workerTicket = () => (ticketFixture ??= srv.api('POST', '/api/v1/tickets', {
  token: users.worker.token,
  body: { category: 'pay', subject: 'Fixture', message: 'x', attachments: [{ name: 'a.txt', content_type: 'text/plain', data_base64: 'aGk=' }] },
}).then((r) => {
  assert.equal(r.status, 201, r.text);
  return r.json;
}));

const newClaim = async () => {
  const c = await srv.api('POST', `/api/v1/projects/${fx.published.id}/claim`, { token: users.worker.token });
  assert.equal(c.status, 200, `fresh claim: ${c.text}`);
  return c.json;
};

// Each row: route, the status of each role that may use it (others get 403, anonymous 401 unless listed) and a
// prepare(role) giving { path, body, headers, token } for that cell. token defaults to the role's session.
const NDJSON = { 'content-type': 'application/x-ndjson' };
const MATRIX = [
  {
    route: 'GET /healthz', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/healthz' }),
  },
  {
    route: 'GET /readyz', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/readyz' }),
  },
  {
    route: 'POST /api/v1/auth/register', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 201])),
    prepare: () => ({
      path: '/api/v1/auth/register',
      body: { email: `reg-${randomId()}@test.example`, password: 'long-enough-pw', display_name: 'Reg', country: 'GH' },
    }),
  },
  {
    route: 'POST /api/v1/auth/login', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/auth/login', body: { email: users.worker.email, password: users.worker.password } }),
  },
  {
    route: 'POST /api/v1/auth/logout', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 204])),
    prepare: async (role) => ({ path: '/api/v1/auth/logout', token: await freshToken(role) }),
  },
  {
    route: 'GET /api/v1/me', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/me' }),
  },
  {
    route: 'POST /api/v1/api-keys', allow: { requester: 201, other_requester: 201 },
    prepare: () => ({ path: '/api/v1/api-keys', body: { name: 'k' } }),
  },
  {
    route: 'GET /api/v1/api-keys', allow: { requester: 200, other_requester: 200 },
    prepare: () => ({ path: '/api/v1/api-keys' }),
  },
  {
    route: 'DELETE /api/v1/api-keys/{id}', allow: { requester: 204, other_requester: 404 },
    prepare: async (role) => {
      if (role !== 'requester') return { path: `/api/v1/api-keys/${fx.keyId}` };
      const k = await srv.api('POST', '/api/v1/api-keys', { token: users.requester.token, body: { name: 'to-revoke' } });
      return { path: `/api/v1/api-keys/${k.json.id}` };
    },
  },
  {
    route: 'POST /api/v1/media', allow: { requester: 201, other_requester: 201 },
    prepare: () => ({ path: '/api/v1/media?name=x.png', body: pngBytes(), headers: { 'content-type': 'image/png' } }),
  },
  {
    // Media is seen by its uploader, and by a worker only through a task they hold or submitted.
    route: 'GET /api/v1/media/{media_id}', allow: { requester: 200, other_requester: 404, worker: 404, reviewer: 404 },
    prepare: () => ({ path: `/api/v1/media/${fx.image}` }),
  },
  {
    route: 'GET /api/v1/media/{media_id}/points', allow: { requester: 200, other_requester: 404, worker: 404, reviewer: 404 },
    prepare: () => ({ path: `/api/v1/media/${fx.cloud}/points` }),
  },
  {
    route: 'POST /api/v1/projects', allow: { requester: 201, other_requester: 201 },
    prepare: () => ({ path: '/api/v1/projects', body: projectInput() }),
  },
  {
    route: 'GET /api/v1/projects', allow: { requester: 200, other_requester: 200, admin: 200, worker: 200, reviewer: 200 },
    prepare: () => ({ path: '/api/v1/projects' }),
  },
  {
    route: 'GET /api/v1/projects/{id}', allow: { requester: 200, other_requester: 404, admin: 200, worker: 200, reviewer: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}` }),
  },
  {
    // A reviewer not assigned to the project does not see it.
    route: 'POST /api/v1/projects/{id}/reviewers', allow: { requester: 201, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.draft.id}/reviewers`, body: { user_id: users.reviewer.id } }),
  },
  {
    route: 'GET /api/v1/projects/{id}/reviewers', allow: { requester: 200, other_requester: 404, admin: 200 },
    prepare: () => ({ path: `/api/v1/projects/${fx.draft.id}/reviewers` }),
  },
  {
    route: 'POST /api/v1/projects/{id}/publish', allow: { requester: 200, other_requester: 404 },
    prepare: async (role) => {
      const p = role === 'requester' ? await makeProject(srv, users.requester.token, { tasks: 1 }) : fx.draft;
      return { path: `/api/v1/projects/${p.id}/publish` };
    },
  },
  {
    route: 'POST /api/v1/projects/{id}/pause', allow: { requester: 200, other_requester: 404 },
    prepare: async (role) => {
      const p = role === 'requester' ? await makeProject(srv, users.requester.token, { tasks: 1, publish: true }) : fx.published;
      return { path: `/api/v1/projects/${p.id}/pause` };
    },
  },
  {
    route: 'POST /api/v1/projects/{id}/tasks', allow: { requester: 201, other_requester: 404 },
    prepare: async (role) => {
      const p = role === 'requester' ? await makeProject(srv, users.requester.token) : fx.draft;
      return { path: `/api/v1/projects/${p.id}/tasks`, body: ndjson([{ data: { text: 'hello' } }]), headers: NDJSON };
    },
  },
  {
    route: 'GET /api/v1/projects/{id}/progress', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/progress` }),
  },
  {
    route: 'GET /api/v1/projects/{id}/export', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/export?format=jsonl` }),
  },
  {
    route: 'POST /api/v1/projects/{id}/claim', allow: { worker: 200 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/claim` }),
  },
  {
    route: 'POST /api/v1/assignments/{id}/submit', allow: { worker: 200 },
    prepare: async (role) => {
      const c = role === 'worker' ? await newClaim() : fx.claim;
      return { path: `/api/v1/assignments/${c.assignment_id}/submit`, body: { lease_token: c.lease_token, answer: { label: 'positive' } } };
    },
  },
  {
    route: 'POST /api/v1/assignments/{id}/release', allow: { worker: 204 },
    prepare: async (role) => {
      const c = role === 'worker' ? await newClaim() : fx.claim;
      return { path: `/api/v1/assignments/${c.assignment_id}/release`, body: { lease_token: c.lease_token } };
    },
  },
  {
    route: 'GET /api/v1/wage-benchmarks', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/wage-benchmarks' }),
  },
  {
    // the same figures again: an edit that changes no floor; scheduled behind its comment period (FW-23)
    route: 'POST /api/v1/wage-benchmarks', allow: { admin: 202 },
    prepare: () => ({
      path: '/api/v1/wage-benchmarks',
      body: { country: 'NG', region: 'national', kind: 'minimum', amount: '70000', currency: 'NGN', unit: 'month', ref_date: '2024-07-29',
        method: 'statutory(NMW Amendment Act 2024)', confidence: 'V', source: 'https://example.org/ng', reason: 'authz matrix' },
    }),
  },
  {
    route: 'GET /api/v1/wage-benchmarks/history', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/wage-benchmarks/history' }),
  },
  {
    route: 'POST /api/v1/wage-countries', allow: { admin: 202 },
    prepare: () => ({ path: '/api/v1/wage-countries', body: { country: 'GB', hours_source: 'reference only (authz)', reason: 'authz matrix' } }),
  },
  {
    route: 'GET /api/v1/wage-changes', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/wage-changes' }),
  },
  {
    // the admin withdraws a change scheduled for the cell; the others are refused before any lookup
    route: 'POST /api/v1/wage-changes/{id}/withdraw', allow: { admin: 200 },
    prepare: async (role) => {
      let id = 1;
      if (role === 'admin') {
        const c = await srv.api('POST', '/api/v1/wage-countries', { token: users.admin.token, body: { country: 'GB', hours_source: 'withdrawn (authz)', reason: 'authz matrix' } });
        assert.equal(c.status, 202, c.text);
        id = c.json.id;
      }
      return { path: `/api/v1/wage-changes/${id}/withdraw`, body: { reason: 'authz matrix' } };
    },
  },
  {
    route: 'POST /api/v1/pay-check', allow: { requester: 200, other_requester: 200, admin: 200 },
    prepare: () => ({ path: '/api/v1/pay-check', body: { reward_micros: 50000, currency: 'USD', estimated_seconds: 30 } }),
  },
  {
    route: 'GET /api/v1/projects/{id}/pay-check', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/pay-check` }),
  },
  {
    route: 'GET /api/v1/quality-rules', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/quality-rules' }),
  },
  // H9 risk score (FW-25)
  {
    route: 'GET /api/v1/risk/rules', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/risk/rules' }),
  },
  {
    route: 'GET /api/v1/users/{id}/risk', allow: { admin: 200 },
    prepare: () => ({ path: `/api/v1/users/${users.worker.id}/risk` }),
  },
  {
    route: 'GET /api/v1/me/risk', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/risk' }),
  },
  // H14 email re-verification step-up (FW-25): the matrix worker has none pending; the link's token is the credential
  {
    route: 'POST /api/v1/me/email-verification', allow: { worker: 409 },
    prepare: () => ({ path: '/api/v1/me/email-verification', body: {} }),
  },
  {
    route: 'POST /api/v1/email-verification/confirm', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 410])),
    prepare: () => ({ path: '/api/v1/email-verification/confirm', body: { token: 'flv_unknown' } }),
  },
  {
    route: 'PUT /api/v1/projects/{id}/quality', allow: { requester: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.draft.id}/quality`, body: { review: { mode: 'all' } } }),
  },
  {
    // A reviewer sees a project's results and queue only once assigned to it.
    route: 'GET /api/v1/projects/{id}/results', allow: { requester: 200, admin: 200, other_requester: 404, reviewer: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/results` }),
  },
  {
    route: 'GET /api/v1/projects/{id}/review/next', allow: { requester: 204, admin: 204, other_requester: 404, reviewer: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/review/next` }),
  },
  {
    route: 'GET /api/v1/projects/{id}/workers', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/workers` }),
  },
  {
    route: 'POST /api/v1/assignments/{id}/review', allow: { requester: 200, admin: 200, other_requester: 404, reviewer: 404 },
    prepare: async (role) => {
      const a = role === 'requester' || role === 'admin' ? await newSubmitted() : fx.submitted;
      return { path: `/api/v1/assignments/${a.assignment_id}/review`, body: { decision: 'accept' } };
    },
  },
  {
    route: 'GET /api/v1/assignments/{id}/history',
    allow: { worker: 200, requester: 200, admin: 200, other_requester: 404, reviewer: 404 },
    prepare: () => ({ path: `/api/v1/assignments/${fx.submitted.assignment_id}/history` }),
  },
  {
    route: 'POST /api/v1/projects/{id}/aggregate', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/aggregate`, body: { method: 'ds' } }),
  },
  {
    route: 'GET /api/v1/projects/{id}/agreement', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/agreement` }),
  },
  {
    route: 'GET /api/v1/projects/{id}/quality-events', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/quality-events` }),
  },
  {
    // No event 999999: the owner and an admin pass the role check and get 404 like everyone allowed.
    route: 'POST /api/v1/quality-events/{id}/decide', allow: { requester: 404, admin: 404, other_requester: 404 },
    prepare: () => ({ path: '/api/v1/quality-events/999999/decide', body: { decision: 'dismiss' } }),
  },
  {
    // The worker never took the fixture project's (absent) test: 422 for those allowed, 404 for others.
    route: 'POST /api/v1/projects/{id}/qualification/retake', allow: { requester: 422, admin: 422, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/qualification/retake`, body: { worker_id: users.worker.id } }),
  },
  {
    // The owner sets the URL; an admin may only allow private addresses (a URL from an admin is refused).
    route: 'PUT /api/v1/projects/{id}/callback', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: (role) => ({
      path: `/api/v1/projects/${fx.draft.id}/callback`,
      body: role === 'admin' ? { allow_private: false } : { url: 'https://example.org/hook' },
    }),
  },
  {
    route: 'GET /api/v1/tasks/{id}/callbacks', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/tasks/${fx.submitted.task_id}/callbacks` }),
  },
  {
    // The fixture project has no callback URL: the owner is told so (409), others do not see the task.
    route: 'POST /api/v1/tasks/{id}/callbacks/resend', allow: { requester: 409, admin: 409, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/tasks/${fx.submitted.task_id}/callbacks/resend` }),
  },
  {
    route: 'POST /api/v1/escrow/deposits', allow: { admin: 201 },
    prepare: () => ({ path: '/api/v1/escrow/deposits',
      body: { requester_id: users.requester.id, amount_micros: 1000, currency: 'USD', reference: `authz-${randomId()}` } }),
  },
  {
    // The fixture worker submitted in the published project; references differ per cell.
    route: 'POST /api/v1/projects/{id}/bonuses', allow: { requester: 201, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/bonuses`,
      body: { worker_id: users.worker.id, amount_micros: 1000, message: 'thanks', reference: `authz-${randomId()}` } }),
  },
  // Payouts (FW-9): the worker sets a method first (rows run in order); the fixture worker's few bonus micros are
  // below the minimum; no payout or batch 999999 exists; nothing is requested, so a batch has nothing to take.
  {
    route: 'PUT /api/v1/me/payout-method', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/payout-method',
      body: { rail: 'mobile_money', holder_name: 'Authz Worker', phone: '+254712345678', provider: 'MPESA' } }),
  },
  {
    route: 'PUT /api/v1/me/payout-schedule', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/payout-schedule', body: { weekly: false } }),
  },
  {
    route: 'GET /api/v1/me/payouts', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/payouts' }),
  },
  {
    route: 'POST /api/v1/me/payouts', allow: { worker: 422 },
    prepare: () => ({ path: '/api/v1/me/payouts', body: { amount_micros: 10000, currency: 'USD', idempotency_key: `authz-${randomId()}` } }),
  },
  {
    route: 'GET /api/v1/payouts', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/payouts?state=requested' }),
  },
  {
    route: 'POST /api/v1/payouts/{id}/confirm', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/payouts/999999/confirm', body: { reference: 'authz' } }),
  },
  {
    route: 'POST /api/v1/payouts/{id}/fail', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/payouts/999999/fail', body: { reason: 'authz' } }),
  },
  {
    route: 'GET /api/v1/payout-batches', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/payout-batches' }),
  },
  {
    route: 'POST /api/v1/payout-batches', allow: { admin: 409 },
    prepare: () => ({ path: '/api/v1/payout-batches', body: { rail: 'bank_transfer', currency: 'USD' } }),
  },
  {
    route: 'GET /api/v1/payout-batches/{id}/file', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/payout-batches/999999/file' }),
  },
  {
    route: 'POST /api/v1/payout-batches/{id}/sent', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/payout-batches/999999/sent' }),
  },
  {
    route: 'POST /api/v1/payout-batches/{id}/confirmation', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/payout-batches/999999/confirmation', body: 'reference\n', headers: { 'content-type': 'text/csv' } }),
  },
  {
    // Public and signed; this server has no webhook secret, so everyone gets 503 PAYMENT_WEBHOOK_OFF.
    route: 'POST /api/v1/escrow/webhook', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 503])),
    prepare: () => ({ path: '/api/v1/escrow/webhook', body: { id: 'evt_authz', type: 'deposit.succeeded' } }),
  },
  {
    route: 'GET /api/v1/me/earnings', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/earnings' }),
  },
  {
    route: 'GET /api/v1/me/escrow', allow: { requester: 200, other_requester: 200 },
    prepare: () => ({ path: '/api/v1/me/escrow' }),
  },
  {
    route: 'POST /api/v1/test/clock', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/test/clock', body: { advance_ms: 0 } }),
  },
  {
    route: 'GET /api/v1/me/quality', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/quality' }),
  },
  {
    route: 'POST /api/v1/assignments/{id}/heartbeat', allow: { worker: 200 },
    prepare: () => ({ path: `/api/v1/assignments/${fx.claim.assignment_id}/heartbeat`,
      body: { lease_token: fx.claim.lease_token, visible: true, active: true } }),
  },
  {
    route: 'GET /api/v1/me/notifications', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/me/notifications' }),
  },
  {
    // nobody has a notification 999999999: each role gets 404, never another user's
    route: 'POST /api/v1/me/notifications/{id}/read', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 404])),
    prepare: () => ({ path: '/api/v1/me/notifications/999999999/read' }),
  },
  {
    route: 'PUT /api/v1/me/language', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/me/language', body: { language: 'en' } }),
  },
  {
    route: 'GET /api/v1/mail/outbox', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/mail/outbox' }),
  },
  {
    // no message 999999999: the admin gets 404, everyone else is refused by role first
    route: 'POST /api/v1/mail/outbox/{id}/retry', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/mail/outbox/999999999/retry' }),
  },
  {
    route: 'GET /api/v1/projects/{id}/topups', allow: { requester: 200, admin: 200, other_requester: 404 },
    prepare: () => ({ path: `/api/v1/projects/${fx.published.id}/topups` }),
  },
  {
    route: 'POST /api/v1/topups/run', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/topups/run', body: { project_id: fx.published.id } }),
  },
  {
    route: 'GET /api/v1/me/reviews', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/reviews' }),
  },
  {
    route: 'PUT /api/v1/users/{id}/skills', allow: { admin: 200 },
    prepare: () => ({ path: `/api/v1/users/${users.worker.id}/skills`, body: { skill: 'translation', value: 70 } }),
  },
  {
    route: 'POST /api/v1/users', allow: { admin: 201 },
    prepare: () => ({
      path: '/api/v1/users',
      body: { email: `u-${randomId()}@test.example`, password: 'long-enough-pw', display_name: 'U', role: 'support', country: 'KE' },
    }),
  },
  {
    route: 'GET /api/v1/users', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/users' }),
  },
  {
    route: 'GET /api/v1/rejection-holds', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/rejection-holds' }),
  },
  {
    // Only an admin decides a held rejection (FW-4); there is no hold 999999.
    route: 'POST /api/v1/rejection-holds/{id}/decide', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/rejection-holds/999999/decide', body: { decision: 'uphold', note: 'checked' } }),
  },
  {
    route: 'GET /api/v1/reports/fairwork', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/reports/fairwork?quarter=2026Q4' }),
  },
  {
    route: 'GET /api/v1/reports/pay', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/reports/pay?quarter=2026Q4' }),
  },
  {
    route: 'GET /api/v1/requester-flags', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/requester-flags' }),
  },
  {
    route: 'POST /api/v1/requester-flags/{id}/clear', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/requester-flags/999999/clear', body: { note: 'reviewed' } }),
  },
  // H6 regions (FW-15): the region list and history are public; changes are admin-only, and a proposal
  // (for Fiji, which nobody in the matrix lives in) only takes effect once a second admin approves it
  {
    route: 'GET /api/v1/regions', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/regions' }),
  },
  {
    route: 'GET /api/v1/regions/history', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/regions/history?country=KE' }),
  },
  {
    route: 'GET /api/v1/region-changes', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/region-changes' }),
  },
  {
    route: 'POST /api/v1/region-changes', allow: { admin: 201 },
    prepare: () => ({
      path: '/api/v1/region-changes',
      body: { country: 'FJ', to: 'signups_paused', reason: 'authz matrix', explanation: 'Sign-ups paused.', legal_basis: 'local_law', legal_reference: 'Act 1' },
    }),
  },
  {
    route: 'POST /api/v1/region-changes/{id}/approve', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/region-changes/999999/approve', body: {} }),
  },
  {
    route: 'GET /api/v1/region-payouts', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/region-payouts' }),
  },
  {
    route: 'POST /api/v1/region-changes/{id}/reject', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/region-changes/999999/reject', body: { note: 'no' } }),
  },
  // H8 due process (FW-14, FW-18 to FW-22): ids 999999 do not exist; a proposed restriction has no effect
  {
    route: 'POST /api/v1/users/{id}/restrictions', allow: { admin: 201 },
    prepare: () => ({ path: `/api/v1/users/${users.worker.id}/restrictions`, body: { kind: 'suspension', rule: 'account:test', evidence: 'authz cell' } }),
  },
  {
    route: 'GET /api/v1/restrictions', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/restrictions' }),
  },
  {
    route: 'POST /api/v1/restrictions/{id}/approve', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/restrictions/999999/approve', body: {} }),
  },
  {
    route: 'POST /api/v1/restrictions/{id}/confirm', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/restrictions/999999/confirm', body: {} }),
  },
  {
    route: 'GET /api/v1/decisions', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/decisions' }),
  },
  {
    route: 'POST /api/v1/decisions/{id}/appeal', allow: { worker: 404 },
    prepare: () => ({ path: '/api/v1/decisions/999999/appeal', body: { statement: 'It was right.' } }),
  },
  {
    route: 'GET /api/v1/me/decisions', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/decisions' }),
  },
  {
    route: 'GET /api/v1/me/export', allow: { worker: 200 },
    prepare: () => ({ path: '/api/v1/me/export' }),
  },
  {
    route: 'GET /api/v1/appeals', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/appeals' }),
  },
  {
    route: 'POST /api/v1/appeals/{id}/decide', allow: { admin: 404 },
    prepare: () => ({ path: '/api/v1/appeals/999999/decide', body: { outcome: 'upheld', note: 'checked' } }),
  },
  {
    route: 'GET /api/v1/terms', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/terms' }),
  },
  {
    route: 'POST /api/v1/terms', allow: { admin: 201 },
    prepare: () => ({ path: '/api/v1/terms', body: { summary: 'authz', body: 'Terms text.' } }),
  },
  {
    route: 'POST /api/v1/terms/{id}/acknowledge', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 404])),
    prepare: () => ({ path: '/api/v1/terms/999999/acknowledge', body: {} }),
  },
  {
    // FW-23/FW-26 (H10): the public transparency page; announcements for workers and admins
    route: 'GET /api/v1/transparency', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/transparency' }),
  },
  {
    route: 'GET /api/v1/announcements', allow: { admin: 200, worker: 200 },
    prepare: () => ({ path: '/api/v1/announcements' }),
  },
  {
    route: 'POST /api/v1/announcements', allow: { admin: 201 },
    prepare: () => ({
      path: '/api/v1/announcements',
      body: { kind: 'other', title: 'authz', body: 'Text.', comment_until: new Date(Date.now() + 20 * 86_400_000).toISOString(),
        applies_at: new Date(Date.now() + 30 * 86_400_000).toISOString() },
    }),
  },
  {
    route: 'GET /api/v1/announcements/{id}', allow: { admin: 404, worker: 404 },
    prepare: () => ({ path: '/api/v1/announcements/999999' }),
  },
  {
    route: 'POST /api/v1/announcements/{id}/comments', allow: { admin: 404, worker: 404 },
    prepare: () => ({ path: '/api/v1/announcements/999999/comments', body: { body: 'hi' } }),
  },
  {
    // FW-24 metrics are public to everyone signed in.
    route: 'GET /api/v1/requesters/metrics', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/requesters/metrics' }),
  },
  {
    route: 'GET /api/v1/audit', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/audit' }),
  },
  {
    route: 'GET /api/v1/group-commit', allow: { admin: 200 },
    prepare: () => ({ path: '/api/v1/group-commit' }),
  },
  // Tickets (FW-17): the worker's own ticket; support and admins see every ticket, others get 404.
  {
    route: 'POST /api/v1/tickets', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 201])),
    prepare: () => ({ path: '/api/v1/tickets', body: { category: 'other', subject: 'Hello', message: 'A question.' } }),
  },
  {
    route: 'GET /api/v1/tickets', allow: Object.fromEntries(SIGNED_IN.map((r) => [r, 200])),
    prepare: () => ({ path: '/api/v1/tickets' }),
  },
  {
    route: 'GET /api/v1/tickets/{id}', allow: { ...TICKET_OTHERS, worker: 200, support: 200, admin: 200 },
    prepare: async () => ({ path: `/api/v1/tickets/${(await workerTicket()).id}` }),
  },
  {
    route: 'POST /api/v1/tickets/{id}/messages', allow: { ...TICKET_OTHERS, worker: 201, support: 201, admin: 201 },
    prepare: async () => ({ path: `/api/v1/tickets/${(await workerTicket()).id}/messages`, body: { body: 'More detail.' } }),
  },
  {
    route: 'POST /api/v1/tickets/{id}/state', allow: { ...TICKET_OTHERS, worker: 200, support: 200, admin: 200 },
    prepare: async () => ({ path: `/api/v1/tickets/${(await workerTicket()).id}/state`, body: { state: 'open' } }),
  },
  {
    route: 'POST /api/v1/tickets/{id}/assign', allow: { support: 200, admin: 200 },
    prepare: async () => ({ path: `/api/v1/tickets/${(await workerTicket()).id}/assign`, body: {} }),
  },
  {
    route: 'GET /api/v1/ticket-attachments/{id}', allow: { ...TICKET_OTHERS, worker: 200, support: 200, admin: 200 },
    prepare: async () => ({ path: `/api/v1/ticket-attachments/${(await workerTicket()).messages[0].attachments[0].id}` }),
  },
  {
    route: 'GET /api/v1/support/tickets', allow: { support: 200, admin: 200 },
    prepare: () => ({ path: '/api/v1/support/tickets' }),
  },
  // The login-free contact page: public; its thread routes take a ticket-scoped token (tickets.test.mjs), so a
  // session token is refused there like no token.
  {
    route: 'POST /api/v1/contact', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 202])),
    prepare: () => ({ path: '/api/v1/contact', body: { email: `c-${randomId()}@test.example`, category: 'account', subject: 'Locked out', message: 'Help' } }),
  },
  {
    route: 'POST /api/v1/contact/verify', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 410])),
    prepare: () => ({ path: '/api/v1/contact/verify', body: { token: 'flc_unknown' } }),
  },
  {
    route: 'GET /api/v1/contact/ticket', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 401])),
    prepare: () => ({ path: '/api/v1/contact/ticket' }),
  },
  {
    route: 'POST /api/v1/contact/ticket/messages', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 401])),
    prepare: () => ({ path: '/api/v1/contact/ticket/messages', body: { body: 'x' } }),
  },
  {
    route: 'GET /api/v1/contact/attachments/{id}', public: true, allow: Object.fromEntries(ROLES.map((r) => [r, 401])),
    prepare: () => ({ path: '/api/v1/contact/attachments/1' }),
  },
];

function expected(row, role) {
  if (role in row.allow) return row.allow[role];
  if (role === 'anonymous' && !row.public) return 401;
  return 403;
}
const ERROR_NAME = { 401: 'AUTH_REQUIRED', 403: 'ROLE_FORBIDDEN', 404: 'NOT_FOUND' };

for (const row of MATRIX) {
  test(`matrix: ${row.route}`, async (t) => {
    const method = row.route.split(' ')[0];
    for (const role of ROLES) {
      await t.test(role, async () => {
        const cell = await row.prepare(role);
        const token = 'token' in cell ? cell.token : users[role].token;
        const res = await srv.api(method, cell.path, { token, body: cell.body, headers: cell.headers });
        const want = expected(row, role);
        if (ERROR_NAME[want]) {
          assertProblem(res, want, ERROR_NAME[want], `${row.route} as ${role}`);
        } else {
          assert.equal(res.status, want, `${row.route} as ${role}: ${res.status} ${res.text.slice(0, 300)}`);
        }
      });
    }
  });
}

test('every API route of `fairlabel routes` has a matrix row, and every row a route', async () => {
  const table = new Set(apiRouteKeys(await routeTable()));
  const rows = new Set(MATRIX.map((r) => {
    const [m, p] = r.route.split(' ');
    return `${m} ${normalisePattern(p)}`;
  }));
  const missingRows = [...table].filter((k) => !rows.has(k));
  assert.deepEqual(missingRows, [], 'routes in the binary without an authorisation matrix row');
  const missingRoutes = [...rows].filter((k) => !table.has(k));
  assert.deepEqual(missingRoutes, [], 'matrix rows (docs/api.md routes) missing from the binary');
});

test('the roles of `fairlabel routes` agree with the matrix', async () => {
  const table = await routeTable();
  for (const row of MATRIX) {
    const [m, p] = row.route.split(' ');
    const route = table.find((r) => r.method.toUpperCase() === m && normalisePattern(r.pattern) === normalisePattern(p));
    if (!route) continue; // reported by the coverage test
    // A role may use the route when its cell succeeds, or fails only because the object is someone else's or
    // missing (404), not in a state that allows the action (409) or the body does not fit (422).
    const allowed = row.public ? ['public'] : [...new Set(Object.entries(row.allow)
      .filter(([, status]) => status < 300 || status === 404 || status === 409 || status === 422)
      .map(([role]) => (role === 'other_requester' ? 'requester' : role)))].sort();
    assert.deepEqual([...route.roles].sort(), allowed, `roles of ${row.route}`);
  }
});

test('visibility: who sees which project', async () => {
  const draft = fx.draft;
  const pub = fx.published;
  const get = (role, path) => srv.api('GET', path, { token: users[role].token });

  assertProblem(await get('worker', `/api/v1/projects/${draft.id}`), 404, 'NOT_FOUND', 'a worker cannot see a draft');
  assert.equal((await get('admin', `/api/v1/projects/${draft.id}`)).status, 200, 'an admin sees drafts');
  assertProblem(await get('other_requester', `/api/v1/projects/${draft.id}`), 404, 'NOT_FOUND');

  const ids = async (role) => (await get(role, '/api/v1/projects')).json.items.map((p) => p.id);
  const reqIds = await ids('requester');
  assert.ok(reqIds.includes(draft.id) && reqIds.includes(pub.id), 'a requester lists their own projects');
  const otherIds = await ids('other_requester');
  assert.ok(!otherIds.includes(draft.id) && !otherIds.includes(pub.id), 'but not another requester\'s');
  const adminIds = await ids('admin');
  assert.ok(adminIds.includes(draft.id) && adminIds.includes(pub.id), 'an admin lists all projects');
  const workerList = (await get('worker', '/api/v1/projects')).json.items;
  assert.ok(workerList.some((p) => p.id === pub.id), 'a worker lists published projects');
  assert.ok(workerList.every((p) => p.status === 'published'), 'and only published ones');

  // Another requester cannot reach the owner's project through any owner route either.
  const other = users.other_requester.token;
  assertProblem(await srv.api('POST', `/api/v1/projects/${pub.id}/tasks`, { token: other, body: ndjson([{ data: { text: 'x' } }]), headers: NDJSON }), 404, 'NOT_FOUND');
  assertProblem(await srv.api('GET', `/api/v1/projects/${pub.id}/export?format=jsonl`, { token: other }), 404, 'NOT_FOUND');
});

test('a bad or missing bearer token is 401', async () => {
  assertProblem(await srv.api('GET', '/api/v1/me'), 401, 'AUTH_REQUIRED');
  assertProblem(await srv.api('GET', '/api/v1/me', { token: 'nonsense' }), 401, null);
  assertProblem(await srv.api('GET', '/api/v1/me', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, null);
});
