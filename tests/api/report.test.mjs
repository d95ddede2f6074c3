// FW-10 quarterly pay report and FW-24 requester accountability. On the test clock, answers take known active
// times (claim → advance the clock → submit, no heartbeats: the fallback is claim → submit wall time); the
// report's per-country p10/p50/p90 and shares of worker-hours below the minimum and living wage are recomputed
// here by hand from each answer's active_ms; the CLI prints the same bytes as the API; regenerating gives the
// same bytes in every format. Then requesters far above the norm in rejections are flagged by the periodic job
// and cleared by an admin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, createUserCli, register, assertProblem, makeProject, sleep, REPO_ROOT } from '../lib/server.mjs';
import { makeChecker } from '../lib/schema.mjs';

// replies must fit their schemas in docs/openapi.json
const { check } = makeChecker(JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8')));
const fits = (name, body) => assert.deepEqual(check({ $ref: `#/components/schemas/${name}` }, body), [], `${name}: ${JSON.stringify(body).slice(0, 300)}`);

let srv, adminToken, rtoken, requesterId;

before(async () => {
  srv = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_WORKER_FEE_BPS: '0' } });
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  requesterId = (await srv.api('GET', '/api/v1/me', { token: rtoken })).json.id;
});

after(async () => { await srv?.stop(); });

async function worker(s, country) {
  const w = await register(s.url, { country });
  const token = await s.login(w.email, w.password);
  return { ...w, token, id: (await s.api('GET', '/api/v1/me', { token })).json.id };
}

const advance = async (s, token, ms) => {
  const r = await s.api('POST', '/api/v1/test/clock', { token, body: { advance_ms: ms } });
  assert.equal(r.status, 200, r.text);
};

/** Claims a task, lets `minutes` pass on the server's clock, submits; returns {id, active_ms}. */
async function answer(s, w, projectId, minutes, clockToken) {
  const c = await s.api('POST', `/api/v1/projects/${projectId}/claim`, { token: w.token });
  assert.equal(c.status, 200, c.text);
  if (minutes) await advance(s, clockToken, minutes * 60000);
  const sub = await s.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
    token: w.token, body: { lease_token: c.json.lease_token, answer: { label: 'positive' } },
  });
  assert.equal(sub.status, 200, sub.text);
  return { id: c.json.assignment_id, active_ms: sub.json.active_ms };
}

const review = (s, token, id, decision) => s.api('POST', `/api/v1/assignments/${id}/review`, {
  token, body: decision === 'reject' ? { decision, reason_code: 'wrong_answer', note: 'Not what was asked.' } : { decision },
});

// ---- exact arithmetic as the server does it (BigInt, half-even) ----
const halfEven = (n, d) => {
  const q = n / d, r = n % d;
  return 2n * r > d || (2n * r === d && q % 2n === 1n) ? q + 1n : q;
};
/** Hours-weighted lower percentile: the first rate (ascending) where 100 × cumulative weight >= pct × total. */
const wpct = (samples, pct) => {
  const s = [...samples].sort((a, b) => (a.rate < b.rate ? -1 : a.rate > b.rate ? 1 : a.w < b.w ? -1 : a.w > b.w ? 1 : 0));
  const total = s.reduce((t, x) => t + x.w, 0n);
  let cum = 0n;
  for (const x of s) {
    cum += x.w;
    if (cum * 100n >= total * BigInt(pct)) return Number(x.rate);
  }
  throw new Error('no samples');
};

// Seed figures (data/seed): 1 KES = 0.00775 USD, 1 PHP = 0.0177 USD. KE minimum 16,113.75 KES a month over a
// 52-hour week = 16113.75 × 12 / 52 / 52 an hour; the lowest KE living wage 30,531 KES a month likewise. PH minimum
// 695 PHP a day over a 48-hour, 6-day week = 695 × 6 / 48; the lowest PH living wage 25,327 PHP a month / 48 h.
const COUNTRIES = {
  KE: { toLocal: (usd) => halfEven(usd * 100000n, 775n), minimum: halfEven(16113750000n * 12n, 52n * 52n),
    living: halfEven(30531000000n * 12n, 52n * 52n) },
  PH: { toLocal: (usd) => halfEven(usd * 10000n, 177n), minimum: halfEven(695000000n * 6n, 48n),
    living: halfEven(25327000000n * 12n, 52n * 48n) },
};

function expectCountry(code, answers) {
  const c = COUNTRIES[code];
  const usd = [], local = [];
  let hours = 0n, belowMin = 0n, belowLiving = 0n;
  for (const a of answers) {
    const w = BigInt(a.active_ms), earned = 1000000n, earnedLocal = c.toLocal(earned);
    usd.push({ rate: halfEven(earned * 3600000n, w), w });
    local.push({ rate: halfEven(earnedLocal * 3600000n, w), w });
    hours += w;
    if (earnedLocal * 3600000n < c.minimum * w) belowMin += w;
    if (earnedLocal * 3600000n < c.living * w) belowLiving += w;
  }
  return {
    active_ms: Number(hours),
    hourly_usd_micros: { p10: wpct(usd, 10), p50: wpct(usd, 50), p90: wpct(usd, 90) },
    hourly_local_micros: { p10: wpct(local, 10), p50: wpct(local, 50), p90: wpct(local, 90) },
    share_below_minimum_ppm: Number(halfEven(belowMin * 1000000n, hours)),
    share_below_living_ppm: Number(halfEven(belowLiving * 1000000n, hours)),
    minimum: Number(c.minimum),
    living: Number(c.living),
  };
}

const quarterOf = (iso) => {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
};

test('FW-10: per-country and per-project hourly pay percentiles and shares below the minimum and living wage; CLI = API; identical bytes when regenerated', async () => {
  const ke1 = await worker(srv, 'KE'), ke2 = await worker(srv, 'KE'), ke3 = await worker(srv, 'KE');
  const ph = await worker(srv, 'PH');
  // 1 USD an answer; a 2-hour lease bounds the measured time
  const p = await makeProject(srv, rtoken, {
    tasks: 7, publish: true, overlap: 1, reward_micros: 1000000, estimated_seconds: 60, lease_seconds: 7200,
  });
  // KE: 115 and 10 minutes (ke1), 80 and 12 (ke2), 15 (ke3); PH: 30 and 10
  const plan = [[ke1, 115], [ke2, 80], [ke3, 15], [ke2, 12], [ke1, 10], [ph, 30], [ph, 10]];
  const done = [];
  for (const [w, minutes] of plan) {
    const a = await answer(srv, w, p.id, minutes, adminToken);
    assert.ok(a.active_ms >= minutes * 60000 && a.active_ms < minutes * 60000 + 60000, `active_ms ${a.active_ms} for ${minutes} min`);
    done.push({ ...a, country: w.country });
  }
  for (const a of done) assert.equal((await review(srv, rtoken, a.id, 'accept')).status, 200);
  const lines = (await srv.api('GET', '/api/v1/me/earnings', { token: ke1.token })).json.lines;
  const quarter = quarterOf(lines.find((l) => l.cause === 'approval').created_at);

  const r = await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}&format=json`, { token: adminToken });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const rep = r.json;
  fits('PayReport', rep);
  assert.equal(rep.quarter, quarter);
  assert.deepEqual(rep.countries.map((c) => c.country), ['KE', 'PH'], 'countries sorted by code');
  for (const code of ['KE', 'PH']) {
    const got = rep.countries.find((c) => c.country === code);
    const want = expectCountry(code, done.filter((a) => a.country === code));
    assert.equal(got.active_ms, want.active_ms, `${code} worker-hours`);
    assert.deepEqual(got.hourly_usd_micros, want.hourly_usd_micros, `${code} USD percentiles`);
    assert.deepEqual(got.hourly_local_micros, want.hourly_local_micros, `${code} local percentiles`);
    assert.equal(got.minimum.hourly_local_micros, want.minimum, `${code} minimum`);
    assert.equal(got.living.hourly_local_micros, want.living, `${code} living wage`);
    assert.equal(got.share_below_minimum_ppm, want.share_below_minimum_ppm, `${code} share below the minimum`);
    assert.equal(got.share_below_living_ppm, want.share_below_living_ppm, `${code} share below the living wage`);
  }
  const ke = rep.countries[0];
  assert.equal(ke.workers, 3);
  assert.equal(ke.answers, 5);
  assert.equal(ke.earnings_usd_micros, 5000000);
  // by hand: the 115-minute hour is the only one under the KE minimum (0.52 USD/h < 0.55), 115 + 80 minutes under
  // the living wage; p10 is the 115-minute answer's rate, p50 the 80-minute one's (195 of 232 minutes), p90 the
  // 15-minute one's (210 of 232)
  assert.ok(Math.abs(ke.share_below_minimum_ppm - Math.round(115 / 232 * 1e6)) < 2000);
  assert.ok(Math.abs(ke.share_below_living_ppm - Math.round(195 / 232 * 1e6)) < 2000);
  assert.ok(Math.abs(ke.hourly_usd_micros.p50 - 750000) < 10000, JSON.stringify(ke.hourly_usd_micros));
  assert.ok(Math.abs(ke.hourly_usd_micros.p90 - 4000000) < 10000);
  assert.equal(ke.trend.length, 4);
  assert.equal(ke.trend[3].quarter, quarter);
  assert.equal(ke.trend[3].share_below_minimum_ppm, ke.share_below_minimum_ppm);
  assert.equal(ke.trend[0].share_below_minimum_ppm, null, 'no hours three quarters ago');
  const phr = rep.countries[1];
  assert.equal(phr.share_below_minimum_ppm, 0);
  assert.ok(rep.stale_benchmarks.includes('PH'), 'the PH living wage is low-confidence, so stale');
  assert.equal(rep.projects.length, 1);
  assert.equal(rep.projects[0].project_id, p.id);
  assert.equal(rep.projects[0].answers, 7);
  assert.equal(rep.projects[0].workers, 4);
  assert.deepEqual(rep.projects[0].countries, ['KE', 'PH']);
  assert.equal(rep.totals.answers, 7);
  assert.equal(rep.totals.active_ms, done.reduce((t, a) => t + a.active_ms, 0));

  // the same bytes again, in every format, and from the CLI
  const again = await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}`, { token: adminToken });
  assert.equal(again.text, r.text);
  const cli = await srv.cli(['report', 'pay', '--quarter', quarter, '--db', srv.dbUrl]);
  assert.equal(cli.stdout, r.text, 'the CLI prints what the API answers');
  const csv1 = await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}&format=csv`, { token: adminToken });
  const csv2 = await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}&format=csv`, { token: adminToken });
  assert.equal(csv1.status, 200);
  assert.match(csv1.headers.get('content-type'), /^text\/csv/);
  assert.equal(csv1.text, csv2.text);
  const rows = csv1.text.trim().split('\n');
  assert.match(rows[0], /^section,key,name,currency,answers,workers,worker_hours,/);
  assert.match(rows[1], /^country,KE,Kenya,KES,5,3,/);
  assert.match(rows.at(-1), new RegExp(`^total,${quarter},all answers,USD,7,4,`));
  const html1 = await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}&format=html`, { token: adminToken });
  const html2 = await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}&format=html`, { token: adminToken });
  assert.match(html1.headers.get('content-type'), /^text\/html/);
  assert.equal(html1.text, html2.text);
  assert.equal((html1.text.match(/class="ref-minimum"/g) || []).length, 2, 'a minimum line per country');
  assert.equal((html1.text.match(/class="ref-living"/g) || []).length, 2);
  assert.match(html1.text, /class="trend-minimum"/);
  const dir = mkdtempSync(join(tmpdir(), 'fl-report-'));
  try {
    await srv.cli(['report', 'pay', '--quarter', quarter, '--format', 'html', '--out', join(dir, 'r.html'), '--db', srv.dbUrl]);
    assert.equal(readFileSync(join(dir, 'r.html'), 'utf8'), html1.text);
    await srv.cli(['report', 'pay', '--quarter', quarter, '--format', 'csv', '--out', join(dir, 'r.csv'), '--db', srv.dbUrl]);
    assert.equal(readFileSync(join(dir, 'r.csv'), 'utf8'), csv1.text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // admins only; a bad quarter or format names the parameter
  assertProblem(await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}`, { token: rtoken }), 403, 'ROLE_FORBIDDEN');
  assert.equal(assertProblem(await srv.api('GET', '/api/v1/reports/pay?quarter=2026Q5', { token: adminToken }), 400, 'BAD_QUERY').field, 'quarter');
  assert.equal(assertProblem(await srv.api('GET', `/api/v1/reports/pay?quarter=${quarter}&format=xml`, { token: adminToken }), 400, 'BAD_QUERY').field, 'format');
  const bad = await srv.cli(['report', 'pay', '--quarter', 'soon', '--db', srv.dbUrl], { allowFail: true });
  assert.equal(bad.code, 2);

  // FW-24 metrics are public to signed-in users: this requester decided 7 answers, rejected none
  const m = await srv.api('GET', '/api/v1/requesters/metrics', { token: ph.token });
  assert.equal(m.status, 200, m.text);
  fits('RequesterMetrics', m.json);
  const mine = m.json.items.find((i) => i.requester_id === requesterId);
  assert.equal(mine.decisions, 7);
  assert.equal(mine.rejections, 0);
  assert.equal(mine.rejection_rate_ppm, 0);
  assert.equal(mine.answers_paid, 7);
  assert.equal(mine.median_hourly_usd_micros, expectCountry('KE', done).hourly_usd_micros.p50, 'hours-weighted median');
  assert.equal(mine.flagged, false);
  // submit → decision, read back from each answer's history; the lower median of the seven
  const waits = [];
  for (const a of done) {
    const h = (await srv.api('GET', `/api/v1/assignments/${a.id}/history`, { token: rtoken })).json;
    waits.push(Date.parse(h.reviews[0].created_at) - Date.parse(h.versions[0].created_at));
  }
  waits.sort((x, y) => x - y);
  assert.equal(mine.median_review_ms, waits[3]);
  assertProblem(await srv.api('GET', '/api/v1/requesters/metrics'), 401, 'AUTH_REQUIRED');
});

test('FW-10: top-ups (FW-6) count in the answers\' earnings and in the top-ups paid', async () => {
  const s = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_WORKER_FEE_BPS: '0' } });
  try {
    const admin = await createUserCli(s, { role: 'admin' });
    const at = await s.login(admin.email, admin.password);
    const rq = await createUserCli(s, { role: 'requester' });
    const rt = await s.login(rq.email, rq.password);
    const w = await worker(s, 'KE');
    // 0.1 USD an answer taking 4 minutes: 1.5 USD an hour, under the 2 USD floor, so FW-6 tops each one up
    const p = await makeProject(s, rt, { tasks: 10, publish: true, overlap: 1, reward_micros: 100000, estimated_seconds: 30 });
    const done = [];
    for (let i = 0; i < 10; i++) done.push(await answer(s, w, p.id, 4, at));
    for (const a of done) assert.equal((await review(s, rt, a.id, 'accept')).status, 200);
    const run = await s.api('POST', '/api/v1/topups/run', { token: at, body: { project_id: p.id } });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.json.runs[0].state, 'paid', run.text);
    const lines = (await s.api('GET', '/api/v1/me/earnings', { token: w.token })).json.lines;
    const topups = lines.filter((l) => l.cause === 'topup').reduce((t, l) => t + l.net, 0);
    assert.ok(topups > 0);
    const quarter = quarterOf(lines.find((l) => l.cause === 'approval').created_at);
    const rep = (await s.api('GET', `/api/v1/reports/pay?quarter=${quarter}`, { token: at })).json;
    fits('PayReport', rep);
    const ke = rep.countries.find((c) => c.country === 'KE');
    assert.equal(ke.topups_usd_micros, topups);
    assert.equal(ke.earnings_usd_micros, 10 * 100000 + topups);
    assert.equal(rep.projects[0].topups_micros, topups);
    assert.equal(ke.share_below_minimum_ppm, 0);
    // topped up to the floor at the median time (counted in whole seconds, rounded up): about 2 USD an hour now
    for (const k of ['p10', 'p50', 'p90']) {
      const v = ke.hourly_usd_micros[k];
      assert.ok(v >= 1_990_000 && v <= 2_020_000, JSON.stringify(ke.hourly_usd_micros));
    }
  } finally {
    await s.stop();
  }
});

test('FW-24: a requester rejecting far above the norm is flagged by the periodic job; an admin clears the flag with a note', async () => {
  const s = await startServer({ env: { FAIRLABEL_TEST_CLOCK: '1', FAIRLABEL_CALLBACK_UNIT_MS: '50' } });
  try {
    const admin = await createUserCli(s, { role: 'admin' });
    const at = await s.login(admin.email, admin.password);
    const reqs = [];
    for (let i = 0; i < 3; i++) {
      const u = await createUserCli(s, { role: 'requester' });
      const token = await s.login(u.email, u.password);
      reqs.push({ token, id: (await s.api('GET', '/api/v1/me', { token })).json.id });
    }
    const [bad, good1, good2] = reqs;
    const w = await worker(s, 'KE');
    // two requesters accept 20 answers each: the platform's median rejection rate is 0, so the bound is 20%
    for (const g of [good1, good2]) {
      const p = await makeProject(s, g.token, { tasks: 20, publish: true, overlap: 1 });
      for (let i = 0; i < 20; i++) {
        const a = await answer(s, w, p.id, 0, at);
        assert.equal((await review(s, g.token, a.id, 'accept')).status, 200);
      }
    }
    // one rejects 8 of 30 (26.7%): 3 apply, 5 are held (FW-4), all count as its rejections
    const p = await makeProject(s, bad.token, { tasks: 30, publish: true, overlap: 1 });
    const holdIds = [], ids = [];
    for (let i = 0; i < 30; i++) ids.push((await answer(s, w, p.id, 0, at)).id);
    for (let i = 0; i < 30; i++) {
      const rv = await review(s, bad.token, ids[i], i < 8 ? 'reject' : 'accept');
      assert.equal(rv.status, 200, rv.text);
      if (rv.json.hold) holdIds.push(rv.json.hold.id);
    }
    assert.equal(holdIds.length, 5);
    const m = (await s.api('GET', '/api/v1/requesters/metrics', { token: w.token })).json;
    const mb = m.items.find((i) => i.requester_id === bad.id);
    assert.equal(mb.decisions, 30);
    assert.equal(mb.rejections, 8);
    assert.equal(mb.rejection_rate_ppm, 266667);
    assert.equal(m.platform.median_rejection_rate_ppm, 0);
    assert.equal(m.platform.requesters_counted, 3);
    assert.equal(m.items.find((i) => i.requester_id === good1.id).rejection_rate_ppm, 0);

    // the job evaluates every 10 minutes of the server's clock
    await advance(s, at, 11 * 60000);
    let flags = [];
    for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(100)) {
      flags = (await s.api('GET', '/api/v1/requester-flags', { token: at })).json.items;
      if (flags.length) break;
    }
    assert.equal(flags.length, 1, 'only the requester far above the norm is flagged');
    fits('RequesterFlagList', { items: flags });
    assert.equal(flags[0].requester_id, bad.id);
    assert.deepEqual(flags[0].reasons.rules, ['rejection_rate']);
    assert.equal(flags[0].reasons.rejection_bound_ppm, 200000);
    assert.equal((await s.api('GET', '/api/v1/requesters/metrics', { token: w.token })).json.items
      .find((i) => i.requester_id === bad.id).flagged, true);
    const inbox = (await s.api('GET', '/api/v1/me/notifications', { token: bad.token })).json.items;
    assert.ok(inbox.some((n) => n.kind === 'requester_flagged'), JSON.stringify(inbox));

    // flagged: no new project is published; running ones continue
    const np = await makeProject(s, bad.token, { tasks: 1 });
    assertProblem(await s.api('POST', `/api/v1/projects/${np.id}/publish`, { token: bad.token }), 409, 'REQUESTER_FLAGGED');
    // only an admin clears it, with a note; audited
    assertProblem(await s.api('GET', '/api/v1/requester-flags', { token: bad.token }), 403, 'ROLE_FORBIDDEN');
    assertProblem(await s.api('POST', `/api/v1/requester-flags/${flags[0].id}/clear`, { token: bad.token, body: { note: 'me' } }), 403, 'ROLE_FORBIDDEN');
    assert.equal(assertProblem(await s.api('POST', `/api/v1/requester-flags/${flags[0].id}/clear`, { token: at, body: {} }), 422, 'INVALID_FIELD').field, '/note');
    const c = await s.api('POST', `/api/v1/requester-flags/${flags[0].id}/clear`, { token: at, body: { note: 'Spoke to them; the gold set was wrong.' } });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.state, 'cleared');
    fits('FlagCleared', c.json);
    assertProblem(await s.api('POST', `/api/v1/requester-flags/${flags[0].id}/clear`, { token: at, body: { note: 'again' } }), 409, 'FLAG_CLEARED');
    assert.equal((await s.api('POST', `/api/v1/projects/${np.id}/publish`, { token: bad.token })).status, 200, 'cleared: publishing again');
    assertProblem(await s.api('POST', '/api/v1/requester-flags/999999/clear', { token: at, body: { note: 'x' } }), 404, 'NOT_FOUND');
    assert.equal((await s.api('GET', '/api/v1/requester-flags?state=open', { token: at })).json.items.length, 0);
    assert.equal((await s.api('GET', '/api/v1/requester-flags?state=cleared', { token: at })).json.items[0].clear_note,
      'Spoke to them; the gold set was wrong.');
    assert.equal((await s.api('GET', '/api/v1/requesters/metrics', { token: w.token })).json.items
      .find((i) => i.requester_id === bad.id).flagged, false);
    const audit = (await s.api('GET', '/api/v1/audit?limit=500', { token: at })).json.items.map((a) => a.action);
    assert.ok(audit.includes('requester.flagged') && audit.includes('requester_flag.cleared'));

    for (const id of holdIds) {
      const d = await s.api('POST', `/api/v1/rejection-holds/${id}/decide`, { token: at, body: { decision: 'uphold', note: 'checked' } });
      assert.equal(d.status, 200, d.text);
    }
  } finally {
    await s.stop();
  }
});
