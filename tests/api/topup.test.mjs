// Active time, FW-6 top-ups, the FW-7 task card, FW-8 qualification pay and the notifications inbox, with the
// test clock: heartbeats counted, capped and idle; active_ms stored at submit; the weekly top-up to the floor at
// the median active time (to the micro, by hand), paid once; escrow short → owed + paused, settled by a deposit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, register, assertProblem, makeProject, importTasks, taskLines, sleep, eventually } from '../lib/server.mjs';

const DAY = 86_400_000;
let srv, admin, adminToken, requester, rtoken;

before(async () => {
  // sessions must outlive the days the test clock skips
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_SESSION_TTL: String(90 * 86400) } });
  admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  requester.id = (await srv.api('GET', '/api/v1/me', { token: rtoken })).json.id;
});

after(async () => { await srv?.stop(); });

async function worker(fields = {}) {
  const w = await register(srv.url, fields);
  return { ...w, token: await srv.login(w.email, w.password) };
}

async function advance(ms) {
  const r = await srv.api('POST', '/api/v1/test/clock', { token: adminToken, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
}

async function claim(token, projectId) {
  const r = await srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token });
  assert.equal(r.status, 200, `claim: ${r.text}`);
  return r.json;
}

function beat(token, c, visible = true, active = true) {
  return srv.api('POST', `/api/v1/assignments/${c.assignment_id}/heartbeat`, {
    token, body: { lease_token: c.lease_token, visible, active },
  });
}

async function submit(token, c) {
  const r = await srv.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
    token, body: { lease_token: c.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(r.status, 200, `submit: ${r.text}`);
  return r.json;
}

// One answer of exactly `units` × 30 s of active time: a beat every 31 s credits the 30 s cap each, and the
// submit 31 s after the last beat adds one more capped 30 s (real time between requests is under a second).
async function timedAnswer(token, projectId, units) {
  const c = await claim(token, projectId);
  for (let i = 0; i < units - 1; i++) {
    await advance(31_000);
    const b = await beat(token, c);
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.credited_ms, 30_000);
  }
  await advance(31_000);
  const s = await submit(token, c);
  assert.equal(s.active_ms, units * 30_000);
  return c;
}

async function earnings(token) {
  const r = await srv.api('GET', '/api/v1/me/earnings', { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test('heartbeats: visible and active time counted, gaps capped at 30 s, idle and hidden time not, fenced like submit', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 3, publish: true, reward_micros: 110000, estimated_seconds: 180 });
  const w = await worker();
  const c = await claim(w.token, p.id);
  // the clock also moves by the real milliseconds between requests: uncapped figures get a few seconds of slack
  const near = (v, ms) => assert.ok(v >= ms && v < ms + 5000, `${v} is not ${ms} ms (+ under 5 s)`);
  await advance(15_000);
  let b = await beat(w.token, c);
  assert.equal(b.status, 200, b.text);
  near(b.json.credited_ms, 15_000);
  const first = b.json.credited_ms;
  assert.equal(b.json.active_ms, first);
  assert.equal(b.json.beat_interval_ms, 15_000);
  await advance(15_000);
  b = await beat(w.token, c, true, false); // visible, no input: idle
  assert.equal(b.json.credited_ms, 0);
  await advance(100_000);
  b = await beat(w.token, c); // a long gap counts 30 s at most
  assert.equal(b.json.credited_ms, 30_000);
  await advance(15_000);
  b = await beat(w.token, c, false, true); // a background tab
  assert.equal(b.json.credited_ms, 0);
  assert.equal(b.json.active_ms, first + 30_000);
  // fenced: a wrong token, another worker, a bad body
  assertProblem(await srv.api('POST', `/api/v1/assignments/${c.assignment_id}/heartbeat`, {
    token: w.token, body: { lease_token: 'nope', visible: true, active: true },
  }), 409, 'LEASE_LOST');
  const other = await worker();
  assertProblem(await beat(other.token, c), 404, 'NOT_FOUND');
  assertProblem(await srv.api('POST', `/api/v1/assignments/${c.assignment_id}/heartbeat`, {
    token: w.token, body: { lease_token: c.lease_token, visible: 'yes', active: true },
  }), 422, 'INVALID_FIELD');
  await advance(10_000);
  const s = await submit(w.token, c);
  near(s.active_ms - first - 30_000, 10_000); // what the beats credited plus the 10 s since the last one
  assertProblem(await beat(w.token, c), 409, 'LEASE_LOST');

  // no beat at all: the wall time from claim to submit
  const c2 = await claim(w.token, p.id);
  await advance(42_000);
  const s2 = await submit(w.token, c2);
  near(s2.active_ms, 42_000);

  // an expired lease takes no beats, and the time never passes the lease
  const c3 = await claim(w.token, p.id);
  await advance(601_000);
  assertProblem(await beat(w.token, c3), 409, 'LEASE_LOST');
});

test('FW-6/FW-7: the median active time puts pay under the floor; every approved answer is topped up once', async () => {
  // 0.11 USD for 180 s is 2.20 USD an hour at the estimate, above the 2 USD platform floor (KE and US workers)
  const reward = 110000;
  const p = await makeProject(srv, rtoken, { tasks: 10, publish: true, reward_micros: reward, estimated_seconds: 180 });
  // a second project whose requester can pay only three of the ten top-ups
  const poor = await createUserCli(srv, { role: 'requester', escrow: 0 });
  const ptoken = await srv.login(poor.email, poor.password);
  const poorId = (await srv.api('GET', '/api/v1/me', { token: ptoken })).json.id;
  const q = await makeProject(srv, ptoken, { tasks: 10, reward_micros: reward, estimated_seconds: 180 });
  const cover = 10 * (reward + 11000);
  const topupCost = 40000 + 4000; // the top-up and the platform's 10% fee on it
  let dep = await srv.api('POST', '/api/v1/escrow/deposits', {
    token: adminToken,
    body: { requester_id: poorId, amount_micros: cover + 3 * topupCost + 20000, currency: 'USD', reference: `poor-${q.id}-1` },
  });
  assert.equal(dep.status, 201, dep.text);
  assert.equal((await srv.api('POST', `/api/v1/projects/${q.id}/publish`, { token: ptoken })).status, 200);

  const ke = await worker();
  const us = await worker({ country: 'US' });
  // active times in units of 30 s: sorted 8 8 9 9 9 9 10 10 11 12 → median 9 × 30 = 270 s
  const units = [8, 9, 10, 12, 9, 8, 9, 11, 10, 9];
  for (const [i, u] of units.entries()) {
    const w = i % 2 ? us : ke;
    await timedAnswer(w.token, p.id, u);
    await timedAnswer(w.token, q.id, u);
  }

  // FW-7: the card once ten answers are timed (the median is refreshed by a background job)
  const card = await eventually(async () => {
    const r = await srv.api('GET', `/api/v1/projects/${p.id}`, { token: ke.token });
    assert.equal(r.status, 200, r.text);
    return r.json.task_card.median_active_seconds !== null && r.json.task_card;
  }, 'the median on the task card');
  assert.equal(card.reward_micros, reward);
  assert.equal(card.estimated_seconds, 180);
  assert.equal(card.net_reward_micros, reward);
  assert.equal(card.hourly_micros, 2_200_000);
  assert.equal(card.hourly_usd_micros, 2_200_000);
  assert.equal(card.local_currency, 'KES');
  assert.equal(card.hourly_local_micros, 283_870_968); // 2.2 / 0.00775 KES, half-even
  assert.equal(card.floor_micros_per_hour, 2_000_000);
  assert.equal(card.meets_floor, true);
  assert.equal(card.timed_answers, 10);
  assert.equal(card.median_active_seconds, 270);
  assert.equal(card.hourly_at_median_micros, 1_466_667); // 0.11 × 3600 / 270, half-even
  assert.equal(card.topped_up_at_median, true);
  const listed = await srv.api('GET', '/api/v1/projects', { token: us.token });
  const lp = listed.json.items.find((x) => x.id === p.id);
  assert.equal(lp.task_card.hourly_micros, 2_200_000);
  assert.equal(lp.task_card.local_currency, 'USD');
  assert.equal(lp.task_card.hourly_local_micros, 2_200_000);
  const asRequester = await srv.api('GET', `/api/v1/projects/${p.id}`, { token: rtoken });
  assert.equal(asRequester.json.task_card, undefined, 'cards are for workers');

  // not approved yet: a run now finds too few approved answers and records nothing
  let run = await srv.api('POST', '/api/v1/topups/run', { token: adminToken, body: { project_id: p.id } });
  assert.equal(run.status, 200, run.text);
  assert.equal(run.json.runs[0].created, false);
  assert.equal(run.json.runs[0].state, 'too_few_answers');

  // the review window passes: everything is approved, and the weekly job tops up
  await advance(8 * DAY);
  const runs = await eventually(async () => {
    const r = await srv.api('GET', `/api/v1/projects/${p.id}/topups`, { token: rtoken });
    assert.equal(r.status, 200, r.text);
    return r.json.runs.length > 0 && r.json.runs;
  }, 'the top-up run');
  // by hand: ceil(2,000,000 × 270 / 3600) − 110,000 = 150,000 − 110,000 = 40,000 per answer
  assert.equal(runs[0].median_active_ms, 270_000);
  assert.equal(runs[0].answers, 10);
  assert.equal(runs[0].total_micros, 400_000);
  assert.equal(runs[0].owed_micros, 0);
  assert.equal(runs[0].state, 'paid');
  assert.match(runs[0].period, /^\d{4}-W\d{2}$/);
  assert.deepEqual(runs[0].floor_info.floors_micros_per_hour, { KE: 2_000_000, US: 2_000_000 });
  for (const w of [ke, us]) {
    const e = await earnings(w.token);
    const lines = e.lines.filter((l) => l.cause === 'topup' && l.memo === p.name);
    assert.equal(lines.length, 5);
    for (const l of lines) {
      assert.deepEqual([l.gross, l.fee, l.net, l.available], [40000, 0, 40000, 40000]);
    }
  }
  const esc = await srv.api('GET', '/api/v1/me/escrow', { token: rtoken });
  const escLines = esc.json.lines.filter((l) => l.cause === 'topup');
  assert.equal(escLines.length, 10);
  assert.ok(escLines.every((l) => l.escrow === -44000));

  // a second run in the same week pays nothing; neither does next week's (already topped up)
  run = await srv.api('POST', '/api/v1/topups/run', { token: adminToken, body: { project_id: p.id } });
  assert.equal(run.json.runs[0].created, false);
  await advance(7 * DAY);
  run = await srv.api('POST', '/api/v1/topups/run', { token: adminToken, body: { project_id: p.id } });
  assert.equal(run.status, 200, run.text);
  const again = await srv.api('GET', `/api/v1/projects/${p.id}/topups`, { token: rtoken });
  assert.equal(again.json.runs.length, 2);
  assert.equal(again.json.runs[0].total_micros, 0);
  assert.equal(again.json.runs[0].state, 'nothing');
  // the CLI (its own clock: the real week) runs the same job; nothing more is due for these answers
  const cliRun = await srv.cli(['topup', 'run', '--db', srv.dbUrl, '--project', String(p.id)]);
  const cliLine = JSON.parse(cliRun.stdout.trim().split('\n')[0]);
  assert.equal(cliLine.project_id, p.id);
  assert.ok(cliLine.created === false || cliLine.total_micros === 0, cliRun.stdout);
  const keLines = (await earnings(ke.token)).lines.filter((l) => l.cause === 'topup' && l.memo === p.name);
  assert.equal(keLines.length, 5, 'no answer is topped up twice');

  // the poor requester: three paid, seven owed, the project paused
  const qr = (await srv.api('GET', `/api/v1/projects/${q.id}/topups`, { token: ptoken })).json.runs;
  const short = qr[qr.length - 1];
  assert.equal(short.state, 'short');
  assert.equal(short.total_micros, 120_000);
  assert.equal(short.owed_micros, 280_000);
  const qp = await srv.api('GET', `/api/v1/projects/${q.id}`, { token: ptoken });
  assert.equal(qp.json.status, 'paused');
  const inbox = await srv.api('GET', '/api/v1/me/notifications', { token: ptoken });
  assert.ok(inbox.json.items.some((n) => n.kind === 'topup' && /owed/.test(n.body)), JSON.stringify(inbox.json));
  // a deposit settles what is owed
  dep = await srv.api('POST', '/api/v1/escrow/deposits', {
    token: adminToken, body: { requester_id: poorId, amount_micros: 1_000_000, currency: 'USD', reference: `poor-${q.id}-2` },
  });
  assert.equal(dep.status, 201, dep.text);
  assert.equal(dep.json.escrow_micros, 20000 + 1_000_000 - 7 * topupCost);
  const settled = (await srv.api('GET', `/api/v1/projects/${q.id}/topups`, { token: ptoken })).json.runs;
  const s0 = settled.find((x) => x.id === short.id);
  assert.equal(s0.owed_micros, 0);
  assert.equal(s0.total_micros, 400_000);
  assert.equal(s0.state, 'paid');
  const qLines = (await earnings(us.token)).lines.filter((l) => l.cause === 'topup' && l.memo === q.name);
  assert.equal(qLines.length, 5);

  // notifications: the worker was told, and reads it
  const mine = await srv.api('GET', '/api/v1/me/notifications', { token: ke.token });
  assert.equal(mine.status, 200, mine.text);
  // one notification per run: five answers × 0.04 USD
  const n = mine.json.items.find((x) => x.kind === 'topup' && x.title === `Top-up of 0.2 USD for ${p.name}`);
  assert.ok(n, JSON.stringify(mine.json));
  assert.match(n.body, /270 seconds/);
  assert.equal(n.read_at, null);
  assert.equal(n.link, '/worker#earnings');
  const unread = mine.json.unread;
  assert.ok(unread >= 1);
  assertProblem(await srv.api('POST', `/api/v1/me/notifications/${n.id}/read`, { token: us.token }), 404, 'NOT_FOUND');
  const read = await srv.api('POST', `/api/v1/me/notifications/${n.id}/read`, { token: ke.token });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.json.unread, unread - 1);
  const reread = await srv.api('POST', `/api/v1/me/notifications/${n.id}/read`, { token: ke.token });
  assert.equal(reread.json.read_at, read.json.read_at, 'the first read time stays');
  const after1 = await srv.api('GET', '/api/v1/me/notifications?limit=1', { token: ke.token });
  assert.equal(after1.json.items.length, 1);
  assert.equal(after1.json.unread, unread - 1);
});

test('FW-8: a qualification answer is paid into the ledger for the longer of the estimate and its active time', async () => {
  const p = await makeProject(srv, rtoken, {
    reward_micros: 110000, estimated_seconds: 180, quality: { qualification: { pass_mark: 0.5 } },
  });
  await importTasks(srv, rtoken, p.id, [
    { data: { text: 'q1' }, external_id: 'q1', gold: { answer: { label: 'positive' }, qualification: true } },
    { data: { text: 'q2' }, external_id: 'q2', gold: { answer: { label: 'positive' }, qualification: true } },
    ...taskLines(2, 'n'),
  ]);
  assert.equal((await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken })).status, 200);
  const w = await worker();
  const before = await earnings(w.token);
  const availBefore = before.balances.USD?.available_micros ?? 0;
  // 10 × 30 s active: 300 s beats the 180 s estimate; 2.2 USD an hour (above the floor) → ceil(2.2 × 300 / 3600)
  const c1 = await claim(w.token, p.id);
  assert.equal(c1.stage, 'qualification');
  for (let i = 0; i < 9; i++) {
    await advance(31_000);
    assert.equal((await beat(w.token, c1)).json.credited_ms, 30_000);
  }
  await advance(31_000);
  await submit(w.token, c1);
  // answered at once: the estimate is paid
  const c2 = await claim(w.token, p.id);
  assert.equal(c2.stage, 'qualification');
  await submit(w.token, c2);
  const e = await earnings(w.token);
  const q = e.lines.filter((l) => l.cause === 'qualification');
  assert.deepEqual(q.map((l) => l.net).sort((a, b) => a - b), [110000, 183334]);
  assert.ok(q.every((l) => l.gross === l.net && l.fee === 0));
  assert.equal(e.balances.USD.available_micros - availBefore, 110000 + 183334);
  const me = await srv.api('GET', '/api/v1/me/quality', { token: w.token });
  const rows = me.json.qualification_pay.filter((o) => o.project_id === p.id);
  assert.deepEqual(rows.map((o) => [o.seconds_ms, o.owed_micros, o.state]).sort((a, b) => a[0] - b[0]),
    [[180000, 110000, 'paid'], [300000, 183334, 'paid']]);
  assert.ok(rows.every((o) => o.rate_micros_per_hour === 2_200_000 && Number.isInteger(o.tx_id)));
});
