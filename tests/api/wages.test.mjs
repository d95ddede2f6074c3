// FW-5 and the wage benchmark table: the seed copied into the database, admin edits (versioned, in the public
// history and the audit log), the pay check of a project per country computed to the micro, the floor at the
// estimate refusing claims, and the worker's project list marking what is not offered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, register, assertProblem, makeProject, projectInput } from '../lib/server.mjs';

let srv, adminToken, adminId, rtoken, otherRtoken;

before(async () => {
  srv = await startServer();
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

test('admin edits are versioned, audited and public; a raised legal minimum refuses that country only', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 4, publish: true, reward_micros: 50_000, estimated_seconds: 30 }); // 6 USD/h
  const ke = await worker('KE');
  const ng = await worker('NG');
  assert.equal((await claim(ke, p.id)).status, 200, 'KE floor is the platform floor: 2 USD');
  const before = (await srv.api('GET', '/api/v1/wage-benchmarks')).json.version;

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
    [{ currency: 'CHF' }, '/currency'], [{ extra: 1 }, '/extra']]) {
    const r = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: { ...keRaise, ...change } });
    assert.equal(assertProblem(r, 422, 'INVALID_FIELD', JSON.stringify(change)).field, field, JSON.stringify(change));
  }
  const { reason, ...noReason } = keRaise;
  assert.equal(assertProblem(await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: noReason }), 422, 'INVALID_FIELD').field, '/reason');
  assert.equal((await srv.api('GET', '/api/v1/wage-benchmarks')).json.version, before, 'refused edits leave the version alone');

  // the edit: KE's binding minimum goes to 200,000 KES a month = 887.573964 KES = 6.878698 USD an hour
  const e = await srv.api('POST', '/api/v1/wage-benchmarks', { token: adminToken, body: keRaise });
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.version, before + 1);
  assert.equal(e.json.previous.amount, '16113.75');
  assert.equal(e.json.row.amount, '200000');
  const tables = (await srv.api('GET', '/api/v1/wage-benchmarks')).json;
  assert.equal(tables.version, before + 1);
  const keNow = tables.items.find((c) => c.country === 'KE');
  assert.deepEqual([keNow.minimum.hourly_micros, keNow.minimum.hourly_usd_micros, keNow.minimum.stale], [887_573_964, 6_878_698, false]);
  const hist = (await srv.api('GET', '/api/v1/wage-benchmarks/history')).json.items.at(-1);
  assert.deepEqual([hist.version, hist.table, hist.key, hist.admin_id, hist.reason],
    [before + 1, 'wage_benchmarks', 'KE/minimum/Nairobi/Mombasa/Kisumu', adminId, keRaise.reason]);
  assert.equal(hist.old.amount, '16113.75');
  assert.equal(hist.new.amount, '200000');
  const audit = (await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken })).json.items.filter((a) => a.action === 'wage.benchmark.put');
  assert.equal(audit.length, 1);
  assert.deepEqual([audit[0].actor_id, audit[0].target, audit[0].detail.version, audit[0].detail.reason, audit[0].detail.new.amount],
    [adminId, 'KE/minimum/Nairobi/Mombasa/Kisumu', before + 1, keRaise.reason, '200000']);

  // the floor follows at once: the Kenyan worker is refused, the Nigerian one is not
  const refused = assertProblem(await claim(ke, p.id), 403, 'BELOW_PAY_FLOOR');
  assert.deepEqual([refused.currency, refused.floor_micros_per_hour, refused.rate_micros_per_hour], ['KES', 887_573_964, 774_193_548]);
  assert.equal((await claim(ng, p.id)).status, 200);
  assert.equal((await srv.api('GET', `/api/v1/projects/${p.id}`, { token: ke.token })).json.offered, false);
  const pc = (await srv.api('GET', `/api/v1/projects/${p.id}/pay-check`, { token: rtoken })).json;
  assert.equal(pc.version, before + 1);
  assert.deepEqual(pc.countries.find((c) => c.country === 'KE').meets_floor, false);

  // a country's basics: fewer normal hours raise the hourly minimum; a field left out keeps its value
  const c = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', normal_weekly_hours: '40', reason: 'Test: 40-hour week' } });
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.version, before + 2);
  assert.deepEqual([c.json.row.normal_weekly_hours, c.json.row.usd_per_unit, c.json.previous.normal_weekly_hours], ['40', '0.00775', '52']);
  assertProblem(await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', usd_per_unit: 'abc', reason: 'bad rate' } }), 422, 'INVALID_FIELD');
  const badRate = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', usd_per_unit: 'abc', reason: 'bad rate' } });
  assert.equal(badRate.json.field, '/usd_per_unit');
  const badHours = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'KE', normal_weekly_hours: '90', reason: 'too many' } });
  assert.equal(assertProblem(badHours, 422, 'INVALID_FIELD').field, '/normal_weekly_hours');
  const lower = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'ke', normal_weekly_hours: '40', reason: 'lower case' } });
  assert.equal(assertProblem(lower, 422, 'INVALID_FIELD').field, '/country');
  // a new country needs every field; then benchmarks may use it
  const partial = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'FR', name: 'France', reason: 'add France' } });
  assert.equal(assertProblem(partial, 422, 'INVALID_FIELD').field, '/currency');
  const fr = await srv.api('POST', '/api/v1/wage-countries', {
    token: adminToken,
    body: { country: 'FR', name: 'France', currency: 'EUR', usd_per_unit: '1.08', fx_date: '2026-06', normal_weekly_hours: '35', hours_source: 'Code du travail', reason: 'add France' },
  });
  assert.equal(fr.status, 201, fr.text);
  assert.equal(fr.json.previous, null);
  const frMin = await srv.api('POST', '/api/v1/wage-benchmarks', {
    token: adminToken,
    body: { country: 'FR', region: 'national', kind: 'minimum', amount: '11.88', currency: 'EUR', unit: 'hour', ref_date: '2026-01-01', method: 'statutory(SMIC)', confidence: 'V', source: 'https://example.org/smic', reason: 'SMIC 2026' },
  });
  assert.equal(frMin.status, 201, frMin.text);
  // EUR now has a rate: the EUR pay check works
  const eur = await srv.api('POST', '/api/v1/pay-check', { token: rtoken, body: { reward_micros: 500_000, currency: 'EUR', estimated_seconds: 30 } });
  assert.equal(eur.json.rate_known, true);
  const frCheck = eur.json.countries.find((x) => x.country === 'FR');
  assert.deepEqual([frCheck.floor_basis, frCheck.floor_micros_per_hour, frCheck.meets_floor], ['legal_minimum', 11_880_000, true]);
  // a country's currency cannot change while its benchmarks would lose their USD rate
  const orphan = await srv.api('POST', '/api/v1/wage-countries', { token: adminToken, body: { country: 'FR', currency: 'CHF', reason: 'wrong' } });
  assert.equal(assertProblem(orphan, 422, 'INVALID_FIELD').field, '/currency');

  const history = (await srv.api('GET', '/api/v1/wage-benchmarks/history')).json.items;
  assert.deepEqual(history.map((h) => h.version), [1, before + 1, before + 2, before + 3, before + 4]);
  assert.deepEqual(history.map((h) => h.table), ['seed', 'wage_benchmarks', 'country_basics', 'country_basics', 'wage_benchmarks']);
  const page = (await srv.api('GET', `/api/v1/wage-benchmarks/history?after_id=${history[2].id}&limit=1`)).json.items;
  assert.deepEqual(page.map((h) => h.id), [history[3].id]);

  // one currency has one rate: a second EUR country at another rate takes France along, in the history too
  const de = await srv.api('POST', '/api/v1/wage-countries', {
    token: adminToken,
    body: { country: 'DE', name: 'Germany', currency: 'EUR', usd_per_unit: '1.10', fx_date: '2026-07', normal_weekly_hours: '40', hours_source: 'ArbZG', reason: 'add Germany' },
  });
  assert.equal(de.status, 201, de.text);
  assert.deepEqual(de.json.rate_followed_by, ['FR']);
  const frNow = (await srv.api('GET', '/api/v1/wage-benchmarks')).json.items.find((x) => x.country === 'FR');
  assert.deepEqual([frNow.usd_per_unit, frNow.fx_date], ['1.10', '2026-07']);
  const last = (await srv.api('GET', '/api/v1/wage-benchmarks/history')).json.items.slice(-2);
  assert.deepEqual(last.map((h) => [h.version, h.key]), [[before + 5, 'DE'], [before + 5, 'FR']]);
  assert.deepEqual([last[1].old.usd_per_unit, last[1].new.usd_per_unit], ['1.08', '1.10']);
  assert.match(last[1].reason, /the rate of EUR follows DE: add Germany/);
});
