// FW-5 and the wage benchmark table: the seed copied into the database, admin edits (scheduled behind a 14-day
// comment period, FW-23, then versioned, in the public history and the audit log), emergency raises, withdrawals,
// the pay check of a project per country computed to the micro, the floor at the estimate refusing claims, and the
// worker's project list marking what is not offered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, register, assertProblem, makeProject, projectInput, sleep } from '../lib/server.mjs';

let srv, adminToken, adminId, rtoken, otherRtoken;
const DAY = 86_400_000;

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SESSION_TTL: '315360000' } });
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  adminId = (await srv.api('GET', '/api/v1/me', { token: adminToken })).json.id;
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  const other = await createUserCli(srv, { role: 'requester', escrow: 0 });
  otherRtoken = await srv.login(other.email, other.password);
});

after(async () => { await srv?.stop(); });

async function worker(country) {
  const w = await register(srv.url, { country });
  return { ...w, token: await srv.login(w.email, w.password) };
}

const claim = (w, projectId) => srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
const tablesVersion = async () => (await srv.api('GET', '/api/v1/wage-benchmarks')).json.version;
const auditOf = async (action) => (await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken })).json.items.filter((a) => a.action === action);

async function advance(ms) {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
}

/** The public rows of these changes once none is scheduled any more (the job runs about once a second). */
async function settled(ids, deadlineMs = 15000) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const r = await srv.api('GET', '/api/v1/wage-changes?limit=500');
    assert.equal(r.status, 200, r.text);
    const rows = ids.map((id) => r.json.items.find((c) => c.id === id));
    if (rows.every((c) => c && c.state !== 'scheduled')) return rows;
    assert.ok(Date.now() < end, `changes ${ids} still scheduled: ${JSON.stringify(rows)}`);
    await sleep(100);
  }
}

/** Schedules the edit (202), moves the clock past its comment period and waits until the job applied it. */
async function editAndApply(path, body) {
  const r = await srv.api('POST', path, { token: adminToken, body });
  assert.equal(r.status, 202, r.text);
  await advance(14 * DAY + 1000);
  const [c] = await settled([r.json.id]);
  assert.equal(c.state, 'applied', JSON.stringify(c));
  return c;
}

const keRaise = {
  country: 'KE', region: 'Nairobi/Mombasa/Kisumu', kind: 'minimum', amount: '200000', currency: 'KES', unit: 'month',
  ref_date: '2026-07-01', method: 'statutory(test order)', confidence: 'V', source: 'https://example.org/ke-order',
  reason: 'New wage order for the test',
};

test('the seed tables are in the database at version 1, with the seed in the public history', async () => {
  const r = await srv.api('GET', '/api/v1/wage-benchmarks');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 1);
  assert.equal(r.json.platform_floor_usd_micros_per_hour, 2_000_000);
  assert.equal(r.json.items.length, 11, 'data/seed/country_basics.csv has 11 countries');
  assert.equal(r.json.benchmarks.length, 24, 'data/seed/wage_benchmarks.csv has 24 rows');
  const ke = r.json.items.find((c) => c.country === 'KE');
  assert.deepEqual([ke.currency, ke.usd_per_unit, ke.normal_weekly_hours, ke.fx_date], ['KES', '0.00775', '52', '2025-06']);
  assert.equal(ke.minimum.hourly_micros, 71_510_725);
  const row = r.json.benchmarks.find((b) => b.country === 'KE' && b.kind === 'minimum');
  assert.deepEqual([row.amount, row.unit, row.ref_date, row.confidence], ['16113.75', 'month', '2024-11-01', 'V']);
  const h = await srv.api('GET', '/api/v1/wage-benchmarks/history');
  assert.equal(h.status, 200, h.text);
  assert.deepEqual(h.json.items.map((i) => [i.version, i.table, i.admin_id]), [[1, 'seed', null]]);
  assert.deepEqual(h.json.items[0].new, { wage_benchmarks: 24, country_basics: 11 });
  // `fairlabel migrate` again does not seed twice
  await srv.cli(['migrate', '--db', srv.dbUrl]);
  assert.equal((await srv.api('GET', '/api/v1/wage-benchmarks')).json.version, 1);
});

test('pay_check of a new project: the numbers for Kenya to the micro, and who it is offered to', async () => {
  // 50,000 USD micros for 30 s = 6 USD an hour, no worker fee
  const r = await srv.api('POST', '/api/v1/projects', { token: rtoken, body: projectInput({ reward_micros: 50_000, estimated_seconds: 30 }) });
  assert.equal(r.status, 201, r.text);
  const pc = r.json.pay_check;
  assert.equal(pc.version, 1);
  assert.equal(pc.rate_known, true);
  assert.equal(pc.rate_micros_per_hour, 6_000_000);
  const ke = pc.countries.find((c) => c.country === 'KE');
  assert.deepEqual(ke, {
    country: 'KE', name: 'Kenya', currency: 'KES', meets_floor: true, meets_living: true,
    rate_micros_per_hour: 774_193_548, // 6 USD / 0.00775 = 774.193548387 KES, half-even
    rate_usd_micros_per_hour: 6_000_000,
    floor_micros_per_hour: 258_064_517, // the platform's 2 USD / 0.00775 = 258.064516129 KES, rounded up
    floor_usd_micros_per_hour: 2_000_000,
    floor_basis: 'platform', // the legal minimum (71.51 KES) is below it
    minimum_micros_per_hour: 71_510_725, // 16,113.75 × 12 / 52 / 52
    minimum_stale: true,
    living_micros_per_hour: 135_492_604, // the lowest living figure: 30,531 × 12 / 52 / 52 = 135.4926035 KES
    living_usd_micros_per_hour: 1_050_068, // × 0.00775
    living_stale: true, living_regional: true,
    min_reward_micros: 16_667, // ceil(2 USD × 30 s / 3600 s)
  });
  // Poland's legal minimum (4,666 PLN × 12 / 52 / 40 = 26.919231 PLN = 7.160516 USD an hour) is above 6 USD
  const pl = pc.countries.find((c) => c.country === 'PL');
  assert.deepEqual([pl.meets_floor, pl.floor_basis, pl.floor_micros_per_hour, pl.min_reward_micros], [false, 'legal_minimum', 26_919_231, 59_671]);
  assert.equal(pc.offered_to, 10);
  assert.deepEqual(pc.offered_to_countries.sort(), ['GB', 'IN', 'KE', 'NG', 'PH', 'PK', 'TH', 'US', 'VE', 'VN']);
  assert.equal(pc.min_reward_micros, 59_671, 'the reward that meets every floor at this estimate');
  assert.deepEqual(pc.other_countries, { meets_floor: true, rate_usd_micros_per_hour: 6_000_000, floor_usd_micros_per_hour: 2_000_000, min_reward_micros: 16_667 });
  assert.equal(pc.warning, null);

  // the same through the routes: for an existing project (owner, admin) and without creating one
  const again = await srv.api('GET', `/api/v1/projects/${r.json.id}/pay-check`, { token: rtoken });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json.countries, pc.countries);
  assert.equal((await srv.api('GET', `/api/v1/projects/${r.json.id}/pay-check`, { token: adminToken })).status, 200);
  assertProblem(await srv.api('GET', `/api/v1/projects/${r.json.id}/pay-check`, { token: otherRtoken }), 404, 'NOT_FOUND');
  const live = await srv.api('POST', '/api/v1/pay-check', { token: rtoken, body: { reward_micros: 50_000, currency: 'USD', estimated_seconds: 30 } });
  assert.equal(live.status, 200, live.text);
  assert.deepEqual(live.json.countries, pc.countries);
  const bad = await srv.api('POST', '/api/v1/pay-check', { token: rtoken, body: { reward_micros: 50_000, currency: 'USD', estimated_seconds: 0 } });
  assert.equal(assertProblem(bad, 422, 'INVALID_FIELD').field, '/estimated_seconds');
  const w = await worker('KE');
  assertProblem(await srv.api('POST', '/api/v1/pay-check', { token: w.token, body: { reward_micros: 1, currency: 'USD', estimated_seconds: 1 } }), 403, 'ROLE_FORBIDDEN');
});

test('a project below every floor would be offered to nobody: the warning says so', async () => {
  // 1,000 micros for 30 s = 0.12 USD an hour
  const r = await srv.api('POST', '/api/v1/projects', { token: rtoken, body: projectInput({ reward_micros: 1_000, estimated_seconds: 30 }) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.pay_check.offered_to, 0);
  assert.deepEqual(r.json.pay_check.offered_to_countries, []);
  assert.match(r.json.pay_check.warning, /would be offered to nobody/);
  assert.equal(r.json.pay_check.other_countries.meets_floor, false);
  // a currency without a USD rate in the tables cannot be checked: nobody either
  const eur = await srv.api('POST', '/api/v1/pay-check', { token: rtoken, body: { reward_micros: 50_000, currency: 'EUR', estimated_seconds: 30 } });
  assert.equal(eur.status, 200, eur.text);
  assert.deepEqual([eur.json.rate_known, eur.json.offered_to, eur.json.countries.length], [false, 0, 0]);
  assert.match(eur.json.warning, /would be offered to nobody: .*no USD rate for EUR/);
});

test('the floor at the estimate (FW-5): a claim below the worker floor is refused, the list says why', async () => {
  const low = await makeProject(srv, rtoken, { tasks: 2, publish: true, reward_micros: 12_500, estimated_seconds: 30 }); // 1.5 USD/h
  const ok = await makeProject(srv, rtoken, { tasks: 2, publish: true, reward_micros: 50_000, estimated_seconds: 30 }); // 6 USD/h
  const de = await worker('DE'); // not in the tables: the platform floor alone
  const refused = assertProblem(await claim(de, low.id), 403, 'BELOW_PAY_FLOOR');
  assert.deepEqual([refused.currency, refused.rate_micros_per_hour, refused.floor_micros_per_hour, refused.min_reward_micros], ['USD', 1_500_000, 2_000_000, 16_667]);
  assert.match(refused.detail, /1\.5 USD an hour .* floor of 2 USD an hour \(the platform floor/);
  assert.equal((await claim(de, ok.id)).status, 200);
  const pl = await worker('PL'); // the Polish legal minimum, 26.919231 PLN an hour, is above 6 USD
  const plRefused = assertProblem(await claim(pl, ok.id), 403, 'BELOW_PAY_FLOOR');
  assert.deepEqual([plRefused.currency, plRefused.floor_micros_per_hour], ['PLN', 26_919_231]);
  assert.match(plRefused.detail, /legal minimum wage of your country/);
  const list = await srv.api('GET', '/api/v1/projects', { token: pl.token });
  const mark = list.json.items.find((p) => p.id === ok.id);
  assert.equal(mark.offered, false);
  assert.match(mark.not_offered_reason, /below your floor of 26\.919231 PLN an hour/);
  const one = await srv.api('GET', `/api/v1/projects/${ok.id}`, { token: de.token });
  assert.deepEqual([one.json.offered, one.json.not_offered_reason], [true, null]);
  // requesters' views carry no offer marks
  assert.equal((await srv.api('GET', `/api/v1/projects/${ok.id}`, { token: rtoken })).json.offered, undefined);
  // a currency the tables cannot convert is never offered
  const eur = await makeProject(srv, rtoken, { tasks: 1, publish: true, currency: 'EUR', reward_micros: 500_000 });
  assertProblem(await claim(de, eur.id), 403, 'PAY_RATE_UNKNOWN');
});

test('admin edits wait for their comment period (FW-23), then apply: versioned, audited, public; a raised minimum refuses that country only', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 6, publish: true, reward_micros: 50_000, estimated_seconds: 30 }); // 6 USD/h
  const ke = await worker('KE');
  const ng = await worker('NG');
  assert.equal((await claim(ke, p.id)).status, 200, 'KE floor is the platform floor: 2 USD');
  const before = await tablesVersion();

  // non-admins and anonymous callers cannot edit
  for (const token of [rtoken, ke.token]) {
    assertProblem(await srv.api('POST', '/api/v1/wage-benchmarks', { token, body: keRaise }), 403, 'ROLE_FORBIDDEN');
    assertProblem(await srv.api('POST', '/api/v1/wage-countries', { token, body: { country: 'KE', normal_weekly_hours: '40', reason: 'nope' } }), 403, 'ROLE_FORBIDDEN');
  }
  assertProblem(await srv.api('POST', '/api/v1/wage-benchmarks', { body: keRaise }), 401, 'AUTH_REQUIRED');
  // bad fields are refused with the field named, and change nothing
  for (const [change, field] of [[{ amount: '-5' }, '/amount'], [{ amount: '1.0000001' }, '/amount'], [{ kind: 'max' }, '/kind'],
    [{ unit: 'year' }, '/unit'], [{ ref_date: '2026-13' }, '/ref_date'], [{ confidence: 'maybe' }, '/confidence'],
    [{ currency: 'kes' }, '/currency'], [{ reason: '' }, '/reason'], [{ country: 'FR' }, '/country'],
    [{ currency: 'CHF' }, '/currency'], [{ extra: 1 }, '/extra'], [{ emergency: 'now' }, '/emergency'],
    [{ emergency: {} }, '/emergency/reason'], [{ emergency: { reason: 'x', when: 1 } }, '/emergency/when']]) {
    const r = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: { ...keRaise, ...change } });
    assert.equal(assertProblem(r, 422, 'INVALID_FIELD', JSON.stringify(change)).field, field, JSON.stringify(change));
  }
  const { reason, ...noReason } = keRaise;
  assert.equal(assertProblem(await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: noReason }), 422, 'INVALID_FIELD').field, '/reason');
  assert.equal(await tablesVersion(), before, 'refused edits leave the version alone');

  // the edit is scheduled: KE's binding minimum is to become 200,000 KES a month = 887.573964 KES an hour
  const e = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: keRaise });
  assert.equal(e.status, 202, e.text);
  const ch = e.json;
  assert.deepEqual([ch.state, ch.table, ch.key, ch.old.amount, ch.new.amount, ch.reason, ch.proposed_by, ch.link, ch.applied_version],
    ['scheduled', 'wage_benchmarks', 'KE/minimum/Nairobi/Mombasa/Kisumu', '16113.75', '200000', keRaise.reason, adminId, '/worker#announcements', null]);
  assert.equal(Date.parse(ch.applies_at) - Date.parse(ch.created_at), 14 * DAY, 'the comment period of its announcement');
  // public: anyone sees what is coming
  const list = await srv.api('GET', '/api/v1/wage-changes?state=scheduled');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.find((c) => c.id === ch.id), ch);
  assertProblem(await srv.api('GET', '/api/v1/wage-changes?state=soon'), 400, 'BAD_QUERY');
  // its announcement: a comment period ending when it applies, open to workers' comments
  const ann = await srv.api('GET', `/api/v1/announcements/${ch.announcement_id}`, { token: ke.token });
  assert.equal(ann.status, 200, ann.text);
  assert.deepEqual([ann.json.kind, ann.json.rule_id, ann.json.applies_at, ann.json.comment_until, ann.json.comments_open],
    ['benchmarks', 'claim_floor', ch.applies_at, ch.applies_at, true]);
  assert.match(ann.json.body, /amount: 16113\.75 → 200000/);
  const said = await srv.api('POST', `/api/v1/announcements/${ch.announcement_id}/comments`, { token: ke.token, body: { body: 'This raise is overdue.' } });
  assert.equal(said.status, 201, said.text);
  assert.equal((await auditOf('wage.change.scheduled')).filter((a) => a.detail.change_id === ch.id).length, 1);

  // not in force before the period ends: same version, same figures, and the old floor still lets Kenyans claim
  const waiting = (await srv.api('GET', '/api/v1/wage-benchmarks')).json;
  assert.equal(waiting.version, before);
  assert.equal(waiting.items.find((c) => c.country === 'KE').minimum.hourly_micros, 71_510_725);
  const ke2 = await worker('KE');
  assert.equal((await claim(ke2, p.id)).status, 200, 'the claim floor still reads the table in force');
  await advance(14 * DAY - 60_000);
  await sleep(1500); // a tick of the job, which must not apply it yet
  assert.equal(await tablesVersion(), before);
  assert.equal((await srv.api('GET', `/api/v1/announcements/${ch.announcement_id}`, { token: ke.token })).json.comments_open, true);

  // the period ends: the job applies it
  await advance(61_000);
  const [done] = await settled([ch.id]);
  assert.deepEqual([done.state, done.applied_version], ['applied', before + 1]);
  assert.ok(Date.parse(done.applied_at) >= Date.parse(ch.applies_at));
  const tables = (await srv.api('GET', '/api/v1/wage-benchmarks')).json;
  assert.equal(tables.version, before + 1);
  const keNow = tables.items.find((c) => c.country === 'KE');
  assert.deepEqual([keNow.minimum.hourly_micros, keNow.minimum.hourly_usd_micros, keNow.minimum.stale], [887_573_964, 6_878_698, false]);
  const hist = (await srv.api('GET', '/api/v1/wage-benchmarks/history')).json.items.at(-1);
  assert.deepEqual([hist.version, hist.table, hist.key, hist.admin_id, hist.reason],
    [before + 1, 'wage_benchmarks', 'KE/minimum/Nairobi/Mombasa/Kisumu', adminId, keRaise.reason]);
  assert.equal(hist.old.amount, '16113.75');
  assert.equal(hist.new.amount, '200000');
  const audit = await auditOf('wage.benchmark.put');
  assert.equal(audit.length, 1);
  assert.deepEqual([audit[0].actor_id, audit[0].target, audit[0].detail.version, audit[0].detail.reason, audit[0].detail.new.amount, audit[0].detail.change_id],
    [adminId, 'KE/minimum/Nairobi/Mombasa/Kisumu', before + 1, keRaise.reason, '200000', ch.id]);

  // the floor follows: a Kenyan worker is refused, a Nigerian one is not
  const ke3 = await worker('KE');
  const refused = assertProblem(await claim(ke3, p.id), 403, 'BELOW_PAY_FLOOR');
  assert.deepEqual([refused.currency, refused.floor_micros_per_hour, refused.rate_micros_per_hour], ['KES', 887_573_964, 774_193_548]);
  assert.equal((await claim(ng, p.id)).status, 200);
  assert.equal((await srv.api('GET', `/api/v1/projects/${p.id}`, { token: ke.token })).json.offered, false);
  const pc = (await srv.api('GET', `/api/v1/projects/${p.id}/pay-check`, { token: rtoken })).json;
  assert.equal(pc.version, before + 1);
  assert.deepEqual(pc.countries.find((c) => c.country === 'KE').meets_floor, false);
  // an applied change can no longer be withdrawn
  assertProblem(await srv.api('POST', `/api/v1/wage-changes/${ch.id}/withdraw`, { token: adminToken, body: { reason: 'too late' } }), 409, 'WAGE_CHANGE_NOT_SCHEDULED');

  // countries: several changes scheduled together, each checked against the tables after the earlier ones
  const hours = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', normal_weekly_hours: '40', reason: 'Test: 40-hour week' } });
  assert.equal(hours.status, 202, hours.text);
  assert.deepEqual([hours.json.new.normal_weekly_hours, hours.json.new.usd_per_unit, hours.json.old.normal_weekly_hours], ['40', '0.00775', '52']);
  const badRate = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', usd_per_unit: 'abc', reason: 'bad rate' } });
  assert.equal(assertProblem(badRate, 422, 'INVALID_FIELD').field, '/usd_per_unit');
  const badHours = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', normal_weekly_hours: '90', reason: 'too many' } });
  assert.equal(assertProblem(badHours, 422, 'INVALID_FIELD').field, '/normal_weekly_hours');
  const lower = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'ke', normal_weekly_hours: '40', reason: 'lower case' } });
  assert.equal(assertProblem(lower, 422, 'INVALID_FIELD').field, '/country');
  // a new country needs every field; a benchmark may use it once it is scheduled
  const partial = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'FR', name: 'France', reason: 'add France' } });
  assert.equal(assertProblem(partial, 422, 'INVALID_FIELD').field, '/currency');
  const smic = { country: 'FR', region: 'national', kind: 'minimum', amount: '11.88', currency: 'EUR', unit: 'hour', ref_date: '2026-01-01', method: 'statutory(SMIC)', confidence: 'V', source: 'https://example.org/smic', reason: 'SMIC 2026' };
  assert.equal(assertProblem(await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: smic }), 422, 'INVALID_FIELD').field, '/country',
    'no French basics yet, not even scheduled');
  const fr = await srv.api('POST', '/api/v1/wage-countries', {
    token: adminToken,
    body: { country: 'FR', name: 'France', currency: 'EUR', usd_per_unit: '1.08', fx_date: '2026-06', normal_weekly_hours: '35', hours_source: 'Code du travail', reason: 'add France' },
  });
  assert.equal(fr.status, 202, fr.text);
  assert.equal(fr.json.old, null);
  const frMin = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: smic });
  assert.equal(frMin.status, 202, frMin.text);
  // a field left out keeps its value as scheduled, not as in force
  const cite = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'FR', hours_source: 'Code du travail, art. L3121-27', reason: 'cite the article' } });
  assert.equal(cite.status, 202, cite.text);
  assert.deepEqual([cite.json.old.hours_source, cite.json.new.currency, cite.json.new.usd_per_unit], ['Code du travail', 'EUR', '1.08']);
  // a country's currency cannot change while a scheduled benchmark would lose its USD rate
  const orphan = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'FR', currency: 'CHF', reason: 'wrong' } });
  assert.equal(assertProblem(orphan, 422, 'INVALID_FIELD').field, '/currency');
  // nothing is in force yet: EUR still has no rate
  const eurBefore = await srv.api('POST', '/api/v1/pay-check', { token: rtoken, body: { reward_micros: 500_000, currency: 'EUR', estimated_seconds: 30 } });
  assert.equal(eurBefore.json.rate_known, false);

  await advance(14 * DAY + 1000);
  const applied = await settled([hours.json.id, fr.json.id, frMin.json.id, cite.json.id]);
  assert.deepEqual(applied.map((c) => [c.state, c.applied_version]),
    [['applied', before + 2], ['applied', before + 3], ['applied', before + 4], ['applied', before + 5]], 'in order of applies_at, then id');
  const eur = await srv.api('POST', '/api/v1/pay-check', { token: rtoken, body: { reward_micros: 500_000, currency: 'EUR', estimated_seconds: 30 } });
  assert.equal(eur.json.rate_known, true);
  const frCheck = eur.json.countries.find((x) => x.country === 'FR');
  assert.deepEqual([frCheck.floor_basis, frCheck.floor_micros_per_hour, frCheck.meets_floor], ['legal_minimum', 11_880_000, true]);
  const frRow = (await srv.api('GET', '/api/v1/wage-benchmarks')).json.items.find((x) => x.country === 'FR');
  assert.equal(frRow.hours_source, 'Code du travail, art. L3121-27');

  const history = (await srv.api('GET', '/api/v1/wage-benchmarks/history')).json.items;
  assert.deepEqual(history.map((h) => h.version), [1, before + 1, before + 2, before + 3, before + 4, before + 5]);
  assert.deepEqual(history.map((h) => h.table), ['seed', 'wage_benchmarks', 'country_basics', 'country_basics', 'wage_benchmarks', 'country_basics']);
  const page = (await srv.api('GET', `/api/v1/wage-benchmarks/history?after_id=${history[2].id}&limit=1`)).json.items;
  assert.deepEqual(page.map((h) => h.id), [history[3].id]);

  // one currency has one rate: a second EUR country at another rate takes France along, in the history too
  const de = await editAndApply('/api/v1/wage-countries', {
    country: 'DE', name: 'Germany', currency: 'EUR', usd_per_unit: '1.10', fx_date: '2026-07', normal_weekly_hours: '40', hours_source: 'ArbZG', reason: 'add Germany',
  });
  assert.equal(de.applied_version, before + 6);
  const frNow = (await srv.api('GET', '/api/v1/wage-benchmarks')).json.items.find((x) => x.country === 'FR');
  assert.deepEqual([frNow.usd_per_unit, frNow.fx_date], ['1.10', '2026-07']);
  const last = (await srv.api('GET', '/api/v1/wage-benchmarks/history')).json.items.slice(-2);
  assert.deepEqual(last.map((h) => [h.version, h.key]), [[before + 6, 'DE'], [before + 6, 'FR']]);
  assert.deepEqual([last[1].old.usd_per_unit, last[1].new.usd_per_unit], ['1.08', '1.10']);
  assert.match(last[1].reason, /the rate of EUR follows DE: add Germany/);
  const deAudit = (await auditOf('wage.country.put')).find((a) => a.detail.change_id === de.id);
  assert.deepEqual(deAudit.detail.rate_followed_by, ['FR']);
});

test('emergency: a change that lowers nothing applies at once and is still announced; a lowering never skips the period', async () => {
  const ng = { country: 'NG', region: 'national', kind: 'minimum', amount: '80000', currency: 'NGN', unit: 'month', ref_date: '2026-10-01',
    method: 'statutory(test)', confidence: 'V', source: 'https://example.org/ng-2026', reason: 'a raise agreed with the unions' };
  const emergency = { reason: 'the new legal minimum is already in force' };
  const v0 = await tablesVersion();
  const up = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: { ...ng, emergency } });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.json.version, v0 + 1);
  assert.deepEqual([up.json.previous.amount, up.json.row.amount], ['70000', '80000']);
  const c = up.json.change;
  assert.deepEqual([c.state, c.emergency_reason, c.applied_version, c.applies_at], ['applied', emergency.reason, v0 + 1, c.created_at]);
  const ngNow = (await srv.api('GET', '/api/v1/wage-benchmarks')).json.items.find((x) => x.country === 'NG');
  assert.equal(ngNow.minimum.amount, '80000');
  // announced all the same, with the reason it did not wait
  const ann = (await srv.api('GET', `/api/v1/announcements/${c.announcement_id}`, { token: adminToken })).json;
  assert.match(ann.short_period_reason, /emergency .*already in force/);
  assert.equal(ann.applies_at, c.created_at);
  assert.equal(ann.comments_open, true);
  const put = (await auditOf('wage.benchmark.put')).find((a) => a.detail.change_id === c.id);
  assert.equal(put.detail.emergency_reason, emergency.reason);
  // a new benchmark above the binding minimum lowers nothing either
  const lagos = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: { ...ng, region: 'Lagos', amount: '90000', emergency } });
  assert.equal(lagos.status, 201, lagos.text);
  // wording of a country that moves no figure
  const cite = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'NG', hours_source: 'Labour Act, s. 13', reason: 'cite', emergency } });
  assert.equal(cite.status, 200, cite.text);
  const v1 = await tablesVersion();
  assert.equal(v1, v0 + 3);

  // whatever lowers a floor, a figure or moves a rate must wait: 422 naming the field, nothing stored
  const changesBefore = (await srv.api('GET', '/api/v1/wage-changes?limit=500')).json.items.length;
  for (const [path, body, field] of [
    ['/api/v1/wage-benchmarks', { ...ng, amount: '60000' }, '/amount'],
    ['/api/v1/wage-benchmarks', { ...ng, unit: 'week', amount: '15000' }, '/amount'],
    ['/api/v1/wage-benchmarks', { ...ng, region: 'Kano', amount: '50000' }, '/amount'], // a new, lower regional minimum binds
    ['/api/v1/wage-benchmarks', { ...ng, kind: 'living', amount: '50000', confidence: '?' }, '/amount'],
    ['/api/v1/wage-countries', { country: 'NG', normal_weekly_hours: '48', reason: 'longer week' }, '/normal_weekly_hours'],
    ['/api/v1/wage-countries', { country: 'NG', usd_per_unit: '0.0007', reason: 'new rate' }, '/usd_per_unit'],
  ]) {
    const r = await srv.api('POST', path, { token: adminToken, body: { ...body, emergency } });
    assert.equal(assertProblem(r, 422, 'WAGE_EMERGENCY_LOWERS', JSON.stringify(body)).field, field, JSON.stringify(body));
  }
  assert.equal(await tablesVersion(), v1);
  assert.equal((await srv.api('GET', '/api/v1/wage-changes?limit=500')).json.items.length, changesBefore);
  // the same lowering goes through the comment period
  const slow = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: { ...ng, amount: '60000' } });
  assert.equal(slow.status, 202, slow.text);
  assert.equal(await tablesVersion(), v1);
  const w = await srv.api('POST', `/api/v1/wage-changes/${slow.json.id}/withdraw`, { token: adminToken, body: { reason: 'proposed by mistake' } });
  assert.equal(w.status, 200, w.text);
});

test('withdrawing: admins only, while scheduled, announced; a change that no longer fits is withdrawn by the job, never half-applied', async () => {
  const ch = { country: 'CH', name: 'Switzerland', currency: 'CHF', usd_per_unit: '1.12', fx_date: '2026-06', normal_weekly_hours: '42', hours_source: 'ArG', reason: 'add Switzerland' };
  const country = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: ch });
  assert.equal(country.status, 202, country.text);
  const bench = await srv.api('POST', '/api/v1/wage-benchmarks', {
    token: adminToken,
    body: { country: 'CH', region: 'Geneva', kind: 'minimum', amount: '24.32', currency: 'CHF', unit: 'hour', ref_date: '2026-01-01', method: 'statutory(canton)', confidence: 'V', source: 'https://example.org/ge', reason: 'Geneva minimum' },
  });
  assert.equal(bench.status, 202, bench.text);
  const id = country.json.id;
  const withdraw = (token, body = { reason: 'the rate source is not confirmed' }, cid = id) => srv.api('POST', `/api/v1/wage-changes/${cid}/withdraw`, { token, body });
  const w = await worker('KE');
  assertProblem(await withdraw(w.token), 403, 'ROLE_FORBIDDEN');
  assertProblem(await withdraw(rtoken), 403, 'ROLE_FORBIDDEN');
  assertProblem(await withdraw(undefined), 401, 'AUTH_REQUIRED');
  assert.equal(assertProblem(await withdraw(adminToken, { reason: ' ' }), 422, 'INVALID_FIELD').field, '/reason');
  assert.equal(assertProblem(await withdraw(adminToken, { reason: 'ok', why: 1 }), 422, 'INVALID_FIELD').field, '/why');
  assertProblem(await withdraw(adminToken, undefined, 999999), 404, 'NOT_FOUND');
  const done = await withdraw(adminToken);
  assert.equal(done.status, 200, done.text);
  assert.deepEqual([done.json.state, done.json.withdrawn_by, done.json.withdraw_reason], ['withdrawn', adminId, 'the rate source is not confirmed']);
  assertProblem(await withdraw(adminToken), 409, 'WAGE_CHANGE_NOT_SCHEDULED');
  // workers are told
  const note = (await srv.api('GET', '/api/v1/announcements', { token: w.token })).json.items.find((a) => a.id === done.json.withdraw_announcement_id);
  assert.ok(note, 'the follow-up announcement');
  assert.match(note.title, /Withdrawn: wage table change CH/);
  assert.match(note.body, /the rate source is not confirmed/);

  // the Geneva minimum needed the Swiss basics: when its time comes it no longer fits, and nothing of it applies
  const v = await tablesVersion();
  await advance(14 * DAY + 1000);
  const [b] = await settled([bench.json.id]);
  assert.deepEqual([b.state, b.withdrawn_by, b.applied_at, b.applied_version], ['withdrawn', null, null, null]);
  assert.match(b.withdraw_reason, /CH has no row in the country basics/);
  assert.equal(await tablesVersion(), v);
  const tables = (await srv.api('GET', '/api/v1/wage-benchmarks')).json;
  assert.equal(tables.benchmarks.some((x) => x.country === 'CH'), false);
  const byJob = (await auditOf('wage.change.withdrawn')).find((a) => a.detail.change_id === b.id);
  assert.deepEqual([byJob.actor_id, byJob.detail.by], [null, 'server']);
  assert.ok(b.withdraw_announcement_id > 0);
});
