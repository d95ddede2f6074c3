// Media: upload checked by real decoders and strict parsers, stored once by SHA-256, served with
// ETag/Range to the uploader and to workers only through tasks they hold or submitted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer, createUserCli, register, assertProblem, ndjson, exportLines } from '../lib/server.mjs';
import { pngBytes, kittiBin } from '../lib/media.mjs';

let srv, rtoken, otherToken, w1, w2;
const upload = (token, body, name, type = 'application/octet-stream') =>
  srv.api('POST', `/api/v1/media${name ? `?name=${name}` : ''}`, { token, body, headers: { 'content-type': type } });
const raw = async (path, token, headers = {}) => {
  const res = await fetch(srv.url + path, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
};

before(async () => {
  srv = await startServer();
  const r = await createUserCli(srv, { role: 'requester' });
  rtoken = await srv.login(r.email, r.password);
  const o = await createUserCli(srv, { role: 'requester' });
  otherToken = await srv.login(o.email, o.password);
  const a = await register(srv.url), b = await register(srv.url);
  w1 = await srv.login(a.email, a.password);
  w2 = await srv.login(b.email, b.password);
});

after(async () => { await srv?.stop(); });

test('an image upload is decoded, addressed by its SHA-256 and stored once', async () => {
  const png = pngBytes({ width: 7, height: 5 });
  const first = await upload(rtoken, png, 'a.png', 'image/png');
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.media_id, createHash('sha256').update(png).digest('hex'));
  assert.deepEqual([first.json.kind, first.json.format, first.json.width, first.json.height, first.json.size],
    ['image', 'png', 7, 5, png.length]);
  const again = await upload(otherToken, png, 'copy.png', 'image/png');
  assert.equal(again.status, 200, 'the same bytes are not stored twice');
  assert.equal(again.json.media_id, first.json.media_id);
  // Uploading it made the other requester an owner too: both may read it.
  assert.equal((await raw(`/api/v1/media/${first.json.media_id}`, otherToken)).status, 200);
});

test('bad files get 422 MEDIA_INVALID saying what is wrong, and nothing is stored', async () => {
  const png = pngBytes({ width: 9, height: 9 });
  const truncated = png.subarray(0, png.length - 20);
  for (const [body, name, type] of [
    [truncated, 't.png', 'image/png'],
    [Buffer.from('hello, not an image'), 'x.png', 'image/png'],
    [Buffer.alloc(30, 1), 'odd.bin', 'application/octet-stream'],
    [Buffer.from('VERSION 0.7\nFIELDS x y\nSIZE 4 4\nTYPE F F\nCOUNT 1 1\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n1 2\n'), 'no-z.pcd', 'application/octet-stream'],
  ]) {
    const r = await upload(rtoken, body, name, type);
    assertProblem(r, 422, 'MEDIA_INVALID', name);
    assert.ok(r.json.detail.length > 10, r.json.detail);
    const id = createHash('sha256').update(body).digest('hex');
    assert.equal((await raw(`/api/v1/media/${id}`, rtoken)).status, 404, `${name} was not stored`);
  }
});

test('serving: ETag, If-None-Match, Range, and 404 for everyone not entitled', async () => {
  const png = pngBytes({ width: 16, height: 16 });
  const { json: m } = await upload(rtoken, png, 's.png', 'image/png');
  const full = await raw(`/api/v1/media/${m.media_id}`, rtoken);
  assert.equal(full.status, 200);
  assert.ok(full.body.equals(png));
  assert.equal(full.headers.get('content-type'), 'image/png');
  const etag = full.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{64}"$/);
  assert.equal((await raw(`/api/v1/media/${m.media_id}`, rtoken, { 'if-none-match': etag })).status, 304);
  const part = await raw(`/api/v1/media/${m.media_id}`, rtoken, { range: 'bytes=8-15' });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 8-15/${png.length}`);
  assert.ok(part.body.equals(png.subarray(8, 16)));
  const tail = await raw(`/api/v1/media/${m.media_id}`, rtoken, { range: 'bytes=10-' });
  assert.ok(tail.body.equals(png.subarray(10)));
  assert.equal((await raw(`/api/v1/media/${m.media_id}`, rtoken, { range: `bytes=${png.length + 5}-` })).status, 416);
  assert.equal((await raw(`/api/v1/media/${m.media_id}`, otherToken)).status, 404);
  assert.equal((await raw(`/api/v1/media/${m.media_id}`, w1)).status, 404);
  assert.equal((await raw(`/api/v1/media/${'0'.repeat(64)}`, rtoken)).status, 404);
});

test('point clouds: KITTI .bin parsed and served in the browser layout', async () => {
  const pts = [[1, 2, 3, 0], [-4, 5, 0.5, 1], [7, -8, 9, 0.5]];
  const r = await upload(rtoken, kittiBin(pts), '000001.bin');
  assert.equal(r.status, 201, r.text);
  assert.deepEqual([r.json.kind, r.json.format, r.json.points], ['pointcloud', 'kitti_bin', 3]);
  const flpc = await raw(`/api/v1/media/${r.json.media_id}/points`, rtoken);
  assert.equal(flpc.status, 200);
  assert.equal(flpc.body.subarray(0, 4).toString('ascii'), 'FLPC');
  assert.equal(flpc.body.readUInt32LE(4), 1);
  assert.equal(flpc.body.readUInt32LE(8), 3);
  assert.deepEqual([0, 1, 2].map((i) => flpc.body.readFloatLE(16 + 4 * i)), [-4, -8, 0.5]);
  assert.deepEqual([0, 1, 2].map((i) => flpc.body.readFloatLE(28 + 4 * i)), [7, 5, 9]);
  assert.deepEqual([0, 1, 2].map((i) => flpc.body.readFloatLE(48 + 12 + 4 * i)), [-4, 5, 0.5]);
});

test('tasks reference media: sizes filled in at import, workers see it only through their tasks', async () => {
  const { json: img } = await upload(rtoken, pngBytes({ width: 40, height: 30 }), 'task.png', 'image/png');
  const { json: foreign } = await upload(otherToken, pngBytes({ width: 2, height: 2 }), 'f.png', 'image/png');
  const p = await srv.api('POST', '/api/v1/projects', {
    token: rtoken,
    body: { name: 'boxes', kind: 'image_annotation', schema: { classes: [{ name: 'car', tools: ['bbox'] }] },
      reward_micros: 20000, currency: 'USD', estimated_seconds: 20, overlap: 1 }, // 3.6 USD/h: above the floor (FW-5)
  });
  const id = p.json.id;
  const bad = await srv.api('POST', `/api/v1/projects/${id}/tasks`, {
    token: rtoken, headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson([{ data: { image: { media_id: img.media_id } } }, { data: { image: { media_id: foreign.media_id } } }]),
  });
  assertProblem(bad, 422, 'IMPORT_INVALID');
  assert.deepEqual(bad.json.errors.map((e) => [e.line, e.field]), [[2, '/data/image/media_id']]);
  const ok = await srv.api('POST', `/api/v1/projects/${id}/tasks`, {
    token: rtoken, headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson([{ data: { image: { media_id: img.media_id } } }]),
  });
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual((await exportLines(srv, rtoken, id))[0].data.image, { media_id: img.media_id, width: 40, height: 30 });
  await srv.api('POST', `/api/v1/projects/${id}/publish`, { token: rtoken });

  assert.equal((await raw(`/api/v1/media/${img.media_id}`, w1)).status, 404, 'no lease yet');
  const claim = await srv.api('POST', `/api/v1/projects/${id}/claim`, { token: w1 });
  assert.equal(claim.status, 200, claim.text);
  assert.equal(claim.json.task.data.image.width, 40);
  assert.equal((await raw(`/api/v1/media/${img.media_id}`, w1)).status, 200, 'holding the lease');
  assert.equal((await raw(`/api/v1/media/${img.media_id}`, w2)).status, 404, 'another worker');
  const outside = await srv.api('POST', `/api/v1/assignments/${claim.json.assignment_id}/submit`, {
    token: w1, body: { lease_token: claim.json.lease_token, answer: { objects: [{ class: 'car', type: 'bbox', bbox: [30, 0, 20, 10] }] } },
  });
  assertProblem(outside, 422, 'INVALID_FIELD');
  assert.equal(outside.json.field, '/answer/objects/0/bbox', 'checked against the real image width');
  const sub = await srv.api('POST', `/api/v1/assignments/${claim.json.assignment_id}/submit`, {
    token: w1, body: { lease_token: claim.json.lease_token, answer: { objects: [{ class: 'car', type: 'bbox', bbox: [1, 2, 30, 20] }] } },
  });
  assert.equal(sub.status, 200, sub.text);
  assert.equal((await raw(`/api/v1/media/${img.media_id}`, w1)).status, 200, 'after submitting');
});

test('a ZIP upload stores every file it lists, or nothing when one is bad', async () => {
  const { zipBytes } = await import('../lib/media.mjs');
  const a = pngBytes({ width: 3, height: 3 }), b = pngBytes({ width: 5, height: 2 });
  const cloud = kittiBin([[1, 1, 1, 0]]);
  const ok = await upload(rtoken, zipBytes({ 'imgs/a.png': a, 'imgs/b.png': b, 'scan/000001.bin': cloud, '.DS_Store': Buffer.from('x') }),
    'batch.zip', 'application/zip');
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(ok.json.items.map((i) => [i.path, i.kind, i.width ?? i.points]).sort(),
    [['imgs/a.png', 'image', 3], ['imgs/b.png', 'image', 5], ['scan/000001.bin', 'pointcloud', 1]]);
  const stored = await raw(`/api/v1/media/${ok.json.items.find((i) => i.path === 'imgs/b.png').media_id}`, rtoken);
  assert.ok(stored.body.equals(b));

  // With a manifest only the listed files count; one bad file stores nothing.
  const c = pngBytes({ width: 6, height: 6 });
  const bad = await upload(rtoken, zipBytes({
    'manifest.json': Buffer.from(JSON.stringify({ files: ['c.png', 'broken.png'] })),
    'c.png': c, 'broken.png': Buffer.from('not a png'), 'ignored.png': Buffer.from('also not a png'),
  }), 'm.zip', 'application/zip');
  assertProblem(bad, 422, 'MEDIA_INVALID');
  assert.deepEqual(bad.json.errors.map((e) => e.path), ['broken.png']);
  assert.equal((await raw(`/api/v1/media/${createHash('sha256').update(c).digest('hex')}`, rtoken)).status, 404);
  const missing = await upload(rtoken, zipBytes({ 'manifest.json': Buffer.from('{"files":["nope.png"]}'), 'c.png': c }), 'n.zip', 'application/zip');
  assertProblem(missing, 422, 'MEDIA_INVALID');
  assert.match(missing.json.errors[0].detail, /not in the archive/);
  assertProblem(await upload(rtoken, Buffer.from('PK\x03\x04 truncated'), 'x.zip', 'application/zip'), 422, 'MEDIA_INVALID');
});

test('reviewers assigned to a project see it and its media; others do not', async () => {
  const admin = await createUserCli(srv, { role: 'admin' });
  const atoken = await srv.login(admin.email, admin.password);
  const rev = await srv.createUserApi(atoken, { role: 'reviewer' });
  const vtoken = await srv.login(rev.email, rev.password);
  const { json: img } = await upload(rtoken, pngBytes({ width: 8, height: 8 }), 'r.png', 'image/png');
  const p = await srv.api('POST', '/api/v1/projects', {
    token: rtoken,
    body: { name: 'reviewed', kind: 'image_annotation', schema: { classes: [{ name: 'car', tools: ['bbox'] }] },
      reward_micros: 20000, currency: 'USD', estimated_seconds: 20, overlap: 1 }, // 3.6 USD/h: above the floor (FW-5)
  });
  const id = p.json.id;
  await srv.api('POST', `/api/v1/projects/${id}/tasks`, {
    token: rtoken, headers: { 'content-type': 'application/x-ndjson' }, body: ndjson([{ data: { image: { media_id: img.media_id } } }]),
  });
  assert.equal((await srv.api('GET', `/api/v1/projects/${id}`, { token: vtoken })).status, 404);
  assert.equal((await raw(`/api/v1/media/${img.media_id}`, vtoken)).status, 404);
  const notReviewer = await srv.api('POST', `/api/v1/projects/${id}/reviewers`, { token: rtoken, body: { user_id: 1 } });
  assertProblem(notReviewer, 422, 'INVALID_FIELD');
  assert.equal(notReviewer.json.field, '/user_id');
  const add = await srv.api('POST', `/api/v1/projects/${id}/reviewers`, { token: rtoken, body: { user_id: rev.id } });
  assert.equal(add.status, 201, add.text);
  assert.deepEqual((await srv.api('GET', `/api/v1/projects/${id}/reviewers`, { token: rtoken })).json.items.map((u) => u.id), [rev.id]);
  assert.equal((await srv.api('GET', `/api/v1/projects/${id}`, { token: vtoken })).status, 200);
  assert.ok((await srv.api('GET', '/api/v1/projects', { token: vtoken })).json.items.some((x) => x.id === id));
  assert.equal((await raw(`/api/v1/media/${img.media_id}`, vtoken)).status, 200);
});
