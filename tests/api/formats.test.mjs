// Import and export formats over HTTP: CSV, Label Studio and COCO in; csv, label_studio, coco, yolo, voc,
// conll and kitti out, each parsed back and checked field by field; a round trip loses nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, createUserCli, register, assertProblem, exportLines } from '../lib/server.mjs';
import { kittiBin } from '../lib/media.mjs';

let srv, rtoken, wtoken;
const base = { reward_micros: 20000, currency: 'USD', estimated_seconds: 20, overlap: 1 };

before(async () => {
  srv = await startServer();
  const r = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(r.email, r.password);
  const w = await register(srv.url);
  wtoken = await srv.login(w.email, w.password);
});
after(async () => { await srv?.stop(); });

async function project(kind, schema) {
  const r = await srv.api('POST', '/api/v1/projects', { token: rtoken, body: { name: `${kind} fmt`, kind, schema, ...base } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

async function importAs(id, body, type, format) {
  return srv.api('POST', `/api/v1/projects/${id}/tasks${format ? `?format=${format}` : ''}`, {
    token: rtoken, body, headers: { 'content-type': type },
  });
}

/** Publishes, then the worker claims and answers every task with answerFor(claim). */
async function workAll(id, answerFor) {
  assert.equal((await srv.api('POST', `/api/v1/projects/${id}/publish`, { token: rtoken })).status, 200);
  for (;;) {
    const c = await srv.api('POST', `/api/v1/projects/${id}/claim`, { token: wtoken });
    if (c.status === 204) return;
    assert.equal(c.status, 200, c.text);
    const s = await srv.api('POST', `/api/v1/assignments/${c.json.assignment_id}/submit`, {
      token: wtoken, body: { lease_token: c.json.lease_token, answer: answerFor(c.json) },
    });
    assert.equal(s.status, 200, s.text);
  }
}

async function exportRaw(id, format) {
  const res = await fetch(`${srv.url}/api/v1/projects/${id}/export?format=${format}`, { headers: { authorization: `Bearer ${rtoken}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

/** The members of a ZIP, read with unzip (also proves the archive is valid). */
function unzipAll(buf) {
  const dir = mkdtempSync(join(tmpdir(), 'fl-zip-'));
  try {
    writeFileSync(join(dir, 'a.zip'), buf);
    execFileSync('unzip', ['-t', '-q', join(dir, 'a.zip')]);
    const names = execFileSync('unzip', ['-Z1', join(dir, 'a.zip')]).toString().trim().split('\n');
    return Object.fromEntries(names.map((n) => [n, execFileSync('unzip', ['-p', join(dir, 'a.zip'), n]).toString()]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('text classification: CSV in (quotes, embedded newline), csv and label_studio out', async () => {
  const id = await project('text_classification', { labels: ['pos', 'neg'] });
  const csv = 'external_id,text\r\nr1,"Great, really great"\r\nr2,"Line one\nline two ""quoted"""\r\n';
  const imp = await importAs(id, csv, 'text/csv');
  assert.equal(imp.status, 201, imp.text);
  assert.equal(imp.json.imported, 2);
  const bad = await importAs(id, 'external_id,text\nr3,"unterminated\n', 'text/csv');
  assertProblem(bad, 422, 'IMPORT_INVALID');
  assert.equal((await srv.api('GET', `/api/v1/projects/${id}`, { token: rtoken })).json.task_count, 2);
  await workAll(id, (c) => ({ label: c.task.data.text.startsWith('Great') ? 'pos' : 'neg' }));

  const lines = await exportLines(srv, rtoken, id);
  assert.deepEqual(lines.map((l) => [l.external_id, l.data.text, l.answers[0].answer.label]),
    [['r1', 'Great, really great', 'pos'], ['r2', 'Line one\nline two "quoted"', 'neg']]);

  const out = await exportRaw(id, 'csv');
  assert.equal(out.status, 200);
  assert.match(out.type, /^text\/csv/);
  const text = out.body.toString();
  assert.match(text.split(/\r?\n/)[0], /task_id/);
  assert.ok(text.includes('"Line one\nline two ""quoted"""'), 'RFC 4180 quoting kept');

  const ls = await exportRaw(id, 'label_studio');
  const tasks = JSON.parse(ls.body.toString());
  assert.equal(tasks.length, 2);
  const result = tasks[0].annotations[0].result[0];
  assert.equal(result.type, 'choices');
  assert.deepEqual(result.value.choices, ['pos']);
});

test('spans: Label Studio in with predictions, conll and jsonl (prediction diff) out, round trip', async () => {
  const id = await project('text_spans', { entities: ['PER', 'LOC'] });
  const lsTasks = [{
    id: 1, data: { text: 'Zoë lives in Paris' },
    predictions: [{ result: [{ id: 'a', from_name: 'label', to_name: 'text', type: 'labels',
      value: { start: 0, end: 3, text: 'Zoë', labels: ['PER'] } }] }],
  }];
  const imp = await importAs(id, JSON.stringify(lsTasks), 'application/json', 'label_studio');
  assert.equal(imp.status, 201, imp.text);
  await workAll(id, (c) => {
    assert.equal(c.task.predictions.spans.length, 1, 'the pre-annotation reaches the worker');
    return { spans: [...c.task.predictions.spans, { start: 13, end: 18, label: 'LOC' }] };
  });
  const [line] = await exportLines(srv, rtoken, id);
  assert.ok(line.predictions, 'export keeps the predictions');
  assert.ok(line.answers[0].prediction_diff, 'and says what was kept, edited or added');

  const conll = (await exportRaw(id, 'conll')).body.toString();
  assert.match(conll, /Zoë\s.*B-PER/);
  assert.match(conll, /Paris\s.*B-LOC/);
  assert.match(conll, /lives\s.*\bO\b/);
  // each worker's document, then the consensus (token vote) with its confidence
  assert.match(conll, /^# task_id=\d+ assignment_id=\d+$/m);
  assert.match(conll, /^# task_id=\d+ consensus confidence=1$/m);
  assert.equal(conll.match(/Paris\s.*B-LOC/g).length, 2);

  // Round trip: our Label Studio export imports into a fresh project with the same text and spans.
  const ls = (await exportRaw(id, 'label_studio')).body.toString();
  const id2 = await project('text_spans', { entities: ['PER', 'LOC'] });
  const again = await importAs(id2, ls, 'application/json', 'label_studio');
  assert.equal(again.status, 201, again.text);
  const [line2] = await exportLines(srv, rtoken, id2);
  assert.equal(line2.data.text, 'Zoë lives in Paris');
});

test('images: COCO in (annotations become predictions), coco, yolo and voc out', async () => {
  const id = await project('image_annotation', { classes: [{ name: 'car', tools: ['bbox', 'polygon'] }, { name: 'bus', tools: ['bbox'] }] });
  const coco = {
    images: [{ id: 7, file_name: 'street.jpg', coco_url: 'https://example.org/street.jpg', width: 200, height: 100 }],
    annotations: [{ id: 3, image_id: 7, category_id: 1, bbox: [10, 20, 30, 40], area: 1200, iscrowd: 0 }],
    categories: [{ id: 1, name: 'car' }, { id: 2, name: 'bus' }],
  };
  const imp = await importAs(id, JSON.stringify(coco), 'application/json', 'coco');
  assert.equal(imp.status, 201, imp.text);
  await workAll(id, (c) => {
    assert.equal(c.task.data.image.width, 200);
    assert.deepEqual(c.task.predictions.objects[0].bbox, [10, 20, 30, 40]);
    return { objects: [{ class: 'bus', type: 'bbox', bbox: [100, 50, 50, 25] },
      { class: 'car', type: 'polygon', points: [[0, 0], [20, 0], [20, 10]] }] };
  });
  const out = JSON.parse((await exportRaw(id, 'coco')).body.toString());
  assert.deepEqual(out.categories.map((c) => [c.id, c.name]), [[1, 'car'], [2, 'bus']]);
  assert.equal(out.images.length, 1);
  assert.deepEqual([out.images[0].width, out.images[0].height], [200, 100]);
  const bus = out.annotations.find((a) => a.category_id === 2);
  assert.deepEqual(bus.bbox, [100, 50, 50, 25]);
  assert.equal(bus.area, 1250);
  assert.equal(bus.iscrowd, 0);
  const poly = out.annotations.find((a) => a.category_id === 1);
  assert.deepEqual(poly.segmentation, [[0, 0, 20, 0, 20, 10]]);
  assert.equal(poly.area, 100);
  assert.ok(out.annotations.every((a) => a.image_id === out.images[0].id));

  const yolo = unzipAll((await exportRaw(id, 'yolo')).body);
  assert.ok(yolo['classes.txt'].startsWith('car\nbus'));
  const label = Object.entries(yolo).find(([n]) => n.startsWith('labels/'))[1].trim().split('\n');
  assert.ok(label.includes('1 0.625000 0.625000 0.250000 0.250000'), label.join('|'));

  const voc = unzipAll((await exportRaw(id, 'voc')).body);
  const xml = Object.values(voc)[0];
  assert.match(xml, /<width>200<\/width>/);
  assert.match(xml, /<name>bus<\/name>/);
  assert.match(xml, /<xmin>\d+<\/xmin>/);
});

test('jsonl: lines copied from the stored texts are byte for byte what jansson writes', async () => {
  const id = await project('image_annotation', { classes: [{ name: 'car', tools: ['bbox', 'polygon'] }, { name: 'bus', tools: ['bbox'] }] });
  // Task data with what the copy rewrites (spacing, escapes, reals in every spelling) and what it leaves to
  // jansson (predictions, deep nesting), sent as raw NDJSON so the server sees these exact bytes.
  const image = (i) => `"image": {"url": "https://example.org/i/${i}.jpg", "width": 640, "height": 480}`;
  const ndjson = [
    `{"external_id": "plain-1", "data": {${image(1)}}}`,
    `{"external_id": "esc\\"aped\\u00e9\\/\\t", "data": {${image(2)}, "note": "caf\\u00e9 \\ud83d\\ude00 \\u0007 \\/ \u00fcber"}}`,
    `{"external_id": "nums", "data": {${image(3)}, "n": [1E2, -0.0, 0.1, 30.100000000000001, 1e-7, 123456789012345678, 2.5e300, 0.30000000000000004]}}`,
    `{"external_id": "pred", "data": {${image(5)}}, "predictions": {"objects": [{"id": "p1", "class": "car", "type": "bbox", "bbox": [1, 2, 3, 4]}]}}`,
    `{"external_id": "deep", "data": {${image(6)}, "d": ${'['.repeat(80)}1${']'.repeat(80)}}}`,
  ].join('\n') + '\n';
  const imp = await importAs(id, ndjson, 'application/x-ndjson');
  assert.equal(imp.status, 201, imp.text);
  // answers with reals a submit stores with 17 digits (30.1 as 30.100000000000001) and exports with 15
  let k = 0;
  const boxes = [[30.1, 20.2, 1 / 3, 0.1 + 0.2], [10, 20, 40.5, 30], [1e-7, 2.675, 123.456, 99.99], [0.5, 1.1, 2.2, 3.3],
    [7, 8, 9, 10], [100.123456789, 200.987654321, 1.0000000000000002, 5]];
  await workAll(id, () => ({ objects: [{ class: 'car', type: 'bbox', bbox: boxes[k++ % boxes.length] },
    { class: 'car', type: 'polygon', points: [[0.1, 0.2], [20.7, 0.3], [20.9, 10.05]] }] }));
  const more = await importAs(id, `{"external_id": "unanswered", "data": {${image(7)}}}\n`, 'application/x-ndjson');
  assert.equal(more.status, 201, more.text);

  const copied = await exportRaw(id, 'jsonl');
  const jansson = await startServer({ env: { FAIRLABEL_EXPORT_COPY: '0' }, sameDatabaseAs: srv });
  try {
    const res = await fetch(`${jansson.url}/api/v1/projects/${id}/export?format=jsonl`, { headers: { authorization: `Bearer ${rtoken}` } });
    assert.equal(res.status, 200);
    const built = Buffer.from(await res.arrayBuffer());
    assert.equal(copied.status, 200);
    assert.equal(copied.body.toString(), built.toString());
    assert.ok(copied.body.equals(built), 'byte-identical');
  } finally {
    await jansson.stop();
  }
  const text = copied.body.toString();
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 6);
  assert.ok(text.includes('"bbox":[30.1,20.2,0.333333333333333,0.3]'), 'reals to 15 digits');
  assert.ok(text.includes('"n":[100.0,-0.0,0.1,30.1,1e-7,123456789012345678,2.5e300,0.3]'), text);
  assert.ok(text.includes('"note":"café 😀 \\u0007 / über"'), 'escapes as jansson writes them');
  assert.deepEqual(lines.find((l) => l.external_id === 'unanswered').answers, []);
  assert.equal(lines.find((l) => l.external_id === 'unanswered').result, null);
  assert.equal(lines.find((l) => l.external_id === 'pred').answers[0].prediction_diff.removed[0], 'p1');
});

test('lidar: kitti label_2 out in the KITTI field order; formats a kind cannot express are refused', async () => {
  const cloud = await srv.api('POST', '/api/v1/media?name=f.bin', {
    token: rtoken, body: kittiBin([[1, 1, 1, 0], [20, -3, 0.5, 1]]), headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(cloud.status, 201, cloud.text);
  const id = await project('lidar_cuboids', { classes: [{ name: 'Car' }] });
  const imp = await srv.api('POST', `/api/v1/projects/${id}/tasks`, {
    token: rtoken, headers: { 'content-type': 'application/x-ndjson' },
    body: `${JSON.stringify({ data: { pointcloud: { media_id: cloud.json.media_id } }, external_id: '000001' })}\n`,
  });
  assert.equal(imp.status, 201, imp.text);
  await workAll(id, () => ({ objects: [{ class: 'Car', center: [10, 2, -0.8], size: [4, 1.6, 1.5], yaw: 0 }] }));
  const files = unzipAll((await exportRaw(id, 'kitti')).body);
  const [name, text] = Object.entries(files)[0];
  assert.match(name, /^label_2\/.*\.txt$/);
  const f = text.trim().split(/\s+/);
  assert.equal(f.length, 15, 'type truncated occluded alpha bbox(4) dimensions(3) location(3) rotation_y');
  assert.equal(f[0], 'Car');
  assert.deepEqual(f.slice(8, 11).map(Number), [1.5, 1.6, 4]); // h w l
  assert.ok(Math.abs(Number(f[11]) - -2) < 1e-6 && Math.abs(Number(f[13]) - 10) < 1e-6, `camera frame: ${f.slice(11, 14)}`);

  const refused = await srv.api('GET', `/api/v1/projects/${id}/export?format=coco`, { token: rtoken });
  assertProblem(refused, 400, 'BAD_QUERY');
  assert.equal(refused.json.field, 'format');
});

test('lidar: a KITTI object-data ZIP (velodyne + label_2 + image_2) imports as tasks with pre-annotations', async () => {
  const { readFileSync } = await import('node:fs');
  const { zipBytes } = await import('../lib/media.mjs');
  // The real KITTI sample, read in place (non-commercial data: never copied into the repository).
  const kitti = join(process.env.FAIRLABEL_SHARED_DATA || join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../../shared/data'), 'lidar/kitti');
  const velo = readFileSync(join(kitti, 'velodyne/000001.bin'));
  const label = readFileSync(join(kitti, 'label_2/000001.txt'));
  const image = readFileSync(join(kitti, 'image_2/000001.png'));
  const id = await project('lidar_cuboids', { classes: [{ name: 'Car' }, { name: 'Truck' }, { name: 'Cyclist' }] });
  const zip = zipBytes({ 'training/velodyne/000001.bin': velo, 'training/label_2/000001.txt': label, 'training/image_2/000001.png': image });
  const imp = await srv.api('POST', `/api/v1/projects/${id}/tasks?format=kitti`, {
    token: rtoken, body: zip, headers: { 'content-type': 'application/zip' },
  });
  assert.equal(imp.status, 201, imp.text);
  assert.equal(imp.json.imported, 1);
  const [line] = await exportLines(srv, rtoken, id);
  assert.equal(line.external_id, '000001');
  assert.equal(line.data.pointcloud.points, 120268);
  assert.deepEqual([line.data.images[0].width, line.data.images[0].height], [1242, 375]);
  const objs = line.predictions.objects;
  assert.deepEqual(objs.map((o) => o.class), ['Truck', 'Car', 'Cyclist'], 'DontCare skipped');
  // KITTI's Car: camera location (-16.53, 2.39, 58.49), h w l 1.67 1.87 3.69 → lidar centre ≈ (58.49, 16.53, -2.39 + 1.67/2).
  const car = objs[1];
  assert.ok(Math.abs(car.center[0] - 58.49) < 1e-3 && Math.abs(car.center[1] - 16.53) < 1e-3, `${car.center}`);
  assert.ok(Math.abs(car.center[2] - (-2.39 + 1.67 / 2)) < 1e-3, `${car.center}`);
  assert.deepEqual(car.size.map((v) => Math.round(v * 100) / 100), [3.69, 1.87, 1.67]);

  // A label without its cloud, or a broken cloud, refuses the whole archive.
  const bad = await srv.api('POST', `/api/v1/projects/${id}/tasks?format=kitti`, {
    token: rtoken, headers: { 'content-type': 'application/zip' },
    body: zipBytes({ 'velodyne/000002.bin': velo.subarray(0, 30), 'label_2/000003.txt': label }),
  });
  assertProblem(bad, 422, 'IMPORT_INVALID');
  assert.deepEqual(bad.json.errors.map((e) => e.field).sort(), ['label_2/000003.txt', 'velodyne/000002.bin']);
  assert.equal((await srv.api('GET', `/api/v1/projects/${id}`, { token: rtoken })).json.task_count, 1);
});
