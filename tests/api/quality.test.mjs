// Quality control over HTTP: gold mixing rate and scoring, dynamic overlap stopping at the target,
// qualification pass and fail (with the time owed, FW-8), skills, review accept / reject / fix (a
// rejection without a published reason and a note is refused, FW-3), answer versions, priority, the
// results view, the worker's own quality page, and exports carrying the consensus and its confidence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, register, assertProblem, makeProject, importTasks, exportLines } from '../lib/server.mjs';

let srv, rtoken, adminToken, reviewer, revToken, otherToken;
const otherRequesterToken = () => otherToken;

before(async () => {
  srv = await startServer();
  const requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  const admin = await createUserCli(srv, { role: 'admin' });
  adminToken = await srv.login(admin.email, admin.password);
  reviewer = await createUserCli(srv, { role: 'reviewer' });
  revToken = await srv.login(reviewer.email, reviewer.password);
  reviewer.id = (await srv.api('GET', '/api/v1/me', { token: revToken })).json.id;
  const other = await createUserCli(srv, { role: 'requester' });
  otherToken = await srv.login(other.email, other.password);
});

after(async () => { await srv?.stop(); });

async function worker() {
  const w = await register(srv.url);
  return { ...w, token: await srv.login(w.email, w.password) };
}

async function claim(token, projectId) {
  return srv.api('POST', `/api/v1/projects/${projectId}/claim`, { token });
}

async function submit(token, c, answer) {
  const r = await srv.api('POST', `/api/v1/assignments/${c.assignment_id}/submit`, {
    token, body: { lease_token: c.lease_token, answer },
  });
  assert.equal(r.status, 200, `submit: ${r.text}`);
  return r.json;
}

const gold = (i, label, explanation) => ({
  data: { text: `gold text ${i}` }, external_id: `g${i}`, gold: { answer: { label }, explanation },
});
const normal = (i) => ({ data: { text: `text ${i}` }, external_id: `n${i}` });

test('gold tasks: the first K then about p% of the feed, indistinguishable, scored, explained to the worker', async () => {
  const p = await makeProject(srv, rtoken, { quality: { gold: { first: 2, percent: 25 } } });
  assert.deepEqual(p.quality.gold, { first: 2, percent: 25 });
  const imp = await importTasks(srv, rtoken, p.id, [
    ...Array.from({ length: 30 }, (_, i) => gold(i, i % 2 ? 'negative' : 'positive', `Gold ${i} is ${i % 2 ? 'negative' : 'positive'}.`)),
    ...Array.from({ length: 60 }, (_, i) => normal(i)),
  ]);
  assert.equal(imp.gold, 30);
  assert.equal(imp.task_count, 60, 'gold tasks are not counted as work');
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  const kinds = [];
  let keys;
  for (let i = 0; i < 42; i++) {
    const c = await claim(w.token, p.id);
    assert.equal(c.status, 200, c.text);
    const k = Object.keys(c.json).sort().join(',') + '|' + Object.keys(c.json.task).sort().join(',');
    if (keys) assert.equal(k, keys, 'a gold claim has exactly the shape of a normal one');
    keys = k;
    assert.equal(c.json.stage, 'work');
    const isGold = c.json.task.external_id.startsWith('g');
    kinds.push(isGold);
    // answer gold 0..: always "positive", so odd gold tasks are mistakes
    await submit(w.token, c.json, { label: 'positive' });
  }
  assert.deepEqual(kinds.slice(0, 2), [true, true], 'the first two tasks are gold');
  const later = kinds.slice(2);
  const share = later.filter(Boolean).length / later.length;
  assert.ok(share >= 0.2 && share <= 0.3, `gold share after the first two is ${share} (target 0.25, within one task)`);

  const me = await srv.api('GET', '/api/v1/me/quality', { token: w.token });
  assert.equal(me.status, 200, me.text);
  const mine = me.json.projects.find((x) => x.project_id === p.id);
  const nGold = kinds.filter(Boolean).length;
  assert.equal(mine.gold_answered, nGold);
  const wrong = me.json.gold.filter((g) => g.project_id === p.id && g.score === 0);
  assert.ok(wrong.length >= 1, 'some gold answers were wrong');
  for (const g of wrong) {
    assert.deepEqual(g.answer, { label: 'positive' });
    assert.deepEqual(g.expected, { label: 'negative' });
    assert.match(g.explanation, /is negative/);
    assert.match(g.difference, /negative/);
  }
  assert.ok(Math.abs(mine.gold_accuracy - (nGold - wrong.length) / nGold) < 1e-9);

  // the requester's worker table shows the same figures; the results view filters gold
  const table = await srv.api('GET', `/api/v1/projects/${p.id}/workers`, { token: rtoken });
  assert.equal(table.status, 200, table.text);
  const row = table.json.items.find((x) => x.worker_id === w.id);
  assert.equal(row.gold_answered, nGold);
  const goldView = await srv.api('GET', `/api/v1/projects/${p.id}/results?filter=gold&limit=500`, { token: rtoken });
  assert.equal(goldView.status, 200, goldView.text);
  assert.equal(goldView.json.items.length, 30);
  assert.ok(goldView.json.items.every((t) => t.gold === true && t.gold_answer));
  // gold tasks are not deliverables: exports leave them out
  const lines = await exportLines(srv, rtoken, p.id);
  assert.equal(lines.length, 60);
  assert.ok(lines.every((l) => l.external_id.startsWith('n')));
});

test('dynamic overlap: asks for more answers while confidence is below the target, stops at it or at max_overlap', async () => {
  const p = await makeProject(srv, rtoken, {
    overlap: 2, quality: { max_overlap: 4, target_confidence: 0.9, aggregation: { method: 'mv' } },
  });
  await importTasks(srv, rtoken, p.id, [normal('agree'), normal('split')]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const answers = { nagree: ['positive', 'positive'], nsplit: ['positive', 'negative', 'negative', 'positive'] };
  const ws = await Promise.all([1, 2, 3, 4, 5].map(() => worker()));
  const got = { nagree: 0, nsplit: 0 };
  for (const w of ws) {
    for (;;) {
      const c = await claim(w.token, p.id);
      if (c.status === 204) break;
      assert.equal(c.status, 200, c.text);
      const ext = c.json.task.external_id;
      await submit(w.token, c.json, { label: answers[ext][got[ext]++] });
    }
  }
  assert.equal(got.nagree, 2, 'two agreeing answers reach confidence 1: no third answer');
  assert.equal(got.nsplit, 4, 'a split task gets answers up to max_overlap');
  const res = await srv.api('GET', `/api/v1/projects/${p.id}/results`, { token: rtoken });
  const byExt = Object.fromEntries(res.json.items.map((t) => [t.external_id, t]));
  assert.equal(byExt.nagree.confidence, 1);
  assert.equal(byExt.nagree.final, true);
  assert.equal(byExt.nagree.overlap, 2);
  assert.equal(byExt.nsplit.overlap, 4);
  assert.equal(byExt.nsplit.final, true);
  assert.equal(byExt.nsplit.confidence, 0.5);
  assert.deepEqual(byExt.nsplit.result, { label: 'positive' }, 'ties go to the label listed first');
  assert.equal(byExt.nsplit.answers.length, 4);
  const low = await srv.api('GET', `/api/v1/projects/${p.id}/results?filter=low_confidence&below=0.9`, { token: rtoken });
  assert.deepEqual(low.json.items.map((t) => t.external_id), ['nsplit']);
  const dis = await srv.api('GET', `/api/v1/projects/${p.id}/results?filter=disagreement`, { token: rtoken });
  assert.deepEqual(dis.json.items.map((t) => t.external_id), ['nsplit']);
  // the export carries the consensus with its confidence beside the raw answers
  const lines = await exportLines(srv, rtoken, p.id);
  const split = lines.find((l) => l.external_id === 'nsplit');
  assert.deepEqual(split.result.answer, { label: 'positive' });
  assert.equal(split.result.confidence, 0.5);
  assert.equal(split.result.method, 'majority_vote');
  assert.equal(split.result.final, true);
  assert.equal(split.answers.length, 4);
  const csv = await srv.api('GET', `/api/v1/projects/${p.id}/export?format=csv`, { token: rtoken });
  assert.match(csv.text, /,consensus,0\.5\r\n/);
});

test('qualification: a fixed test with a pass mark, paid for its time (FW-8); failing blocks, passing sets the skill', async () => {
  const p = await makeProject(srv, rtoken, {
    estimated_seconds: 36, reward_micros: 100000, // 10 USD an hour at the estimate
    quality: { qualification: { pass_mark: 0.6, skill: 'sentiment' } },
  });
  await importTasks(srv, rtoken, p.id, [
    { ...gold(1, 'positive'), gold: { answer: { label: 'positive' }, qualification: true } },
    { ...gold(2, 'negative'), gold: { answer: { label: 'negative' }, qualification: true } },
    { ...gold(3, 'neutral'), gold: { answer: { label: 'neutral' }, qualification: true } },
    normal(1), normal(2),
  ]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });

  const good = await worker();
  for (const label of ['positive', 'negative', 'positive']) { // 2 of 3 right: 0.67 ≥ 0.6
    const c = await claim(good.token, p.id);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.stage, 'qualification');
    assert.ok(c.json.task.external_id.startsWith('g'));
    await submit(good.token, c.json, { label });
  }
  const work = await claim(good.token, p.id);
  assert.equal(work.status, 200, work.text);
  assert.equal(work.json.stage, 'work');
  const me = await srv.api('GET', '/api/v1/me/quality', { token: good.token });
  const q = me.json.qualifications.find((x) => x.project_id === p.id);
  assert.equal(q.state, 'passed');
  assert.ok(Math.abs(q.score - 2 / 3) < 1e-6);
  assert.deepEqual(me.json.skills.map((s) => [s.skill, s.value]), [['sentiment', 67]]);
  const owed = me.json.qualification_pay.filter((o) => o.project_id === p.id);
  assert.equal(owed.length, 3, 'each test answer is owed pay');
  for (const o of owed) {
    assert.equal(o.rate_micros_per_hour, 10_000_000);
    assert.equal(o.currency, 'USD');
    assert.equal(o.owed_micros, Math.round(o.rate_micros_per_hour * o.seconds_ms / 3_600_000));
  }

  const bad = await worker();
  for (const label of ['negative', 'positive', 'positive']) { // 0 of 3
    const c = await claim(bad.token, p.id);
    await submit(bad.token, c.json, { label });
  }
  const refused = await claim(bad.token, p.id);
  const prob = assertProblem(refused, 403, 'QUALIFICATION_FAILED');
  assert.match(prob.detail, /0%.*60%/);
});

test('required skills: claims are refused with the skill named until an admin sets it', async () => {
  const p = await makeProject(srv, rtoken, { tasks: 2, publish: true, quality: { required_skills: { medical: 60 } } });
  const w = await worker();
  const r = await claim(w.token, p.id);
  const prob = assertProblem(r, 403, 'SKILL_REQUIRED');
  assert.equal(prob.field, '/quality/required_skills/medical');
  const bad = await srv.api('PUT', `/api/v1/users/${w.id}/skills`, { token: adminToken, body: { skill: 'medical', value: 101 } });
  assertProblem(bad, 422, 'INVALID_FIELD');
  assert.equal(bad.json.field, '/value');
  const low = await srv.api('PUT', `/api/v1/users/${w.id}/skills`, { token: adminToken, body: { skill: 'medical', value: 59 } });
  assert.equal(low.status, 200, low.text);
  assertProblem(await claim(w.token, p.id), 403, 'SKILL_REQUIRED');
  await srv.api('PUT', `/api/v1/users/${w.id}/skills`, { token: adminToken, body: { skill: 'medical', value: 60 } });
  assert.equal((await claim(w.token, p.id)).status, 200);
  assertProblem(await srv.api('PUT', `/api/v1/users/${w.id}/skills`, { token: rtoken, body: { skill: 'x', value: 1 } }),
    403, 'ROLE_FORBIDDEN');
});

test('priority: tasks closest to completion first, then the requester\'s priority', async () => {
  const p = await makeProject(srv, rtoken, { overlap: 2 });
  await importTasks(srv, rtoken, p.id, [
    { ...normal('low'), priority: -5 }, { ...normal('mid') }, { ...normal('high'), priority: 10 },
  ]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const [a, b] = [await worker(), await worker()];
  const c1 = await claim(a.token, p.id);
  assert.equal(c1.json.task.external_id, 'nhigh', 'highest priority first among equally complete tasks');
  await submit(a.token, c1.json, { label: 'positive' });
  const c2 = await claim(a.token, p.id);
  assert.equal(c2.json.task.external_id, 'nmid');
  const c3 = await claim(b.token, p.id);
  assert.equal(c3.json.task.external_id, 'nhigh', 'the task one answer from done comes first');
});

test('review: sampled answers queue for assigned reviewers; accept, reject (reason + note, FW-3), fix as a new version', async () => {
  const p = await makeProject(srv, rtoken, {
    quality: { review: { mode: 'all' }, reject_reasons: [{ code: 'wrong_label', title: 'The label does not fit the text' }] },
  });
  await importTasks(srv, rtoken, p.id, [normal(1), normal(2), normal(3)]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  const done = [];
  for (let i = 0; i < 3; i++) {
    const c = await claim(w.token, p.id);
    done.push(await submit(w.token, c.json, { label: 'positive' }));
  }
  // a reviewer not assigned to the project sees nothing
  assertProblem(await srv.api('GET', `/api/v1/projects/${p.id}/review/next`, { token: revToken }), 404, 'NOT_FOUND');
  const add = await srv.api('POST', `/api/v1/projects/${p.id}/reviewers`, { token: rtoken, body: { user_id: reviewer.id } });
  assert.equal(add.status, 201, add.text);
  const next = await srv.api('GET', `/api/v1/projects/${p.id}/review/next`, { token: revToken });
  assert.equal(next.status, 200, next.text);
  assert.equal(next.json.assignment_id, done[0].assignment_id);
  assert.deepEqual(next.json.answer, { label: 'positive' });
  assert.deepEqual(next.json.reject_reasons, [{ code: 'wrong_label', title: 'The label does not fit the text' }]);
  assert.ok(next.json.task.data.text);

  const url = (a) => `/api/v1/assignments/${a.assignment_id}/review`;
  // FW-3: a rejection needs a published reason code and a note; nothing changes without them
  let r = await srv.api('POST', url(done[0]), { token: revToken, body: { decision: 'reject', note: 'wrong' } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/reason_code');
  r = await srv.api('POST', url(done[0]), { token: revToken, body: { decision: 'reject', reason_code: 'wrong_label' } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/note');
  r = await srv.api('POST', url(done[0]), { token: revToken, body: { decision: 'reject', reason_code: 'wrong_label', note: '  ' } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/note');
  r = await srv.api('POST', url(done[0]), { token: revToken, body: { decision: 'reject', reason_code: 'made_up', note: 'x' } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/reason_code');
  r = await srv.api('POST', url(done[0]), { token: revToken, body: { decision: 'fix', answer: { label: 'purple' } } });
  assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, '/answer/label');
  const again = await srv.api('GET', `/api/v1/projects/${p.id}/review/next`, { token: revToken });
  assert.equal(again.json.assignment_id, done[0].assignment_id, 'refused decisions left it pending');

  r = await srv.api('POST', url(done[0]), {
    token: revToken, body: { decision: 'reject', reason_code: 'wrong_label', note: 'The text is clearly negative.' },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.review_state, 'rejected');
  assertProblem(await srv.api('POST', url(done[0]), { token: revToken, body: { decision: 'accept' } }), 409, 'REVIEW_DECIDED');
  r = await srv.api('POST', url(done[1]), { token: revToken, body: { decision: 'fix', answer: { label: 'neutral' } } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.answer_version, 2);
  r = await srv.api('POST', url(done[2]), { token: revToken, body: { decision: 'accept' } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await srv.api('GET', `/api/v1/projects/${p.id}/review/next`, { token: revToken })).status, 204);

  // every version is kept, with who made it and when
  const h = await srv.api('GET', `/api/v1/assignments/${done[1].assignment_id}/history`, { token: w.token });
  assert.equal(h.status, 200, h.text);
  assert.deepEqual(h.json.versions.map((v) => [v.version, v.answer.label, v.source]), [[1, 'positive', 'worker'], [2, 'neutral', 'review_fix']]);
  assert.equal(h.json.versions[1].author_id, reviewer.id);
  assert.equal(h.json.reviews[0].decision, 'fix');
  const stranger = await worker();
  assertProblem(await srv.api('GET', `/api/v1/assignments/${done[1].assignment_id}/history`, { token: stranger.token }), 404, 'NOT_FOUND');

  // the worker sees each decision, its reason and the human who took it
  const mine = await srv.api('GET', '/api/v1/me/reviews', { token: w.token });
  assert.equal(mine.status, 200, mine.text);
  const rej = mine.json.items.find((x) => x.assignment_id === done[0].assignment_id);
  assert.equal(rej.decision, 'reject');
  assert.equal(rej.reason_code, 'wrong_label');
  assert.equal(rej.reason_title, 'The label does not fit the text');
  assert.equal(rej.note, 'The text is clearly negative.');
  assert.equal(rej.reviewer_id, reviewer.id);
  assert.equal(rej.reviewer_name, reviewer.display_name);

  // FW-3: rejected work is not delivered; the fix is what the export carries; the task is offered again
  const lines = await exportLines(srv, rtoken, p.id);
  const byExt = Object.fromEntries(lines.map((l) => [l.external_id, l]));
  assert.equal(byExt.n1.answers.length, 0);
  assert.equal(byExt.n1.result, null);
  assert.deepEqual(byExt.n2.answers[0].answer, { label: 'neutral' });
  assert.equal(byExt.n2.answers[0].review_state, 'fixed');
  assert.deepEqual(byExt.n2.result.answer, { label: 'neutral' });
  assert.equal(byExt.n3.answers[0].review_state, 'accepted');
  const w2 = await worker();
  const re = await claim(w2.token, p.id);
  assert.equal(re.json.task.external_id, 'n1');
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken });
  assert.ok(audit.json.items.some((e) => e.action === 'review.reject' && e.actor_id === reviewer.id));
});

test('review sampling: a percentage, or only tasks whose result is below a confidence', async () => {
  const p = await makeProject(srv, rtoken, { quality: { review: { mode: 'percent', percent: 30 } } });
  await importTasks(srv, rtoken, p.id, Array.from({ length: 100 }, (_, i) => normal(i)));
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  for (let i = 0; i < 100; i++) await submit(w.token, (await claim(w.token, p.id)).json, { label: 'positive' });
  const lines = await exportLines(srv, rtoken, p.id);
  const pending = lines.filter((l) => l.answers[0].review_state === 'pending').length;
  assert.ok(pending >= 20 && pending <= 40, `${pending} of 100 sampled at 30%`);

  const q = await makeProject(srv, rtoken, { overlap: 2, quality: { review: { mode: 'low_confidence', below: 0.8 }, aggregation: { method: 'mv' } } });
  await importTasks(srv, rtoken, q.id, [normal('same'), normal('differ')]);
  await srv.api('POST', `/api/v1/projects/${q.id}/publish`, { token: rtoken });
  const [a, b] = [await worker(), await worker()];
  for (const x of [a, b]) {
    for (;;) {
      const c = await claim(x.token, q.id);
      if (c.status === 204) break;
      const ext = c.json.task.external_id;
      await submit(x.token, c.json, { label: ext === 'nsame' || x === a ? 'positive' : 'negative' });
    }
  }
  const out = Object.fromEntries((await exportLines(srv, rtoken, q.id)).map((l) => [l.external_id, l]));
  assert.deepEqual(out.nsame.answers.map((x) => x.review_state), ['none', 'none']);
  assert.deepEqual(out.ndiffer.answers.map((x) => x.review_state), ['pending', 'pending']);
});

test('quality settings: validated with the field named; the public rule registry; rules never suspend', async () => {
  const cases = [
    [{ quality: { gold: { percent: 80 } } }, '/quality/gold/percent'],
    [{ quality: { review: { mode: 'sometimes' } } }, '/quality/review/mode'],
    [{ quality: { max_overlap: 0 } }, '/quality/max_overlap'],
    [{ quality: { rules: [{ id: 'r1', reads: 'gold_accuracy', threshold: 0.5, action: 'suspend' }] } }, '/quality/rules/0/action'],
    [{ quality: { reject_reasons: [{ code: 'Bad Code', title: 't' }] } }, '/quality/reject_reasons/0/code'],
    [{ quality: { colour: 1 } }, '/quality/colour'],
  ];
  for (const [body, field] of cases) {
    const r = await srv.api('POST', '/api/v1/projects', { token: rtoken, body: { ...(await import('../lib/server.mjs')).projectInput(), ...body } });
    assert.equal(assertProblem(r, 422, 'INVALID_FIELD').field, field, JSON.stringify(body));
  }
  const reg = await srv.api('GET', '/api/v1/quality-rules');
  assert.equal(reg.status, 200);
  assert.deepEqual(reg.json.actions.map((a) => a.id), ['lower_weight', 'require_requalification', 'lower_tier', 'flag_for_review']);
  assert.match(reg.json.limits, /FW-19/);

  // a rule on gold accuracy lowers the weight and records an event the worker can see
  const p = await makeProject(srv, rtoken, {
    quality: { gold: { first: 3 }, rules: [{ id: 'gold-low', reads: 'gold_accuracy', window: 3, threshold: 0.5, action: 'lower_weight' }] },
  });
  const put = await srv.api('PUT', `/api/v1/projects/${p.id}/quality`, { token: rtoken, body: { ...p.quality, gold: { first: 3, percent: 0 } } });
  assert.equal(put.status, 200, put.text);
  await importTasks(srv, rtoken, p.id, [gold(1, 'negative'), gold(2, 'negative'), gold(3, 'negative'), normal(1)]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  for (let i = 0; i < 4; i++) await submit(w.token, (await claim(w.token, p.id)).json, { label: 'positive' });
  const me = await srv.api('GET', '/api/v1/me/quality', { token: w.token });
  const ev = me.json.rule_events.find((e) => e.project_id === p.id);
  assert.equal(ev.rule_id, 'gold-low');
  assert.equal(ev.action, 'lower_weight');
  assert.equal(ev.detail.value, 0);
  assert.equal(ev.state, 'open');
  assert.equal(me.json.projects.find((x) => x.project_id === p.id).weight, 0.5);
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken });
  assert.ok(audit.json.items.some((e) => e.action === 'quality.rule'));
  assert.ok(!audit.json.items.some((e) => /suspend|disable|ban/.test(e.action)));
});

test('batch aggregation (Dawid–Skene and others) rewrites results with method and confidence; agreement metrics', async () => {
  const p = await makeProject(srv, rtoken, { overlap: 3 });
  await importTasks(srv, rtoken, p.id, [normal('same'), normal('split')]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const ws = [await worker(), await worker(), await worker()];
  const labels = { nsame: ['positive', 'positive', 'positive'], nsplit: ['positive', 'negative', 'negative'] };
  for (const [i, w] of ws.entries()) {
    for (;;) {
      const c = await claim(w.token, p.id);
      if (c.status === 204) break;
      await submit(w.token, c.json, { label: labels[c.json.task.external_id][i] });
    }
  }
  for (const method of ['mv', 'ds', 'onecoin', 'glad', 'mace']) {
    const r = await srv.api('POST', `/api/v1/projects/${p.id}/aggregate`, { token: rtoken, body: { method } });
    assert.equal(r.status, 200, `${method}: ${r.text}`);
    assert.equal(r.json.method, method);
    assert.equal(r.json.tasks, 2);
    assert.equal(r.json.answers, 6);
    assert.equal(r.json.worker_quality.length, 3);
    const res = await srv.api('GET', `/api/v1/projects/${p.id}/results`, { token: rtoken });
    const byExt = Object.fromEntries(res.json.items.map((t) => [t.external_id, t]));
    assert.equal(byExt.nsame.method, method);
    assert.deepEqual(byExt.nsame.result, { label: 'positive' });
    assert.deepEqual(byExt.nsplit.result, { label: 'negative' });
    assert.ok(byExt.nsplit.confidence > 0.5 && byExt.nsplit.confidence <= 1);
  }
  const mv = await srv.api('GET', `/api/v1/projects/${p.id}/results`, { token: rtoken });
  assert.ok(mv.json.items.every((t) => t.answers.length === 3));
  const bad = await srv.api('POST', `/api/v1/projects/${p.id}/aggregate`, { token: rtoken, body: { method: 'vote' } });
  assert.equal(assertProblem(bad, 422, 'INVALID_FIELD').field, '/method');

  // Krippendorff's alpha (nominal) by hand for units {a,a,a} and {a,b,b}: o_aa = 3, o_ab = o_ba = o_bb = 1,
  // n_a = 4, n_b = 2, n = 6: alpha = 1 − (2/6) / (2·4·2 / (6·5)) = 0.375. Fleiss: P̄ = (1 + 1/3)/2,
  // P_e = (4/6)² + (2/6)² = 5/9, kappa = (2/3 − 5/9) / (4/9) = 0.25.
  const ag = await srv.api('GET', `/api/v1/projects/${p.id}/agreement`, { token: rtoken });
  assert.equal(ag.status, 200, ag.text);
  assert.ok(Math.abs(ag.json.krippendorff_alpha - 0.375) < 1e-9, ag.text);
  assert.ok(Math.abs(ag.json.fleiss_kappa - 0.25) < 1e-9, ag.text);
  assert.equal(ag.json.workers.length, 3);

  // boxes: mean pairwise IoU, and batch methods are refused with the reason
  const img = await makeProject(srv, rtoken, {
    kind: 'image_annotation', labels: undefined, schema: { classes: [{ name: 'car', tools: ['bbox'] }] }, overlap: 2,
  });
  await importTasks(srv, rtoken, img.id, [{ data: { image: { url: 'https://example.org/a.jpg', width: 100, height: 100 } } }]);
  await srv.api('POST', `/api/v1/projects/${img.id}/publish`, { token: rtoken });
  const boxes = [[0, 0, 10, 10], [2, 0, 10, 10]]; // IoU = 80 / 120
  for (const [i, w] of ws.slice(0, 2).entries()) {
    const c = await claim(w.token, img.id);
    await submit(w.token, c.json, { objects: [{ class: 'car', type: 'bbox', bbox: boxes[i] }] });
  }
  const ig = await srv.api('GET', `/api/v1/projects/${img.id}/agreement`, { token: rtoken });
  assert.equal(ig.status, 200, ig.text);
  assert.ok(Math.abs(ig.json.mean_pairwise_iou - 2 / 3) < 1e-9, ig.text);
  assertProblem(await srv.api('POST', `/api/v1/projects/${img.id}/aggregate`, { token: rtoken, body: { method: 'ds' } }),
    409, 'PROJECT_STATE');
  const ir = await srv.api('GET', `/api/v1/projects/${img.id}/results`, { token: rtoken });
  assert.equal(ir.json.items[0].method, 'iou_cluster');
  assert.equal(ir.json.items[0].result.objects.length, 1, 'two overlapping boxes merge into one');
  assert.deepEqual(ir.json.items[0].result.objects[0].bbox, [1, 0, 10, 10], 'at the mean of the two');
});

test('a released qualification task comes back; a human approves a proposed re-qualification, dismisses a lowered weight, allows a retake', async () => {
  const p = await makeProject(srv, rtoken, {
    quality: {
      qualification: { pass_mark: 0.5 }, gold: { first: 2 },
      rules: [
        { id: 'requal', reads: 'gold_accuracy', window: 2, threshold: 0.5, action: 'require_requalification' },
        { id: 'weight', reads: 'gold_accuracy', window: 2, threshold: 0.5, action: 'lower_weight' },
      ],
    },
  });
  await importTasks(srv, rtoken, p.id, [
    { ...gold('q1', 'positive'), gold: { answer: { label: 'positive' }, qualification: true } },
    { ...gold('q2', 'negative'), gold: { answer: { label: 'negative' }, qualification: true } },
    gold('g1', 'negative'), gold('g2', 'negative'), normal(1), normal(2), normal(3),
  ]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  // release the first test task: the test cannot finish without it, so it is offered again
  const first = await claim(w.token, p.id);
  assert.equal(first.json.stage, 'qualification');
  const rel = await srv.api('POST', `/api/v1/assignments/${first.json.assignment_id}/release`, {
    token: w.token, body: { lease_token: first.json.lease_token },
  });
  assert.equal(rel.status, 204);
  const seen = [];
  for (let i = 0; i < 2; i++) {
    const c = await claim(w.token, p.id);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.stage, 'qualification');
    seen.push(c.json.task.external_id);
    await submit(w.token, c.json, { label: c.json.task.external_id === 'gq1' ? 'positive' : 'negative' });
  }
  assert.deepEqual(seen.sort(), ['gq1', 'gq2']);
  // two gold tasks answered wrongly: both rules fire
  for (let i = 0; i < 2; i++) {
    const c = await claim(w.token, p.id);
    assert.equal(c.json.stage, 'work');
    await submit(w.token, c.json, { label: 'positive' });
  }
  const events = await srv.api('GET', `/api/v1/projects/${p.id}/quality-events`, { token: rtoken });
  assert.equal(events.status, 200, events.text);
  const byRule = Object.fromEntries(events.json.items.map((e) => [e.rule_id, e]));
  assert.equal(byRule.requal.state, 'open');
  assert.equal(byRule.requal.detail.in_effect, false, 'a restriction is only proposed (FW-19)');
  assert.equal(byRule.weight.detail.in_effect, true);
  // the proposal alone changes nothing: the worker still gets work
  const still = await claim(w.token, p.id);
  assert.equal(still.json.stage, 'work');
  await submit(w.token, still.json, { label: 'positive' });
  let me = await srv.api('GET', '/api/v1/me/quality', { token: w.token });
  assert.equal(me.json.projects.find((x) => x.project_id === p.id).weight, 0.5);

  const url = (e) => `/api/v1/quality-events/${e.id}/decide`;
  assert.equal(assertProblem(await srv.api('POST', url(byRule.weight), { token: rtoken, body: { decision: 'maybe' } }),
    422, 'INVALID_FIELD').field, '/decision');
  assertProblem(await srv.api('POST', url(byRule.weight), { token: otherRequesterToken(), body: { decision: 'dismiss' } }),
    404, 'NOT_FOUND');
  let d = await srv.api('POST', url(byRule.weight), { token: rtoken, body: { decision: 'dismiss', note: 'The gold task was ambiguous.' } });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.state, 'dismissed');
  me = await srv.api('GET', '/api/v1/me/quality', { token: w.token });
  assert.equal(me.json.projects.find((x) => x.project_id === p.id).weight, 1, 'dismissing undoes the lowered weight');
  assertProblem(await srv.api('POST', url(byRule.weight), { token: rtoken, body: { decision: 'approve' } }), 409, 'REVIEW_DECIDED');

  d = await srv.api('POST', url(byRule.requal), { token: rtoken, body: { decision: 'approve' } });
  assert.equal(d.status, 200, d.text);
  const again = await claim(w.token, p.id);
  assert.equal(again.json.stage, 'qualification', 'after a human approved, the worker re-takes the test');
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken });
  const approved = audit.json.items.find((e) => e.action === 'quality.approve');
  assert.ok(approved, 'the approving human is in the audit log');
  assert.ok(approved.actor_id > 0);

  // a failed worker may retake when the requester allows it
  const f = await worker();
  for (let i = 0; i < 2; i++) await submit(f.token, (await claim(f.token, p.id)).json, { label: 'neutral' });
  assertProblem(await claim(f.token, p.id), 403, 'QUALIFICATION_FAILED');
  const rt = await srv.api('POST', `/api/v1/projects/${p.id}/qualification/retake`, { token: rtoken, body: { worker_id: f.id } });
  assert.equal(rt.status, 200, rt.text);
  assert.equal(rt.json.attempt, 2);
  const retake = await claim(f.token, p.id);
  assert.equal(retake.json.stage, 'qualification');
  const nobody = await worker();
  assert.equal(assertProblem(await srv.api('POST', `/api/v1/projects/${p.id}/qualification/retake`, {
    token: rtoken, body: { worker_id: nobody.id },
  }), 422, 'INVALID_FIELD').field, '/worker_id');
});

test('agreement for LLM comparisons: alpha on the preferred response and interval alpha on the ratings', async () => {
  const p = await makeProject(srv, rtoken, {
    kind: 'llm_comparison', labels: undefined, overlap: 2,
    schema: { allow_tie: true, criteria: ['helpfulness'], rationale_min_chars: 1 },
  });
  const data = (i) => ({ data: { prompt: `p${i}`, responses: [{ id: 'a', text: 'A' }, { id: 'b', text: 'B' }] }, external_id: `c${i}` });
  await importTasks(srv, rtoken, p.id, [data(1), data(2)]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  // both workers agree on everything: alpha 1 on both scales
  const ans = (i) => ({ preference: { choice: i === 1 ? 'a' : 'b', strength: 5 },
    ratings: { a: { helpfulness: i === 1 ? 5 : 2 }, b: { helpfulness: i === 1 ? 2 : 4 } }, rationale: 'x' });
  for (const w of [await worker(), await worker()]) {
    for (;;) {
      const c = await claim(w.token, p.id);
      if (c.status === 204) break;
      await submit(w.token, c.json, ans(Number(c.json.task.external_id.slice(1))));
    }
  }
  const ag = await srv.api('GET', `/api/v1/projects/${p.id}/agreement`, { token: rtoken });
  assert.equal(ag.status, 200, ag.text);
  assert.equal(ag.json.preference_alpha, 1);
  assert.equal(ag.json.ratings_alpha_interval, 1);
  const res = await srv.api('GET', `/api/v1/projects/${p.id}/results`, { token: rtoken });
  assert.deepEqual(res.json.items.map((t) => [t.external_id, t.method, t.result.preference.choice]),
    [['c1', 'bradley_terry', 'a'], ['c2', 'bradley_terry', 'b']]);
});

test('an approved re-qualification that takes a passed test away is a qualification_removal decision; overturned on appeal, the qualification is back', async () => {
  const p = await makeProject(srv, rtoken, {
    quality: {
      qualification: { pass_mark: 0.5 }, gold: { first: 2 },
      rules: [{ id: 'requal', reads: 'gold_accuracy', window: 2, threshold: 0.5, action: 'require_requalification' }],
    },
  });
  await importTasks(srv, rtoken, p.id, [
    { ...gold('q1', 'positive'), gold: { answer: { label: 'positive' }, qualification: true } },
    { ...gold('q2', 'negative'), gold: { answer: { label: 'negative' }, qualification: true } },
    gold('g1', 'negative'), gold('g2', 'negative'), normal(1), normal(2), normal(3), normal(4),
  ]);
  assert.equal((await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken })).status, 200);
  const requesterId = (await srv.api('GET', '/api/v1/me', { token: rtoken })).json.id;
  const w = await worker();
  for (let i = 0; i < 2; i++) {
    const c = await claim(w.token, p.id);
    assert.equal(c.json.stage, 'qualification');
    await submit(w.token, c.json, { label: c.json.task.external_id === 'gq1' ? 'positive' : 'negative' });
  }
  for (let i = 0; i < 2; i++) await submit(w.token, (await claim(w.token, p.id)).json, { label: 'positive' }); // gold, wrong
  const qual = async () => (await srv.api('GET', '/api/v1/me/quality', { token: w.token })).json.qualifications.find((q) => q.project_id === p.id);
  const before = await qual();
  assert.equal(before.state, 'passed');
  const ev = (await srv.api('GET', `/api/v1/projects/${p.id}/quality-events`, { token: rtoken })).json.items.find((e) => e.rule_id === 'requal');
  assert.equal(ev.state, 'open');
  const decisions = async () => (await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items;
  assert.deepEqual(await decisions(), [], 'a proposal is no decision');
  // step is checked: its value, and only with an approval
  assert.equal(assertProblem(await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: rtoken, body: { decision: 'approve', step: 'sms' } }),
    422, 'INVALID_FIELD').field, '/step');
  assert.equal(assertProblem(await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: rtoken, body: { decision: 'dismiss', step: 'requalification' } }),
    422, 'INVALID_FIELD').field, '/step');
  assert.equal(assertProblem(await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: adminToken, body: { decision: 'approve', step: 'email' } }),
    422, 'INVALID_FIELD').field, '/step', 'email re-verification is a risk-score step-up only');
  const d = await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: rtoken, body: { decision: 'approve', step: 'requalification', note: 'gold far off' } });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.step, 'requalification');
  const [dec] = await decisions();
  assert.equal(dec.kind, 'qualification_removal');
  assert.equal(dec.rule, 'quality_rule:requal');
  assert.equal(dec.signal, 'requal');
  assert.equal(dec.decided_by, requesterId, 'the approving human decided it');
  assert.equal(dec.state, 'in_force');
  assert.match(dec.evidence, new RegExp(`passed the qualification test of "${p.name}"`));
  assert.match(dec.evidence, /gold_accuracy/);
  assert.match(dec.statement, /by a human/);
  assert.ok(Date.parse(dec.appeal_deadline) > Date.now() + 29 * 86_400_000);
  // in effect: the test again, not normal work
  const removed = await qual();
  assert.equal(removed.state, 'in_progress');
  assert.equal(removed.attempt, before.attempt + 1);
  const test1 = await claim(w.token, p.id);
  assert.equal(test1.json.stage, 'qualification');
  assert.equal((await srv.api('POST', `/api/v1/assignments/${test1.json.assignment_id}/release`, {
    token: w.token, body: { lease_token: test1.json.lease_token },
  })).status, 204);
  // appeal: the deciding requester cannot decide it (admins only); an admin overturns it
  const ap = await srv.api('POST', `/api/v1/decisions/${dec.id}/appeal`, { token: w.token, body: { statement: 'The gold answers were ambiguous.' } });
  assert.equal(ap.status, 201, ap.text);
  assert.equal((await srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token: rtoken, body: { outcome: 'overturned', note: 'x' } })).status, 403);
  const od = await srv.api('POST', `/api/v1/appeals/${ap.json.id}/decide`, { token: adminToken, body: { outcome: 'overturned', note: 'The gold tasks were unclear.' } });
  assert.equal(od.status, 200, od.text);
  const after = await qual();
  assert.equal(after.state, 'passed', 'restored as it was');
  assert.equal(after.score, before.score);
  assert.equal(after.attempt, before.attempt + 1, 'the attempt number stays (answers are unique per attempt)');
  const work = await claim(w.token, p.id);
  assert.equal(work.status, 200, work.text);
  assert.equal(work.json.stage, 'work', 'the cancelled re-qualification no longer blocks work');
  assert.equal((await decisions())[0].state, 'overturned');
  const evAfter = (await srv.api('GET', `/api/v1/projects/${p.id}/quality-events`, { token: rtoken })).json.items.find((e) => e.id === ev.id);
  assert.equal(evAfter.state, 'dismissed', 'the quality event is closed as undone');
  assert.match(evAfter.resolution_note, /^Overturned on appeal/);
  const audit = await srv.api('GET', '/api/v1/audit?limit=500', { token: adminToken });
  assert.ok(audit.json.items.some((e) => e.action === 'quality.approve' && e.detail.event_id === ev.id && e.detail.step === 'requalification'));
  assert.ok(audit.json.items.some((e) => e.action === 'appeal.overturned' && e.detail.decision_id === dec.id));
});

test('an approved re-qualification of a worker who never passed is no removal: no decision', async () => {
  const p = await makeProject(srv, rtoken, {
    quality: { rules: [{ id: 'requal', reads: 'gold_accuracy', window: 2, threshold: 0.5, action: 'require_requalification' }], gold: { first: 2 } },
  });
  await importTasks(srv, rtoken, p.id, [gold('h1', 'negative'), gold('h2', 'negative'), normal(1), normal(2)]);
  await srv.api('POST', `/api/v1/projects/${p.id}/publish`, { token: rtoken });
  const w = await worker();
  for (let i = 0; i < 2; i++) await submit(w.token, (await claim(w.token, p.id)).json, { label: 'positive' });
  const ev = (await srv.api('GET', `/api/v1/projects/${p.id}/quality-events`, { token: rtoken })).json.items.find((e) => e.rule_id === 'requal');
  const d = await srv.api('POST', `/api/v1/quality-events/${ev.id}/decide`, { token: rtoken, body: { decision: 'approve' } });
  assert.equal(d.status, 200, d.text);
  assert.deepEqual((await srv.api('GET', '/api/v1/me/decisions', { token: w.token })).json.items, []);
  const c = await claim(w.token, p.id);
  assert.equal(c.json.stage, 'work', 'a project without a qualification test blocks nobody');
});
