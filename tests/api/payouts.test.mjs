// Payouts (FW-9) and deposits by webhook: a payout method, withdrawals of available money (minimum, the balance,
// idempotent keys), batches and their exact bank and mobile-money files, confirmation files (confirmed → the
// money leaves through external; failed → back to available with the reason and a notification), admin
// confirmations by hand, the CLI, the weekly automatic payout on the test clock, and signed webhook deposits.
// Every server's ledger must verify when it stops (tests/lib/server.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, createUserCli, register, assertProblem, makeProject, randomId, sleep, REPO_ROOT } from '../lib/server.mjs';
import { makeChecker } from '../lib/schema.mjs';

// Replies must fit the schemas of docs/openapi.json.
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (schema, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${schema}` }, body), [], `${schema}: ${JSON.stringify(body)}`);

const SECRET = `whsec-${randomId(16)}`;
let srv, admin, adminToken, requester, rtoken, project;
const dir = mkdtempSync(join(tmpdir(), 'fl-payouts-'));

before(async () => {
  srv = await startServer({
    env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_CALLBACK_UNIT_MS: '50', FAIRLABEL_PAYMENT_WEBHOOK_SECRET: SECRET },
  });
  admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  requester.id = (await srv.api('GET', '/api/v1/me', { token: rtoken })).json.id;
  project = await makeProject(srv, rtoken, { tasks: 30, publish: true, reward_micros: 1_000_000, estimated_seconds: 60 });
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await srv?.stop();
});

/** A worker who submitted once in the project and got `bonus` micro-USD straight into their available balance. */
async function workerWith(bonus) {
  const w = await register(srv.url);
  w.token = await srv.login(w.email, w.password);
  w.id = (await srv.api('GET', '/api/v1/me', { token: w.token })).json.id;
  const c = await srv.api('POST', `/api/v1/projects/${project.id}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(s.status, 200, s.text);
  w.assignmentId = c.json.assignment_id;
  await pay(w, bonus);
  return w;
}

async function pay(w, amount) {
  const b = await srv.api('POST', `/api/v1/projects/${project.id}/bonuses`, {
    token: rtoken, body: { worker_id: w.id, amount_micros: amount, message: 'for payouts', reference: randomId() },
  });
  assert.equal(b.status, 201, b.text);
}

const balances = async (w) => (await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).json.balances.USD;
const request = (w, amount, key, extra = {}) => srv.api('POST', '/api/v1/me/payouts', {
  token: w.token, body: { amount_micros: amount, currency: 'USD', idempotency_key: key, ...extra },
});
const bankMethod = { rail: 'bank_transfer', holder_name: 'Amina Wanjiru', iban: 'DE89 3704 0044 0532 0130 00', bank_code: 'COBADEFFXXX' };
const setMethod = (w, body) => srv.api('PUT', '/api/v1/me/payout-method', { token: w.token, body });
const csv = (text) => ({ body: text, headers: { 'content-type': 'text/csv' } });
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

test('a payout method is validated field by field', async () => {
  const w = await workerWith(10_000_000);
  assertProblem(await request(w, 5_000_000, 'no-method'), 409, 'PAYOUT_METHOD_MISSING');
  const field = async (body) => assertProblem(await setMethod(w, body), 422, 'INVALID_FIELD').field;
  assert.equal(await field({ ...bankMethod, iban: 'DE89370400440532013001' }), '/iban', 'check digits');
  assert.equal(await field({ ...bankMethod, rail: 'cheque' }), '/rail');
  assert.equal(await field({ ...bankMethod, holder_name: '=HYPERLINK("x")' }), '/holder_name');
  assert.equal(await field({ rail: 'bank_transfer', holder_name: 'A B', account_number: '00123456' }), '/bank_code');
  assert.equal(await field({ rail: 'bank_transfer', holder_name: 'A B', account_number: '12ab', bank_code: '01' }), '/account_number');
  assert.equal(await field({ rail: 'mobile_money', holder_name: 'A B', phone: '0712345678', provider: 'MPESA' }), '/phone');
  assert.equal(await field({ rail: 'mobile_money', holder_name: 'A B', phone: '+254712345678' }), '/provider');
  assert.equal(await field({ rail: 'mobile_money', holder_name: 'A B', phone: '+254712345678', provider: 'MPESA', iban: 'x' }), '/iban');
  const ok = await setMethod(w, bankMethod);
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual([ok.json.rail, ok.json.account, ok.json.bank_code, ok.json.weekly], ['bank_transfer', 'DE89370400440532013000', 'COBADEFFXXX', false]);
  const mine = await srv.api('GET', '/api/v1/me/payouts', { token: w.token });
  fits('MyPayouts', mine.json);
  fits('PayoutMethod', ok.json);
  assert.equal(mine.json.method.holder_name, 'Amina Wanjiru');
  assert.equal(mine.json.minimum_usd_micros, 5_000_000);
  assert.deepEqual(mine.json.balances.USD, { available_micros: 10_000_000, in_transit_micros: 0, minimum_micros: 5_000_000 });
});

test('requests: the minimum, whole cents, the available balance, idempotent keys; the ledger moves available → in_transit', async () => {
  const w = await workerWith(20_000_000);
  assert.equal((await setMethod(w, bankMethod)).status, 200);
  const below = assertProblem(await request(w, 4_990_000, 'k0'), 422, 'PAYOUT_BELOW_MINIMUM');
  assert.deepEqual([below.field, below.minimum_micros, below.currency], ['/amount_micros', 5_000_000, 'USD']);
  assert.equal(assertProblem(await request(w, 5_000_001, 'k0'), 422, 'INVALID_FIELD').field, '/amount_micros', 'not whole cents');
  const over = assertProblem(await request(w, 20_010_000, 'k0'), 409, 'PAYOUT_OVER_AVAILABLE');
  assert.equal(over.field, '/amount_micros');
  assert.equal(assertProblem(await request(w, 5_000_000, undefined), 422, 'INVALID_FIELD').field, '/idempotency_key');
  assert.equal(assertProblem(await request(w, 5_000_000, 'k0', { currency: 'XXX' }), 422, 'INVALID_FIELD').field, '/currency');
  // in another currency the minimum is 5 USD at the wage tables' rate, rounded up to a whole cent
  const kes = (await srv.api('GET', '/api/v1/wage-benchmarks')).json.items.find((c) => c.currency === 'KES').usd_per_unit;
  const [int, frac = ''] = kes.split('.');
  const units = BigInt(int + frac), scale = 10n ** BigInt(frac.length);
  const micros = (5_000_000n * scale + units - 1n) / units;
  const kesMin = Number((micros + 9_999n) / 10_000n * 10_000n);
  const kesBelow = assertProblem(await request(w, 1_000_000, 'k0', { currency: 'KES' }), 422, 'PAYOUT_BELOW_MINIMUM');
  assert.deepEqual([kesBelow.minimum_micros, kesBelow.currency], [kesMin, 'KES'], `5 USD at ${kes} USD per KES`);

  const first = await request(w, 12_500_000, 'k1');
  assert.equal(first.status, 201, first.text);
  assert.deepEqual([first.json.state, first.json.amount_micros, first.json.rail, first.json.origin, first.json.replayed],
    ['requested', 12_500_000, 'bank_transfer', 'request', false]);
  assert.equal(first.json.reference, `FLP${first.json.id}`);
  fits('Payout', first.json);
  assert.deepEqual(await balances(w), { available_micros: 7_500_000, in_transit_micros: 12_500_000, minimum_micros: 5_000_000 });
  const again = await request(w, 12_500_000, 'k1');
  assert.deepEqual([again.status, again.json.id, again.json.replayed], [200, first.json.id, true]);
  assert.deepEqual(await balances(w), { available_micros: 7_500_000, in_transit_micros: 12_500_000, minimum_micros: 5_000_000 }, 'a retry moves nothing');
  assertProblem(await request(w, 6_000_000, 'k1'), 409, 'PAYOUT_KEY_REUSED');
  // the key may also come as a header
  const viaHeader = await srv.api('POST', '/api/v1/me/payouts', {
    token: w.token, body: { amount_micros: 7_500_000, currency: 'USD' }, headers: { 'idempotency-key': 'k2' },
  });
  assert.equal(viaHeader.status, 201, viaHeader.text);
  assertProblem(await request(w, 5_000_000, 'k3'), 409, 'PAYOUT_OVER_AVAILABLE');
  const earnings = (await srv.api('GET', '/api/v1/me/earnings', { token: w.token })).json;
  fits('EarningsBalance', earnings.balances.USD);
  assert.equal(earnings.balances.USD.in_transit_micros, 20_000_000);
  const lines = earnings.lines;
  const payoutLines = lines.filter((l) => l.cause === 'payout');
  assert.deepEqual(payoutLines.map((l) => [l.cause_id, l.available]).sort(), [[first.json.id, -12_500_000], [viaHeader.json.id, -7_500_000]].sort());
  // another worker sees none of it
  const other = await workerWith(0 + 5_000_000);
  assert.deepEqual((await srv.api('GET', '/api/v1/me/payouts', { token: other.token })).json.items, []);
  // a requester has no payouts
  assertProblem(await srv.api('GET', '/api/v1/me/payouts', { token: rtoken }), 403, 'ROLE_FORBIDDEN');
});

test('a bank batch: the exact file, sent, a confirmation file confirms one and re-credits the other with its reason', async () => {
  // whatever earlier tests left requested goes into a batch of its own first
  const earlier = await srv.api('POST', '/api/v1/payout-batches', { token: adminToken, body: { rail: 'bank_transfer', currency: 'USD' } });
  assert.ok(earlier.status === 201 || earlier.status === 409, earlier.text);

  const a = await workerWith(30_000_000);
  assert.equal((await setMethod(a, bankMethod)).status, 200);
  const b = await workerWith(10_000_000);
  assert.equal((await setMethod(b, { rail: 'bank_transfer', holder_name: 'Núñez, "Pepe"', account_number: '0123456789', bank_code: '01' })).status, 200);
  const pa = (await request(a, 25_000_000, 'a1')).json;
  const pb = (await request(b, 6_070_000, 'b1')).json;
  const listed = await srv.api('GET', '/api/v1/payouts?state=requested', { token: adminToken });
  assert.deepEqual(listed.json.items.map((p) => p.id), [pa.id, pb.id]);

  assert.equal(assertProblem(await srv.api('POST', '/api/v1/payout-batches', { token: adminToken, body: { rail: 'wire', currency: 'USD' } }), 422, 'INVALID_FIELD').field, '/rail');
  const created = await srv.api('POST', '/api/v1/payout-batches', { token: adminToken, body: { rail: 'bank_transfer', currency: 'USD' } });
  assert.equal(created.status, 201, created.text);
  const batch = created.json;
  fits('PayoutBatch', batch);
  assert.deepEqual([batch.rail, batch.currency, batch.state, batch.payout_count, batch.total_micros], ['bank_transfer', 'USD', 'created', 2, 31_070_000]);
  assertProblem(await srv.api('POST', '/api/v1/payout-batches', { token: adminToken, body: { rail: 'bank_transfer', currency: 'USD' } }), 409, 'PAYOUT_NOTHING_TO_BATCH');

  const file = await srv.api('GET', `/api/v1/payout-batches/${batch.id}/file`, { token: adminToken });
  assert.equal(file.status, 200);
  assert.match(file.headers.get('content-type'), /^text\/csv/);
  assert.equal(file.text,
    'payment_reference,beneficiary_name,beneficiary_account,beneficiary_bank_code,amount,currency,narrative\r\n' +
    `FLP${pa.id},Amina Wanjiru,DE89370400440532013000,COBADEFFXXX,25.00,USD,fairlabel payout FLP${pa.id}\r\n` +
    `FLP${pb.id},"Núñez, ""Pepe""",0123456789,01,6.07,USD,fairlabel payout FLP${pb.id}\r\n`);
  assert.equal(file.headers.get('x-content-sha256'), sha256(file.text));
  assert.equal(batch.file_sha256, sha256(file.text));
  assert.equal((await srv.api('GET', `/api/v1/payout-batches/${batch.id}/file`, { token: adminToken })).text, file.text, 'the same bytes again');
  assert.equal((await srv.api('GET', '/api/v1/me/payouts', { token: a.token })).json.items[0].state, 'in_batch');

  const sent = await srv.api('POST', `/api/v1/payout-batches/${batch.id}/sent`, { token: adminToken });
  assert.equal(sent.json.state, 'sent', sent.text);
  assert.equal((await srv.api('GET', '/api/v1/me/payouts', { token: a.token })).json.items[0].state, 'sent');

  const url = `/api/v1/payout-batches/${batch.id}/confirmation`;
  const bad = assertProblem(await srv.api('POST', url, { token: adminToken, ...csv(
    `payment_reference,status,bank_reference,amount,currency,reason\nFLP${pa.id},paid,BK-1,25.0,USD,\n`) }), 422, 'PAYOUT_FILE_INVALID');
  assert.match(bad.detail, /^line 2, column 4 \(amount\)/);
  const wrongAmount = assertProblem(await srv.api('POST', url, { token: adminToken, ...csv(
    `payment_reference,status,bank_reference,amount,currency,reason\nFLP${pa.id},paid,BK-1,25.01,USD,\n`) }), 422, 'PAYOUT_FILE_INVALID');
  assert.match(wrongAmount.detail, /^line 2, column 4: .*amount differs/);
  assert.equal((await balances(a)).in_transit_micros, 25_000_000, 'a refused file records nothing');

  const conf = `payment_reference,status,bank_reference,amount,currency,reason\r\nFLP${pa.id},paid,BK-2026-0001,25.00,USD,\r\nFLP${pb.id},failed,,6.07,USD,Account closed\r\n`;
  const done = await srv.api('POST', url, { token: adminToken, ...csv(conf) });
  assert.equal(done.status, 200, done.text);
  assert.deepEqual([done.json.confirmed, done.json.failed, done.json.unchanged, done.json.batch.state], [1, 1, 0, 'done']);
  fits('PayoutBatch', done.json.batch);
  fits('MyPayouts', (await srv.api('GET', '/api/v1/me/payouts', { token: b.token })).json);
  const replay = await srv.api('POST', url, { token: adminToken, ...csv(conf) });
  assert.deepEqual([replay.status, replay.json.confirmed, replay.json.failed, replay.json.unchanged], [200, 0, 0, 2], 'the same file again changes nothing');
  const contra = conf.replace('paid,BK-2026-0001,25.00,USD,', 'failed,,25.00,USD,Returned');
  assert.match(assertProblem(await srv.api('POST', url, { token: adminToken, ...csv(contra) }), 409, 'PAYOUT_STATE').detail, /^line 2: .*confirmed already/);

  assert.deepEqual(await balances(a), { available_micros: 5_000_000, in_transit_micros: 0, minimum_micros: 5_000_000 });
  const aItem = (await srv.api('GET', '/api/v1/me/payouts', { token: a.token })).json.items[0];
  assert.deepEqual([aItem.state, aItem.provider_reference, aItem.batch_id], ['confirmed', 'BK-2026-0001', batch.id]);
  assert.deepEqual(await balances(b), { available_micros: 10_000_000, in_transit_micros: 0, minimum_micros: 5_000_000 }, 'failed: re-credited');
  const bItem = (await srv.api('GET', '/api/v1/me/payouts', { token: b.token })).json.items[0];
  assert.deepEqual([bItem.state, bItem.failure_reason], ['failed', 'Account closed']);
  const causes = (await srv.api('GET', '/api/v1/me/earnings', { token: b.token })).json.lines.map((l) => [l.cause, l.available]);
  assert.deepEqual(causes.slice(0, 2), [['payout_recredit', 6_070_000], ['payout', -6_070_000]]);
  const notes = await srv.api('GET', '/api/v1/me/notifications', { token: b.token });
  assert.equal(notes.status, 200, notes.text);
  assert.ok(JSON.stringify(notes.json).includes('Account closed'), `the worker is told why: ${notes.text}`);
  const audit = [];
  for (let after = 0; ;) {
    const page = (await srv.api('GET', `/api/v1/audit?limit=500&after_id=${after}`, { token: adminToken })).json.items;
    if (!page.length) break;
    audit.push(...page);
    after = page.at(-1).id;
  }
  for (const action of ['payout.requested', 'payout_batch.created', 'payout_batch.sent', 'payout.confirmed', 'payout.failed', 'payout_batch.done']) {
    assert.ok(audit.some((e) => e.action === action), `audited: ${action}`);
  }
  // the confirmed money left through the external account; the failed one came back to available
  const legs = (target) => {
    const e = audit.find((x) => x.action === 'ledger.tx' && x.target === target);
    assert.ok(e, `ledger.tx ${target}`);
    return (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail).legs;
  };
  assert.deepEqual(legs(`payout_confirm:${pa.id}`), [{ in_transit: -25_000_000, owner: a.id }, { external: 25_000_000, owner: 0 }]);
  assert.deepEqual(legs(`payout_recredit:${pb.id}`), [{ in_transit: -6_070_000, owner: b.id }, { available: 6_070_000, owner: b.id }]);
  assertProblem(await srv.api('POST', `/api/v1/payout-batches/${batch.id}/sent`, { token: adminToken }), 409, 'PAYOUT_STATE');
  assertProblem(await srv.api('GET', `/api/v1/payout-batches/${batch.id + 1000}/file`, { token: adminToken }), 404, 'NOT_FOUND');
});

test('mobile money: the exact file, a confirmation by hand with a reference, a failure by hand', async () => {
  const w = await workerWith(20_000_000);
  const m = await setMethod(w, { rail: 'mobile_money', holder_name: 'Otieno Ochieng', phone: '+254 712 345 678', provider: 'mpesa' });
  assert.deepEqual([m.status, m.json.account, m.json.provider], [200, '+254712345678', 'MPESA']);
  const p1 = (await request(w, 5_000_000, 'm1')).json;
  const p2 = (await request(w, 6_000_000, 'm2')).json;
  const batch = (await srv.api('POST', '/api/v1/payout-batches', { token: adminToken, body: { rail: 'mobile_money', currency: 'USD' } })).json;
  assert.equal(batch.payout_count, 2);
  const file = await srv.api('GET', `/api/v1/payout-batches/${batch.id}/file`, { token: adminToken });
  assert.equal(file.text,
    'reference,msisdn,amount,currency,recipient_name,provider,narrative\r\n' +
    `FLP${p1.id},254712345678,5.00,USD,Otieno Ochieng,MPESA,fairlabel payout FLP${p1.id}\r\n` +
    `FLP${p2.id},254712345678,6.00,USD,Otieno Ochieng,MPESA,fairlabel payout FLP${p2.id}\r\n`);
  // a confirmation needs a reference
  assert.equal(assertProblem(await srv.api('POST', `/api/v1/payouts/${p1.id}/confirm`, { token: adminToken, body: {} }), 422, 'INVALID_FIELD').field, '/reference');
  const c = await srv.api('POST', `/api/v1/payouts/${p1.id}/confirm`, { token: adminToken, body: { reference: 'QK7ABC123' } });
  assert.deepEqual([c.status, c.json.state, c.json.provider_reference, c.json.replayed], [200, 'confirmed', 'QK7ABC123', false]);
  fits('Payout', c.json);
  const c2 = await srv.api('POST', `/api/v1/payouts/${p1.id}/confirm`, { token: adminToken, body: { reference: 'QK7ABC123' } });
  assert.deepEqual([c2.status, c2.json.replayed], [200, true]);
  assertProblem(await srv.api('POST', `/api/v1/payouts/${p1.id}/fail`, { token: adminToken, body: { reason: 'late' } }), 409, 'PAYOUT_STATE');
  const f = await srv.api('POST', `/api/v1/payouts/${p2.id}/fail`, { token: adminToken, body: { reason: 'Recipient not registered' } });
  assert.deepEqual([f.status, f.json.state, f.json.failure_reason], [200, 'failed', 'Recipient not registered']);
  assert.deepEqual(await balances(w), { available_micros: 15_000_000, in_transit_micros: 0, minimum_micros: 5_000_000 });
  assertProblem(await srv.api('POST', `/api/v1/payouts/${p2.id + 100000}/confirm`, { token: adminToken, body: { reference: 'x' } }), 404, 'NOT_FOUND');
  // a requested payout can be failed (cancelled) but not confirmed: it was never sent
  const p3 = (await request(w, 5_000_000, 'm3')).json;
  assertProblem(await srv.api('POST', `/api/v1/payouts/${p3.id}/confirm`, { token: adminToken, body: { reference: 'R' } }), 409, 'PAYOUT_STATE');
  assert.equal((await srv.api('POST', `/api/v1/payouts/${p3.id}/fail`, { token: adminToken, body: { reason: 'Cancelled on request' } })).json.state, 'failed');
  const batches = await srv.api('GET', '/api/v1/payout-batches', { token: adminToken });
  assert.equal(batches.json.items.find((x) => x.id === batch.id).state, 'done');
});

test('the CLI writes a batch file and reads its confirmation', async () => {
  const w = await workerWith(9_000_000);
  assert.equal((await setMethod(w, { rail: 'mobile_money', holder_name: 'Wanjiku', phone: '+254700000001', provider: 'AIRTEL' })).status, 200);
  const p = (await request(w, 9_000_000, 'cli1')).json;
  const out = join(dir, 'batch.csv');
  const made = await srv.cli(['payouts', 'batch', '--db', srv.dbUrl, '--rail', 'mobile_money', '--currency', 'USD', '--out', out]);
  const id = Number(/^batch (\d+): 1 payouts, 9\.00 USD/.exec(made.stdout)?.[1]);
  assert.ok(id > 0, made.stdout);
  assert.equal(readFileSync(out, 'utf8'), 'reference,msisdn,amount,currency,recipient_name,provider,narrative\r\n' +
    `FLP${p.id},254700000001,9.00,USD,Wanjiku,AIRTEL,fairlabel payout FLP${p.id}\r\n`);
  const none = await srv.cli(['payouts', 'batch', '--db', srv.dbUrl, '--rail', 'mobile_money', '--currency', 'USD', '--out', out], { allowFail: true });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no requested mobile_money payouts in USD/);
  const conf = join(dir, 'conf.csv');
  writeFileSync(conf, `reference,msisdn,status,transaction_id,amount,currency,reason\nFLP${p.id},254700000001,success,AT-991,9.00,USD,\n`);
  const badConf = join(dir, 'bad.csv');
  writeFileSync(badConf, `reference,msisdn,status,transaction_id,amount,currency,reason\nFLP${p.id},254700000002,success,AT-991,9.00,USD,\n`);
  const refused = await srv.cli(['payouts', 'confirm', '--db', srv.dbUrl, '--batch', String(id), '--file', badConf], { allowFail: true });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /line 2, column 2: .*phone number differs/);
  const ok = await srv.cli(['payouts', 'confirm', '--db', srv.dbUrl, '--batch', String(id), '--file', conf]);
  assert.match(ok.stdout, /1 confirmed, 0 failed/);
  const again = await srv.cli(['payouts', 'confirm', '--db', srv.dbUrl, '--batch', String(id), '--file', conf]);
  assert.match(again.stdout, /0 confirmed, 0 failed \(re-credited\), 1 already recorded/);
  const item = (await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).json.items[0];
  assert.deepEqual([item.state, item.provider_reference], ['confirmed', 'AT-991']);
  assert.deepEqual(await balances(w), { available_micros: 0, in_transit_micros: 0, minimum_micros: 5_000_000 });
});

/** The server's clock (moved by the test clock), from an admin call that moves it by 0. */
async function serverNow() {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 0 } });
  assert.equal(r.status, 200, r.text);
  return Date.parse(r.json.now);
}

function signed(body, t, secret = SECRET) {
  const text = JSON.stringify(body);
  const v1 = createHmac('sha256', secret).update(`${t}.${text}`).digest('hex');
  return { body: text, headers: { 'content-type': 'application/json', 'x-fairlabel-signature': `t=${t},v1=${v1}` } };
}

test('webhook deposits: a good signature credits escrow once; bad, old or replayed ones record nothing', async () => {
  const escrow = async () => (await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.balances.USD.escrow_micros;
  const before = await escrow();
  const event = { id: `evt_${randomId()}`, type: 'deposit.succeeded', requester_id: requester.id, amount_micros: 2_500_000, currency: 'USD', reference: `psp-${randomId()}` };
  const now = await serverNow();
  const hook = (opts) => srv.api('POST', '/api/v1/escrow/webhook', opts);
  const forged = signed(event, now, 'not-the-secret');
  assertProblem(await hook(forged), 401, 'PAYMENT_SIGNATURE_INVALID');
  assertProblem(await hook({ body: JSON.stringify(event), headers: { 'content-type': 'application/json' } }), 401, 'PAYMENT_SIGNATURE_INVALID');
  const tampered = signed(event, now);
  tampered.body = tampered.body.replace('2500000', '9500000');
  assertProblem(await hook(tampered), 401, 'PAYMENT_SIGNATURE_INVALID');
  assertProblem(await hook(signed(event, now - 6 * 60 * 1000)), 401, 'PAYMENT_SIGNATURE_STALE');
  assert.equal(await escrow(), before, 'nothing recorded');

  const ok = await hook(signed(event, now));
  assert.equal(ok.status, 201, ok.text);
  fits('WebhookDeposit', ok.json);
  assert.deepEqual([ok.json.event_id, ok.json.replayed, ok.json.amount_micros, ok.json.escrow_micros], [event.id, false, 2_500_000, before + 2_500_000]);
  assert.equal(await escrow(), before + 2_500_000);
  const replay = await hook(signed(event, await serverNow()));
  assert.deepEqual([replay.status, replay.json.replayed, replay.json.tx_id], [200, true, ok.json.tx_id]);
  fits('WebhookDeposit', replay.json);
  assert.equal(await escrow(), before + 2_500_000, 'a replayed event records nothing');
  // the same reference is the same deposit as through the admin route
  const admin = await srv.api('POST', '/api/v1/escrow/deposits', { token: adminToken, body: { requester_id: requester.id, amount_micros: 2_500_000, currency: 'USD', reference: event.reference } });
  assert.deepEqual([admin.status, admin.json.replayed, admin.json.tx_id], [200, true, ok.json.tx_id]);
  // a new event reusing a reference for another amount is refused and not recorded, so the provider may retry
  const clash = { ...event, id: `evt_${randomId()}`, amount_micros: 1_000_000 };
  assertProblem(await hook(signed(clash, await serverNow())), 409, 'DEPOSIT_REFERENCE_USED');
  const other = await hook(signed({ id: `evt_${randomId()}`, type: 'payout.paid' }, await serverNow()));
  assert.deepEqual([other.status, other.json.ignored], [200, true], 'other event types are acknowledged and ignored');
  const badField = await hook(signed({ ...event, id: `evt_${randomId()}`, requester_id: 999999 }, await serverNow()));
  assert.equal(assertProblem(badField, 422, 'INVALID_FIELD').field, '/requester_id');
  const line = (await srv.api('GET', '/api/v1/me/escrow', { token: rtoken })).json.lines.find((l) => l.tx_id === ok.json.tx_id);
  assert.deepEqual([line.cause, line.escrow], ['deposit', 2_500_000]);
});

test('weekly payouts: all available money once per ISO week, again after the test clock moves a week', async () => {
  const w = await workerWith(8_345_678);
  // the answer's 1 USD reward is approved now, so the review window passing later moves nothing
  const accepted = await srv.api('POST', `/api/v1/assignments/${w.assignmentId}/review`, { token: rtoken, body: { decision: 'accept' } });
  assert.equal(accepted.status, 200, accepted.text);
  assertProblem(await srv.api('PUT', '/api/v1/me/payout-schedule', { token: w.token, body: { weekly: true } }), 409, 'PAYOUT_METHOD_MISSING');
  assert.equal((await setMethod(w, bankMethod)).status, 200);
  assert.equal(assertProblem(await srv.api('PUT', '/api/v1/me/payout-schedule', { token: w.token, body: { weekly: 'yes' } }), 422, 'INVALID_FIELD').field, '/weekly');
  const on = await srv.api('PUT', '/api/v1/me/payout-schedule', { token: w.token, body: { weekly: true } });
  assert.deepEqual([on.status, on.json.weekly], [200, true]);
  const weekly = async (n) => {
    const deadline = Date.now() + 15000;
    for (;;) {
      const items = (await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).json.items.filter((p) => p.origin === 'weekly');
      if (items.length >= n || Date.now() > deadline) return items;
      await sleep(50);
    }
  };
  let items = await weekly(1);
  assert.equal(items.length, 1, 'the job asked for this week');
  assert.deepEqual([items[0].amount_micros, items[0].state], [9_340_000, 'requested'], 'all available money in whole cents');
  assert.equal((await balances(w)).available_micros, 5_678);
  await pay(w, 6_000_000);
  const moved = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: 7 * 86400000 } });
  assert.equal(moved.status, 200, moved.text);
  w.token = await srv.login(w.email, w.password); // a week outlives the session
  adminToken = await srv.login(admin.email, admin.password);
  items = await weekly(2);
  assert.equal(items.length, 2, 'and once more the next week');
  assert.equal(items[0].amount_micros, 6_000_000);
  assert.equal((await balances(w)).available_micros, 5_678);
  assert.equal((await srv.api('PUT', '/api/v1/me/payout-schedule', { token: w.token, body: { weekly: false } })).json.weekly, false);
  assert.equal((await srv.api('GET', '/api/v1/me/payouts', { token: w.token })).json.weekly, false);
});

test('`fairlabel ledger verify` is clean after all of it', async () => {
  const v = await srv.cli(['ledger', 'verify', '--db', srv.dbUrl]);
  assert.match(v.stdout, /ledger OK/);
  const a = await srv.cli(['audit', 'verify', '--db', srv.dbUrl]);
  assert.equal(a.code, 0);
});

test('a server refuses to start with a payout minimum above 5 USD', async () => {
  await assert.rejects(startServer({ env: { FAIRLABEL_PAYOUT_MIN_USD_MICROS: '5000001' } }), /FW-9 caps the payout minimum/);
});
