// NDJSON task import (POST /projects/{id}/tasks): a repeated external_id is named by its line, wherever it
// falls among the rows the server inserts 64 at a time on SQLite, and nothing is imported; lines taken by the fast
// path (compact text tasks) and by the general one are stored alike and keep their order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, makeProject, exportLines } from '../lib/server.mjs';

let srv;
let requester;

before(async () => {
  srv = await startServer();
  const r = await srv.createUserCli({ role: 'requester' });
  requester = { ...r, token: await srv.login(r.email, r.password) };
});
after(async () => {
  await srv?.stop();
});

const upload = (projectId, body) => srv.api('POST', `/api/v1/projects/${projectId}/tasks`, {
  token: requester.token, body, headers: { 'content-type': 'application/x-ndjson' },
});
const taskCount = async (projectId) => (await srv.api('GET', `/api/v1/projects/${projectId}`, { token: requester.token })).json.task_count;
const line = (ext, text = `text of ${ext}`) => JSON.stringify({ external_id: ext, data: { text } });

function assertTaken(res, wantLine, what) {
  const p = assertProblem(res, 422, 'IMPORT_INVALID', what);
  assert.deepEqual(p.errors, [{ line: wantLine, field: '/external_id', detail: 'external_id is already used in this project' }], what);
  assert.equal(p.error_count, 1, what);
  assert.equal(p.field, `line ${wantLine}`, what);
}

test('a repeated external_id names its line, in a full batch, in the tail or against an earlier import', async () => {
  const project = await makeProject(srv, requester.token);
  const first = await upload(project.id, `${['e1', 'e2', 'e3', 'e4', 'e5'].map((e) => line(e)).join('\n')}\n`);
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.imported, 5);

  // 150 lines and a blank one (line 11): line numbers count every line of the body.
  const body = (repeat) => {
    const lines = Array.from({ length: 150 }, (_, i) => line(`n${i + 1}`));
    for (const [at, ext] of repeat) lines[at - 1] = line(ext);
    lines.splice(10, 0, '');
    return `${lines.join('\n')}\n`;
  };
  // [line of the error, [[index among the 150, external_id]]]: inside the first batch of 64, in the second one
  // repeating a line of the first, in the last (partial) batch, a task of the earlier import, two repeats.
  const cases = [
    [5, [[5, 'n2']]],
    [71, [[70, 'n17']]],
    [141, [[140, 'n139']]],
    [31, [[30, 'e3']]],
    [7, [[7, 'e5'], [100, 'n99']]],
  ];
  for (const [want, repeat] of cases) {
    assertTaken(await upload(project.id, body(repeat)), want, `repeat ${JSON.stringify(repeat)}`);
    assert.equal(await taskCount(project.id), 5, 'all or nothing');
  }
  const general = `${line('g1')}\n{ "external_id" : "g2", "data": {"text": "caf\\u00e9"} }\n{"external_id":"g\\u0031","data":{"text":"x"}}\n`;
  assertTaken(await upload(project.id, general), 3, 'escaped repeat');
  assertTaken(await upload(project.id, `${line('e1')}\n`), 1, 'the same task again');
  assert.equal(await taskCount(project.id), 5);

  // Without a repeat the same body imports, and sending it again names its first line.
  const ok = await upload(project.id, body([]));
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.imported, 150);
  assert.equal(ok.json.task_count, 155);
  assertTaken(await upload(project.id, body([])), 1, 'the same upload twice');
  assert.equal(await taskCount(project.id), 155);
});

test('fast-path and general-path lines are stored alike, in line order', async () => {
  const project = await makeProject(srv, requester.token, { labels: ['a', 'b'] });
  const sent = [];
  const raw = [];
  const add = (text, value) => {
    raw.push(text);
    sent.push(value ?? JSON.parse(text));
  };
  for (let i = 1; i <= 137; i++) {
    const ext = `t${i}`;
    switch (i % 9) {
      case 0: add(`{"data":{"text":"compact ${i}","source":"web","n":-${i},"ok":true,"none":null},"external_id":"${ext}","priority":${i % 7}}`); break;
      case 1: add(`  { "external_id" : "${ext}" , "data" : { "text" : "spaced ${i}" } }  `); break;
      case 2: add(`{"external_id":"${ext}","data":{"text":"caf\\u00e9 \\/ \\"q\\" \\n ${i}"}}`); break;
      case 3: add(`{"external_id":"${ext}","data":{"text":"reals ${i}","score":0.1,"big":1e2}}`); break;
      case 4: add(`{"external_id":"${ext}","data":{"text":"with predictions ${i}"},"predictions":{"label":"b"}}`); break;
      case 5: add(`{"data":{"text":"no external id ${i} \u00e9\u{1F600}"}}`); break;
      case 6: add(`{"external_id":null,"data":{"text":"null external id ${i}"},"priority":null}`); break;
      case 7: add(`{"external_id":"${ext}","data":{"text":"nested ${i}","meta":{"k":[1,2]}}}`); break;
      default: add(`{"external_id":"${ext}","data":{"text":"plain ${i}"}}`);
    }
  }
  raw.push(JSON.stringify({ external_id: 'gold1', data: { text: 'gold' }, gold: { answer: { label: 'a' } } }));
  const res = await upload(project.id, `${raw.join('\r\n')}\r\n`);
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.json, { imported: 138, gold: 1, task_count: 137 });

  const out = await exportLines(srv, requester.token, project.id);
  assert.equal(out.length, 137, 'gold tasks are not exported');
  const ids = out.map((l) => l.task_id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.deepEqual(out.map((l) => l.data), sent.map((s) => s.data), 'data as sent, in line order');
  assert.deepEqual(out.map((l) => l.external_id ?? null), sent.map((s) => s.external_id ?? null));
  assert.deepEqual(out.filter((l) => l.predictions).map((l) => l.predictions), sent.filter((s) => s.predictions).map((s) => s.predictions));
});
