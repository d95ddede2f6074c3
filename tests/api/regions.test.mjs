// Region policy (FW-15, FW-16, FW-25), replaying March 2024: workers in KE, NG and PK with pending and available
// earnings and open leases. Closing their countries is refused without a reason, a legal basis, a second admin
// and 30 days' notice; a proper change notifies every worker in the inbox and by email at once; at the effective
// date the countries close: no new work, open leases still submit, workers still sign in, read why, see their
// earnings and request payouts, and within 14 days every available cent is requested for payout. Also: paused
// sign-ups are refused with the explanation, the emergency path needs its reason, reopening needs two admins.
// The ledger verifies when the server stops (tests/lib/server.mjs); the audit chain verifies at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, createUserCli, register, signedInWorker, assertProblem, makeProject, randomId, REPO_ROOT, eventually } from '../lib/server.mjs';
import { startSmtpSink } from '../lib/smtp.mjs';
import { makeChecker } from '../lib/schema.mjs';

// Replies must fit the schemas of docs/openapi.json.
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (schema, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${schema}` }, body), [], `${schema}: ${JSON.stringify(body)}`);

const DAY = 86_400_000;
let srv, sink, admin1, admin2, a1, a2, requester, rtoken, project;
const signedIn = []; // workers whose sessions are renewed when the clock jumps past their lifetime

before(async () => {
  sink = await startSmtpSink();
  srv = await startServer({
    env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SMTP_URL: `smtp://127.0.0.1:${sink.port}` },
  });
  admin1 = await createUserCli(srv, { role: 'admin' });
  admin2 = await createUserCli(srv, { role: 'admin' });
  a1 = await srv.login(admin1.email, admin1.password);
  a2 = await srv.login(admin2.email, admin2.password);
  requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  project = await makeProject(srv, rtoken, { tasks: 60, publish: true, reward_micros: 1_000_000, estimated_seconds: 60 });
});

after(async () => {
  await srv?.stop();
  await sink?.close();
});

const now = async () => Date.parse((await srv.api('POST', '/api/v1/test/clock', { token: a1, body: { advance_ms: 0 } })).json.now);
const advance = async (ms) => {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: a1, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
  // sessions last 7 days: sign everyone in again
  a1 = await srv.login(admin1.email, admin1.password);
  a2 = await srv.login(admin2.email, admin2.password);
  rtoken = await srv.login(requester.email, requester.password);
  for (const w of signedIn) w.token = await srv.login(w.email, w.password);
  return Date.parse(r.json.now);
};
const iso = (ms) => new Date(ms).toISOString();

async function worker(country) {
  const w = await signedInWorker(srv, { country });
  w.id = (await srv.api('GET', '/api/v1/me', { token: w.token })).json.id;
  signedIn.push(w);
  return w;
}
const claim = (w) => srv.api('POST', `/api/v1/projects/${project.id}/claim`, { token: w.token });
const submit = (w, c) => srv.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
  token: w.token, body: { lease_token: c.lease_token, answer: { label: 'positive' } },
});
const bonus = async (w, amount) => {
  const b = await srv.api('POST', `/api/v1/projects/${project.id}/bonuses`, {
    token: rtoken, body: { worker_id: w.id, amount_micros: amount, message: 'thanks', reference: randomId() },
  });
  assert.equal(b.status, 201, b.text);
};
const usd = async (w) => (await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).json.balances.USD
  || { available_micros: 0, in_transit_micros: 0 };
const propose = (token, body) => srv.api('POST', '/api/v1/region-changes', { token, body });
const approve = (token, id) => srv.api('POST', `/api/v1/region-changes/${id}/approve`, { token, body: {} });
const notices = async (w) => (await srv.api('GET', '/api/v1/me/notifications', { token: w.token })).json.items;
const region = async (cc) => (await srv.api('GET', `/api/v1/regions?country=${cc}`)).json.items[0];

test('March 2024, replayed: KE, NG and PK close only through the state machine, and every cent is paid out', async () => {
  const countries = ['KE', 'NG', 'PK'];
  const workers = {};
  for (const cc of countries) {
    const w = await worker(cc);
    const c = await claim(w);
    assert.equal(c.status, 200, c.text);
    assert.equal((await submit(w, c.json)).status, 200); // 1 USD, approved by the review window before the effect
    await bonus(w, 7_340_000); // available
    workers[cc] = w;
  }
  // KE pays to mobile money, NG to a bank; PK has no payout method yet.
  const mm = await srv.api('PUT', '/api/v1/me/payout-method', {
    token: workers.KE.token, body: { rail: 'mobile_money', holder_name: 'Amina Wanjiru', phone: '+254712345678', provider: 'MPESA' },
  });
  assert.equal(mm.status, 200, mm.text);
  const bank = await srv.api('PUT', '/api/v1/me/payout-method', {
    token: workers.NG.token, body: { rail: 'bank_transfer', holder_name: 'Chidi Okafor', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' },
  });
  assert.equal(bank.status, 200, bank.text);

  // At once, without reason, legal basis or explanation, effective tomorrow: refused, every field named.
  const t0 = await now();
  for (const cc of countries) {
    const bad = assertProblem(await propose(a1, { country: cc, to: 'winding_down', effective_at: iso(t0 + DAY) }), 422, 'REGION_CHANGE_INVALID');
    const fields = bad.problems.map((p) => p.field).sort();
    assert.deepEqual(fields, ['/effective_at', '/explanation', '/legal_basis', '/legal_reference', '/reason'], JSON.stringify(bad));
  }
  // No shortcut straight to closed.
  const shortcut = assertProblem(await propose(a1, {
    country: 'KE', to: 'closed', reason: 'r', explanation: 'e', legal_basis: 'local_law', legal_reference: 'x',
  }), 422, 'REGION_CHANGE_INVALID');
  assert.ok(shortcut.problems.some((p) => p.field === '/to'));
  // 29 days of notice is too short.
  const short = assertProblem(await propose(a1, {
    country: 'KE', to: 'winding_down', reason: 'The payment rail stops serving Kenya', explanation: 'Work ends.',
    legal_basis: 'payment_rail', legal_reference: 'Provider notice 2024-02', effective_at: iso(t0 + 29 * DAY),
  }), 422, 'REGION_CHANGE_INVALID');
  assert.deepEqual(short.problems.map((p) => p.field), ['/effective_at']);

  // A proper request for each country, 31 days out; the proposer cannot approve it.
  // noon UTC, 31 days or more out: the payout job's day does not roll over while the test runs
  const effective = Math.ceil((t0 + 31 * DAY) / DAY) * DAY + DAY / 2;
  const changes = {};
  for (const cc of countries) {
    const p = await propose(a1, {
      country: cc, to: 'winding_down', reason: `Our payment provider stops paying out in ${cc}`,
      explanation: `fairlabel stops offering work in ${cc} because its payment provider leaves; every earning is paid out.`,
      legal_basis: 'payment_rail', legal_reference: `Provider notice ${cc}-2024-03`, effective_at: iso(effective),
    });
    assert.equal(p.status, 201, p.text);
    assert.equal(p.json.state, 'proposed');
    fits('RegionChange', p.json);
    changes[cc] = p.json;
    assertProblem(await approve(a1, p.json.id), 409, 'REGION_SECOND_ADMIN');
    assertProblem(await propose(a2, { country: cc, to: 'signups_paused', reason: 'x', explanation: 'y', legal_basis: 'local_law', legal_reference: 'z' }),
      409, 'REGION_CHANGE_PENDING');
  }
  // Nothing is in force and nobody was told before the second admin approves.
  assert.equal((await region('KE')).state, 'open');
  assert.equal((await notices(workers.KE)).filter((n) => n.kind === 'region').length, 0);
  for (const cc of countries) {
    const ok = await approve(a2, changes[cc].id);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual([ok.json.state, ok.json.notices], ['approved', 1]);
    assert.notEqual(ok.json.approved_by, ok.json.proposed_by);
    fits('RegionChange', ok.json);
    assertProblem(await approve(a2, changes[cc].id), 409, 'REGION_CHANGE_DECIDED');
  }
  // Notices at once: in every inbox and in the SMTP sink; the public page shows the change and the date.
  for (const cc of countries) {
    const n = (await notices(workers[cc])).find((x) => x.kind === 'region');
    assert.ok(n, `a region notice in the ${cc} inbox`);
    assert.match(n.body, new RegExp(iso(effective).slice(0, 10)));
    assert.match(n.body, /payment_rail/);
    const mail = await sink.waitFor((m) => m.to.includes(workers[cc].email), 15000);
    assert.match(mail.subject, new RegExp(cc));
    const pub = await region(cc);
    assert.deepEqual([pub.state, pub.effective_at, pub.reason], ['winding_down', iso(effective), `Our payment provider stops paying out in ${cc}`]);
    assert.equal(pub.payout_deadline, iso(effective + 14 * DAY));
    const hist = (await srv.api('GET', `/api/v1/regions/history?country=${cc}`)).json.items;
    assert.deepEqual(hist.map((h) => [h.from, h.to, h.state]), [['open', 'winding_down', 'approved']]);
  }
  // Sign-ups from a winding-down country are refused with the explanation and the date.
  const refused = assertProblem(await srv.api('POST', '/api/v1/auth/register', {
    body: { email: `late-${randomId()}@test.example`, password: 'pw-long-enough-1', display_name: 'Late', country: 'NG' },
  }), 403, 'REGION_SIGNUPS_PAUSED');
  assert.equal(refused.effective_at, iso(effective));
  assert.match(refused.detail, /payment provider leaves/);

  // Work goes on during the notice period; a minute before the effect each worker claims a task.
  await advance(effective - (await now()) - 60_000);
  const leases = {};
  for (const cc of countries) {
    const c = await claim(workers[cc]);
    assert.equal(c.status, 200, `${cc} may still claim before the effective date: ${c.text}`);
    leases[cc] = c.json;
  }
  await advance(120_000);
  for (const cc of countries) {
    // no new work …
    const no = assertProblem(await claim(workers[cc]), 403, 'REGION_CLOSED');
    assert.match(no.detail, /payment provider leaves/);
    // … but the open lease still submits, and the worker still signs in and reads why
    assert.equal((await submit(workers[cc], leases[cc])).status, 200, `${cc} open lease submits`);
    const token = await srv.login(workers[cc].email, workers[cc].password);
    assert.equal((await srv.api('GET', '/api/v1/me/earnings', { token })).status, 200);
    // … export their data and reach a person
    const zip = await srv.api('GET', '/api/v1/me/export', { token });
    assert.equal(zip.status, 200, `${cc} export after closure`);
    assert.match(zip.headers.get('content-type'), /application\/zip/);
    const ticket = await srv.api('POST', '/api/v1/tickets', {
      token, body: { category: 'region', subject: 'My country was closed', message: 'When is my money paid?' },
    });
    assert.equal(ticket.status, 201, `${cc} ticket after closure: ${ticket.text}`);
  }
  await eventually(async () => (await region('KE')).state === 'closed', 'KE closed by the job', 15000);
  const closedKE = await region('KE');
  assert.match(closedKE.explanation, /payment provider leaves/);
  assert.ok((await notices(workers.KE)).some((n) => n.kind === 'region' && /ended/i.test(n.title)), 'closure notice');
  const histReply = (await srv.api('GET', '/api/v1/regions/history?country=KE')).json;
  fits('RegionHistory', histReply);
  const hist = histReply.items;
  const all = (await srv.api('GET', '/api/v1/regions')).json;
  fits('RegionList', all);
  assert.deepEqual(all.items.filter((r) => countries.includes(r.country)).map((r) => r.state), ['closed', 'closed', 'closed']);
  assert.deepEqual(hist.map((h) => [h.from, h.to, h.state]), [['winding_down', 'closed', 'applied'], ['open', 'winding_down', 'applied']]);

  // The payout job asks for all available money of workers with a method; PK is told to set one.
  await eventually(async () => (await usd(workers.KE)).available_micros === 0 && (await usd(workers.NG)).available_micros === 0, 'region payouts', 15000);
  assert.equal((await usd(workers.KE)).in_transit_micros, 8_340_000);
  assert.equal((await usd(workers.NG)).in_transit_micros, 8_340_000);
  await eventually(async () => (await notices(workers.PK)).some((n) => n.kind === 'payout'), 'PK told to set a payout method', 15000);
  assert.equal((await usd(workers.PK)).available_micros, 8_340_000);
  // the job's record per worker: KE and NG requested, PK without a method
  const tries = (await srv.api('GET', '/api/v1/region-payouts', { token: a1 })).json;
  fits('RegionPayoutList', tries);
  const outcome = (w) => tries.items.filter((t) => t.worker_id === w.id).map((t) => [t.outcome, t.amount_micros, t.payout_state]);
  assert.deepEqual(outcome(workers.KE), [['requested', 8_340_000, 'requested']]);
  assert.deepEqual(outcome(workers.PK), [['no_method', 8_340_000, null]]);
  const kePayouts = (await srv.api('GET', '/api/v1/me/payouts', { token: workers.KE.token })).json.items;
  assert.deepEqual(kePayouts.map((p) => [p.amount_micros, p.state, p.rail]), [[8_340_000, 'requested', 'mobile_money']]);

  // Earnings keep flowing after closure, and the worker asks for a payout themselves.
  await bonus(workers.NG, 6_000_000);
  const own = await srv.api('POST', '/api/v1/me/payouts', {
    token: workers.NG.token, body: { amount_micros: 6_000_000, currency: 'USD', idempotency_key: 'after-closure' },
  });
  assert.equal(own.status, 201, own.text);
  const pm = await srv.api('PUT', '/api/v1/me/payout-method', {
    token: workers.PK.token, body: { rail: 'bank_transfer', holder_name: 'Ayesha Khan', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' },
  });
  assert.equal(pm.status, 200, pm.text);

  // Eight days on, the answers pending at closure are approved by the review window and paid out, with PK's money.
  await advance(8 * DAY);
  for (const cc of countries) {
    await eventually(async () => {
      const b = await usd(workers[cc]);
      return b.available_micros === 0 && b.in_transit_micros > 0 ? b : null;
    }, `${cc} paid out`, 20000);
  }
  // 7.34 USD bonus + 2 answers of 1 USD each (one approved before the effect, the lease submitted after it)
  assert.equal((await usd(workers.PK)).in_transit_micros, 9_340_000);
  assert.equal((await usd(workers.KE)).in_transit_micros, 9_340_000);
  assert.equal((await usd(workers.NG)).in_transit_micros, 15_340_000);
  assert.ok((await now()) <= effective + 14 * DAY, 'within 14 days of the effect');

  // The audit names both admins of each change; the chain verifies.
  const audit = [];
  for (let after = 0; ;) {
    const page = (await srv.api('GET', `/api/v1/audit?limit=500&after_id=${after}`, { token: a1 })).json.items;
    if (!page.length) break;
    audit.push(...page);
    after = page[page.length - 1].id;
  }
  const approved = audit.filter((e) => e.action === 'region_change.approved');
  assert.equal(approved.length, 3);
  assert.equal(audit.filter((e) => e.action === 'region.closed').length, 3);
  const v = await srv.cli(['audit', 'verify', '--db', srv.dbUrl], { allowFail: true });
  assert.equal(v.code, 0, `audit verify: ${v.stdout}${v.stderr}`);
});

test('paused sign-ups are refused with the explanation; reopening needs a reason and two admins', async () => {
  const existing = await worker('TH');
  const bad = assertProblem(await propose(a1, { country: 'TH', to: 'signups_paused', explanation: 'Paused.' }), 422, 'REGION_CHANGE_INVALID');
  assert.deepEqual(bad.problems.map((p) => p.field).sort(), ['/legal_basis', '/legal_reference', '/reason']);
  const p = await propose(a1, {
    country: 'TH', to: 'signups_paused', reason: 'A new licensing law for data work', legal_basis: 'local_law',
    legal_reference: 'Thai Digital Platform Decree 2024', explanation: 'New sign-ups from Thailand are paused while we obtain a licence.',
  });
  assert.equal(p.status, 201, p.text);
  assert.equal((await approve(a2, p.json.id)).status, 200);
  const r = assertProblem(await srv.api('POST', '/api/v1/auth/register', {
    body: { email: `th-${randomId()}@test.example`, password: 'pw-long-enough-1', display_name: 'New', country: 'TH' },
  }), 403, 'REGION_SIGNUPS_PAUSED');
  assert.equal(r.field, '/country');
  assert.equal(r.explanation, 'New sign-ups from Thailand are paused while we obtain a licence.');
  assert.equal(r.state, 'signups_paused');
  // existing workers keep working and are told
  assert.equal((await claim(existing)).status, 200);
  assert.ok((await notices(existing)).some((n) => n.kind === 'region'));
  // reopening: no legal basis needed, but a reason and a second admin
  assertProblem(await propose(a2, { country: 'TH', to: 'open', explanation: 'Open again.' }), 422, 'REGION_CHANGE_INVALID');
  const reopen = await propose(a2, { country: 'TH', to: 'open', reason: 'Licence granted', explanation: 'Open again.' });
  assert.equal(reopen.status, 201, reopen.text);
  assertProblem(await approve(a2, reopen.json.id), 409, 'REGION_SECOND_ADMIN');
  assert.equal((await approve(a1, reopen.json.id)).status, 200);
  assert.equal((await region('TH')).state, 'open');
  await register(srv.url, { country: 'TH' });
  // a rejected proposal needs a note and changes nothing
  const p2 = await propose(a1, { country: 'TH', to: 'signups_paused', reason: 'r', explanation: 'e', legal_basis: 'sanctions', legal_reference: 'List 1' });
  assertProblem(await srv.api('POST', `/api/v1/region-changes/${p2.json.id}/reject`, { token: a2, body: {} }), 422, 'INVALID_FIELD');
  const rej = await srv.api('POST', `/api/v1/region-changes/${p2.json.id}/reject`, { token: a2, body: { note: 'No such sanction applies' } });
  assert.equal(rej.status, 200, rej.text);
  assert.equal(rej.json.state, 'rejected');
  assert.equal((await region('TH')).state, 'open');
  const listReply = (await srv.api('GET', '/api/v1/region-changes?country=TH', { token: a1 })).json;
  fits('RegionChangeList', listReply);
  const list = listReply.items;
  assert.deepEqual(list.map((c) => c.state), ['rejected', 'applied', 'applied']);
});

test('the emergency path shortens the notice only with its recorded reason, and can be called off by two admins', async () => {
  const t = await now();
  const base = {
    country: 'VN', to: 'winding_down', reason: 'Sanctions listing', explanation: 'Work in Vietnam stops in two days.',
    legal_basis: 'sanctions', legal_reference: 'Council Regulation 2024/1', effective_at: iso(t + 2 * DAY),
  };
  const noReason = assertProblem(await propose(a1, { ...base, emergency: true }), 422, 'REGION_CHANGE_INVALID');
  assert.deepEqual(noReason.problems.map((p) => p.field), ['/emergency_reason']);
  assertProblem(await propose(a1, base), 422, 'REGION_CHANGE_INVALID'); // not an emergency: 30 days needed
  const p = await propose(a1, { ...base, emergency: true, emergency_reason: 'Listing effective in 48 hours' });
  assert.equal(p.status, 201, p.text);
  assert.equal((await approve(a2, p.json.id)).status, 200);
  const pub = await region('VN');
  assert.deepEqual([pub.state, pub.emergency, pub.emergency_reason], ['winding_down', true, 'Listing effective in 48 hours']);
  const off = await propose(a2, { country: 'VN', to: 'open', reason: 'Listing withdrawn', explanation: 'Vietnam stays open.' });
  assert.equal(off.status, 201, off.text);
  assert.equal((await approve(a1, off.json.id)).status, 200);
  assert.equal((await region('VN')).state, 'open');
  const hist = (await srv.api('GET', '/api/v1/regions/history?country=VN')).json.items;
  assert.deepEqual(hist.map((h) => [h.to, h.state]), [['open', 'applied'], ['winding_down', 'cancelled']]);
});

test('answers pending at closure are approved 7 days after the effect even with a 14-day review window, and paid within 14 days', async () => {
  const slow = await makeProject(srv, rtoken, {
    tasks: 2, publish: true, reward_micros: 1_000_000, estimated_seconds: 60, quality: { review: { window_days: 14 } },
  });
  assert.equal(slow.quality.review.window_days, 14, JSON.stringify(slow.quality));
  const w = await worker('UG');
  const pm = await srv.api('PUT', '/api/v1/me/payout-method', {
    token: w.token, body: { rail: 'bank_transfer', holder_name: 'Okello Akena', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' },
  });
  assert.equal(pm.status, 200, pm.text);
  const t = await now();
  const effective = t + 31 * DAY;
  const p = await propose(a1, {
    country: 'UG', to: 'winding_down', reason: 'Payment rail withdrawn', explanation: 'Work in Uganda stops.',
    legal_basis: 'payment_rail', legal_reference: 'Provider notice 2026-11', effective_at: iso(effective),
  });
  assert.equal(p.status, 201, p.text);
  assert.equal((await approve(a2, p.json.id)).status, 200);

  // An hour before the effect the worker answers: the project's own window would approve it 13 days 23 hours later.
  await advance(effective - (await now()) - 3_600_000);
  const c = await srv.api('POST', `/api/v1/projects/${slow.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.ok(s.status === 200 || s.status === 201, s.text);
  await advance(2 * 3_600_000);
  await eventually(async () => (await region('UG')).state === 'closed', 'UG closed', 15000);

  // Six days after the effect the answer is still pending: nothing to pay yet.
  await advance(6 * DAY);
  assert.deepEqual(await usd(w), { available_micros: 0, in_transit_micros: 0 });
  // Past effect + 7 days it is approved and its money requested, well inside the 14 days (FW-15).
  await advance(DAY);
  const paid = await eventually(async () => {
    const b = await usd(w);
    return b.available_micros === 0 && b.in_transit_micros === 1_000_000 ? b : null;
  }, 'UG answer approved and paid out', 20000);
  assert.ok(paid);
  assert.ok((await now()) <= effective + 14 * DAY, 'within 14 days of the effect');
});
