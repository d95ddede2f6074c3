// Fills a published image_annotation project through the real HTTP path: each connection (one worker
// account each) loops POST /api/v1/projects/{id}/claim → POST /api/v1/assignments/{aid}/submit until
// a claim answers 204. Used by bench/export.
//
// usage: node bench/lib/export_fill.mjs --base URL --project ID --tokens FILE [--objects 3] [--expect N]
// Prints progress to stderr and one last line to stdout: RESULT submits=N seconds=S per_s=R errors=E
import { readFileSync } from 'node:fs';
import http from 'node:http';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const base = new URL(args.base);
const project = Number(args.project);
const tokens = readFileSync(args.tokens, 'utf8').split('\n').filter(Boolean);
const objects = Number(args.objects ?? 3);
const expect = Number(args.expect ?? 0);
const CLASSES = ['car', 'person', 'bike'];
if (!project || !tokens.length) { console.error('export_fill: --base, --project and --tokens are required'); process.exit(2); }

const agent = new http.Agent({ keepAlive: true, maxSockets: tokens.length });

function request(method, path, token, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request({
      host: base.hostname, port: base.port, method, path, agent,
      headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : { 'Content-Length': 0 }) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// Boxes vary with the task id so the export is not one repeated string; all lie inside 640×480.
function answerFor(taskId) {
  const out = [];
  for (let k = 0; k < objects; k++) {
    const s = (taskId * 7 + k * 13) % 97;
    out.push({ class: CLASSES[(taskId + k) % CLASSES.length], type: 'bbox',
      bbox: [10 + s + 150 * k, 20 + (s % 41) * 3, 40 + (s % 29), 30 + (s % 17) + 0.5], attributes: { occluded: (s & 1) === 1 } });
  }
  return { objects: out };
}

let submits = 0, errors = 0;
const shown = [];
async function lane(token) {
  for (;;) {
    let c;
    try {
      c = await request('POST', `/api/v1/projects/${project}/claim`, token);
    } catch (e) { errors++; if (errors > 100) throw e; continue; }
    if (c.status === 204) return;
    if (c.status !== 200) {
      errors++;
      if (shown.length < 5) { shown.push(c.text); console.error(`export_fill: claim ${c.status}: ${c.text}`); }
      if (errors > 100) throw new Error('too many errors');
      continue;
    }
    const claim = JSON.parse(c.text);
    const s = await request('POST', `/api/v1/assignments/${claim.assignment_id}/submit`, token,
      { lease_token: claim.lease_token, answer: answerFor(claim.task.id) });
    if (s.status === 200) submits++;
    else {
      errors++;
      if (shown.length < 5) { shown.push(s.text); console.error(`export_fill: submit ${s.status}: ${s.text}`); }
      if (errors > 100) throw new Error('too many errors');
    }
  }
}

const t0 = performance.now();
let last = 0;
const ticker = setInterval(() => {
  const s = (performance.now() - t0) / 1000;
  console.error(`export_fill: ${submits}${expect ? `/${expect}` : ''} submitted in ${s.toFixed(0)} s (${((submits - last) / 10).toFixed(0)}/s now)`);
  last = submits;
}, 10_000);
try {
  await Promise.all(tokens.map(lane));
} finally {
  clearInterval(ticker);
  agent.destroy();
}
const seconds = (performance.now() - t0) / 1000;
console.log(`RESULT submits=${submits} seconds=${seconds.toFixed(3)} per_s=${(submits / seconds).toFixed(1)} errors=${errors}`);
if (errors) process.exitCode = 1;
