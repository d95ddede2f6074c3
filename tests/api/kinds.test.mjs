// Every project kind end to end: create with its schema, import tasks (with a pre-annotation), claim,
// submit an invalid answer (422 naming the field, nothing stored) and a valid one, export JSONL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createUserCli, register, assertProblem, ndjson, exportLines, randomId } from '../lib/server.mjs';

let srv, requester, rtoken, wtoken;

before(async () => {
  srv = await startServer();
  requester = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(requester.email, requester.password);
  const w = await register(srv.url);
  wtoken = await srv.login(w.email, w.password);
});

after(async () => { await srv?.stop(); });

const base = { reward_micros: 100000, currency: 'USD', estimated_seconds: 60, overlap: 1 };

const kinds = {
  text_classification: {
    schema: { labels: ['cat', 'dog', 'bird'], multiple: true },
    task: { data: { text: 'a cat and a dog' }, predictions: { labels: ['cat'] } },
    bad: [{ labels: ['cat', 'fish'] }, '/answer/labels/1'],
    good: { labels: ['cat', 'dog'] },
  },
  text_spans: {
    schema: { entities: ['PER', 'ORG'], relations: ['works_for'] },
    task: { data: { text: 'Zoë 🙂 works at ACME' }, predictions: { spans: [{ id: 'p1', start: 0, end: 3, label: 'PER' }] } },
    bad: [{ spans: [{ start: 15, end: 20, label: 'ORG' }] }, '/answer/spans/0/end'],
    good: { spans: [{ id: 'p1', start: 0, end: 3, label: 'PER' }, { start: 15, end: 19, label: 'ORG' }],
      relations: [{ from: 0, to: 1, label: 'works_for' }] },
  },
  image_annotation: {
    schema: { classes: [{ name: 'car', tools: ['bbox', 'polygon'] }] },
    task: { data: { image: { url: 'https://example.org/street.jpg', width: 640, height: 480 } },
      predictions: { objects: [{ id: 'm1', class: 'car', type: 'bbox', bbox: [10, 10, 50, 40] }] } },
    bad: [{ objects: [{ class: 'car', type: 'polygon', points: [[0, 0], [10, 10], [10, 0], [0, 10]] }] },
      '/answer/objects/0/points/2'],
    good: { objects: [{ id: 'm1', class: 'car', type: 'bbox', bbox: [12, 10, 50, 40] },
      { class: 'car', type: 'polygon', points: [[100, 100], [200, 100], [150, 180]] }] },
  },
  llm_comparison: {
    schema: { allow_tie: true, criteria: ['helpfulness', 'honesty'], rationale_min_chars: 10 },
    task: { data: { prompt: 'Greet me', responses: [{ id: 'a', text: 'Hi!' }, { id: 'b', text: 'Good day to you.' }] } },
    bad: [{ preference: { choice: 'c', strength: 3 }, ratings: {}, rationale: 'x' }, '/answer/preference/choice'],
    good: { preference: { choice: 'tie', strength: 4 },
      ratings: { a: { helpfulness: 4, honesty: 5 }, b: { helpfulness: 4, honesty: 5 } }, rationale: 'Both greet politely.' },
  },
  free_text: {
    schema: { min_chars: 3, max_chars: 20 },
    task: { data: { text: 'Transcribe: HELLO' } },
    bad: [{ text: 'hi' }, '/answer/text'],
    good: { text: 'HELLO' },
  },
};

for (const [kind, k] of Object.entries(kinds)) {
  test(`${kind}: create, import with a pre-annotation, claim, reject a bad answer, accept a good one, export`, async () => {
    const create = await srv.api('POST', '/api/v1/projects', {
      token: rtoken, body: { name: `${kind} ${randomId(2)}`, kind, schema: k.schema, ...base },
    });
    assert.equal(create.status, 201, create.text);
    assert.equal(create.json.kind, kind);
    assert.equal(typeof create.json.schema, 'object');
    const id = create.json.id;
    const imp = await srv.api('POST', `/api/v1/projects/${id}/tasks`, {
      token: rtoken, body: ndjson([{ ...k.task, external_id: 'x1' }]), headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(imp.status, 201, imp.text);
    assert.equal((await srv.api('POST', `/api/v1/projects/${id}/publish`, { token: rtoken })).status, 200);

    const claim = await srv.api('POST', `/api/v1/projects/${id}/claim`, { token: wtoken });
    assert.equal(claim.status, 200, claim.text);
    assert.equal(claim.json.project.kind, kind);
    assert.deepEqual(claim.json.project.schema.constructor, Object);
    assert.deepEqual(claim.json.task.predictions ?? null, k.task.predictions ?? null);
    const { assignment_id: aid, lease_token } = claim.json;

    const [badAnswer, badField] = k.bad;
    const bad = await srv.api('POST', `/api/v1/assignments/${aid}/submit`, { token: wtoken, body: { lease_token, answer: badAnswer } });
    assertProblem(bad, 422, 'INVALID_FIELD');
    assert.equal(bad.json.field, badField, bad.json.detail);
    assert.equal((await exportLines(srv, rtoken, id))[0].answers.length, 0, 'nothing stored after a 422');

    const good = await srv.api('POST', `/api/v1/assignments/${aid}/submit`, { token: wtoken, body: { lease_token, answer: k.good } });
    assert.equal(good.status, 200, good.text);
    const lines = await exportLines(srv, rtoken, id);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0].answers.map((a) => a.answer), [k.good]);
  });
}

test('schemas are checked at creation, naming the field', async () => {
  const cases = [
    ['text_spans', { entities: [] }, '/schema/entities'],
    ['image_annotation', { classes: [{ name: 'p', tools: ['keypoints'] }] }, '/schema/classes/0/skeleton'],
    ['lidar_cuboids', { classes: [] }, '/schema/classes'],
    ['llm_comparison', { criteria: ['a', 'a'] }, '/schema/criteria/1'],
    ['free_text', { min_chars: 10, max_chars: 2 }, '/schema/max_chars'],
    ['text_spans', undefined, '/schema'],
  ];
  for (const [kind, schema, field] of cases) {
    const r = await srv.api('POST', '/api/v1/projects', { token: rtoken, body: { name: 'x', kind, schema, ...base } });
    assertProblem(r, 422, 'INVALID_FIELD', kind);
    assert.equal(r.json.field, field, `${kind}: ${r.json.detail}`);
  }
  const labels = await srv.api('POST', '/api/v1/projects', {
    token: rtoken, body: { name: 'x', kind: 'text_spans', labels: ['a', 'b'], schema: { entities: ['A'] }, ...base },
  });
  assertProblem(labels, 422, 'INVALID_FIELD');
  assert.equal(labels.json.field, '/labels');
});

test('task data and pre-annotations are checked at import, every bad line listed, nothing imported', async () => {
  const create = await srv.api('POST', '/api/v1/projects', {
    token: rtoken, body: { name: 'img', kind: 'image_annotation', schema: { classes: [{ name: 'car', tools: ['bbox'] }] }, ...base },
  });
  const id = create.json.id;
  const lines = [
    { data: { image: { url: 'https://example.org/a.png', width: 100, height: 100 } } },
    { data: { image: { url: 'https://example.org/a.png' } } },
    { data: { image: { media_id: 'f'.repeat(64) } } },
    { data: { image: { url: 'https://example.org/a.png', width: 100, height: 100 } },
      predictions: { objects: [{ class: 'car', type: 'bbox', bbox: [90, 90, 20, 20] }] } },
  ];
  const r = await srv.api('POST', `/api/v1/projects/${id}/tasks`, {
    token: rtoken, body: ndjson(lines), headers: { 'content-type': 'application/x-ndjson' },
  });
  assertProblem(r, 422, 'IMPORT_INVALID');
  assert.deepEqual(r.json.errors.map((e) => [e.line, e.field]), [
    [2, '/data/image'], [3, '/data/image/media_id'], [4, '/predictions/objects/0/bbox'],
  ]);
  assert.equal((await srv.api('GET', `/api/v1/projects/${id}`, { token: rtoken })).json.task_count, 0);
});
