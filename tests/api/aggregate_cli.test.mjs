// `fairlabel aggregate` on the real truth-inference datasets in ../shared/data/truth (read in place):
// accuracy of mv, ds, glad and mace against the figures published in that folder's README.md (within one
// point, or better), N_Emotion's mean and median MAE / RMSE, and the CLI's handling of bad input.
// The dataset tests skip when ../shared is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO_ROOT, run } from '../lib/server.mjs';

const TRUTH = join(REPO_ROOT, '..', 'shared', 'data', 'truth');
const HAVE_DATA = existsSync(join(TRUTH, 'README.md'));
const TIMEOUT = 600000; // the sanitizer build runs GLAD on S_Rel's 98,453 answers too

async function aggregate(args) {
  return run(BIN, ['aggregate', ...args], { timeout: TIMEOUT });
}

// "key: value" lines of the report.
function report(stdout) {
  const out = {};
  for (const line of stdout.split('\n')) {
    const m = /^([a-z_0-9]+): (\S+)/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// Published figures, read from the README: { folder: { mv, ds, glad, mace } } and N_Emotion's MAE / RMSE.
function published() {
  const text = readFileSync(join(TRUTH, 'README.md'), 'utf8');
  const figures = {};
  const lines = text.split('\n');
  const header = lines.find((l) => /^\| dataset \| MV \|/.test(l));
  assert.ok(header, 'README.md: no table of published accuracies');
  const cols = header.split('|').map((c) => c.trim().toLowerCase()).filter(Boolean);
  for (const line of lines) {
    const m = /^\| [^|]*\(([\w-]+)\) \|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    const values = m[2].split('|').map((c) => Number(c.trim()));
    const row = {};
    cols.slice(1).forEach((c, i) => { row[c] = values[i]; });
    figures[m[1]] = row;
  }
  // "Majority vote on the Snow sets (…): RTE 0.919, TEMP 0.939, WSD 0.994; Dawid–Skene: RTE 0.928, …"
  const flat = text.replace(/\s+/g, ' ');
  const N = String.raw`(\d+(?:\.\d+)?)`;
  const snow = new RegExp(`Majority vote on the Snow sets[^:]*: RTE ${N}, TEMP ${N}, WSD ${N}; Dawid.Skene: ` +
    `RTE ${N}, TEMP ${N}, WSD ${N}`).exec(flat);
  assert.ok(snow, 'README.md: no Snow figures');
  figures.snow2008_rte = { mv: Number(snow[1]), ds: Number(snow[4]) };
  figures.snow2008_temp = { mv: Number(snow[2]), ds: Number(snow[5]) };
  figures.snow2008_wsd = { mv: Number(snow[3]), ds: Number(snow[6]) };
  // crowd-kit's fixtures: "Dawid–Skene must recover the truth".
  figures.crowdkit_toy = { ds: 1 };
  figures.crowdkit_simple = { ds: 1 };
  const emo = new RegExp(`Mean ${N} / ${N}, Median ${N} / ${N}`).exec(flat);
  assert.ok(emo, 'README.md: no N_Emotion figures');
  figures.f201_Emotion_FULL = {
    mean: { mae: Number(emo[1]), rmse: Number(emo[2]) },
    median: { mae: Number(emo[3]), rmse: Number(emo[4]) },
  };
  return figures;
}

// Where this implementation is known not to reach the published figure, with the reason and the figure it
// must keep (so a regression still fails). See src/core/aggregate.h.
const KNOWN_GAPS = {
  'd_jn-product/mace': {
    atLeast: 0.82,
    why: 'MACE as published keeps a uniform class prior; on D_Product (88% of items are "0") it moves the ' +
      'posteriors towards 50/50 and reaches 0.833, not crowd-kit\'s 0.929 (mace_estimate_prior gives 0.931)',
  },
};

const datasets = HAVE_DATA
  ? readdirSync(TRUTH, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  : [];

test('every dataset folder is covered', { skip: !HAVE_DATA && '../shared/data/truth is absent' }, () => {
  const figures = published();
  for (const d of datasets) {
    if (d === 'crowdkit_ds_stepbystep') continue; // no truth file: checked step by step in test_aggregate.c
    assert.ok(figures[d], `no published figures for ${d}`);
  }
});

for (const d of datasets) {
  const answers = join(TRUTH, d, 'answer.csv');
  const truth = join(TRUTH, d, 'truth.csv');
  if (d === 'f201_Emotion_FULL') {
    for (const method of ['mean', 'median']) {
      test(`${d} ${method}: MAE and RMSE as published`, async () => {
        const want = published()[d][method];
        const r = await aggregate(['--method', method, '--answers', answers, '--truth', truth]);
        assert.equal(r.code, 0, r.stderr);
        const got = report(r.stdout);
        assert.equal(got.evaluated, '700');
        // The README gives two decimals: at most half a unit of the last digit worse.
        assert.ok(Number(got.mae) <= want.mae + 0.005, `MAE ${got.mae}, published ${want.mae}`);
        assert.ok(Number(got.rmse) <= want.rmse + 0.005, `RMSE ${got.rmse}, published ${want.rmse}`);
      });
    }
    continue;
  }
  const hasTruth = existsSync(truth);
  for (const method of ['mv', 'ds', 'glad', 'mace']) {
    test(`${d} ${method}`, async () => {
      const want = hasTruth ? published()[d]?.[method] : undefined;
      const args = ['--method', method, '--answers', answers];
      if (hasTruth) args.push('--truth', truth);
      const r = await aggregate(args);
      assert.equal(r.code, 0, r.stderr);
      const got = report(r.stdout);
      assert.equal(got.method, method);
      assert.ok(Number(got.items) > 0);
      if (!hasTruth) return;
      const acc = Number(got.accuracy);
      assert.ok(Number(got.evaluated) > 0);
      if (want === undefined) return; // nothing published for this method here
      const gap = KNOWN_GAPS[`${d}/${method}`];
      if (gap) {
        assert.ok(acc >= gap.atLeast, `accuracy ${acc} below ${gap.atLeast} (${gap.why})`);
        console.log(`# ${d} ${method}: ${acc} against the published ${want}: ${gap.why}`);
        return;
      }
      assert.ok(acc >= want - 0.01, `accuracy ${acc}, published ${want}`);
    });
  }
}

test('CSV variants: header spellings, quotes, CRLF and CR line ends, repeated rows, --out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-agg-'));
  try {
    // Item "a,1" is quoted; w3 answers twice on it and both votes count (2 × "x" against 1 × "y \"z\"").
    writeFileSync(join(dir, 'a.csv'),
      'Task,Annotator,Label,extra\r\n"a,1",w1,"y ""z""",e\r\n"a,1",w3,x,e\r\n"a,1",w3,x,e\r\n' +
      'b,w1,x,\r\nb,w2,"y ""z""",\r\n');
    // Old Mac line ends (CR only), as d_sentiment/quali_truth.csv has.
    writeFileSync(join(dir, 't.csv'), 'id,truth\r"a,1",x\rb,x\rc,x\r');
    const out = join(dir, 'out.csv');
    const r = await aggregate(['--method', 'mv', '--answers', join(dir, 'a.csv'), '--truth', join(dir, 't.csv'),
      '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const got = report(r.stdout);
    assert.equal(got.answers, '5');
    assert.equal(got.items, '2');
    assert.equal(got.classes, '2');
    // b ties 1–1 and goes to the first label in sorted order: "x" < "y \"z\"".
    assert.equal(got.evaluated, '2');
    assert.equal(got.accuracy, '1.0000');
    assert.match(r.stdout, /^truth_rows: 3 \(1 for items without answers\)$/m);
    assert.equal(readFileSync(out, 'utf8'), 'item,label,confidence\n"a,1",x,0.666667\nb,x,0.500000\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input exits 2 with a one-line message naming file, line and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-agg-'));
  try {
    const noLabel = join(dir, 'nolabel.csv');
    writeFileSync(noLabel, 'question,worker\nq1,w1\n');
    let r = await aggregate(['--method', 'ds', '--answers', noLabel]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `fairlabel: ${noLabel}:1: no label column in the header (expected answer or label)\n`);

    const short = join(dir, 'short.csv');
    writeFileSync(short, 'question,worker,answer\nq1,w1,a\nq2,w2\n');
    r = await aggregate(['--method', 'mv', '--answers', short]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `fairlabel: ${short}:3: column 'answer' is missing (the row has 2 fields)\n`);

    const badNumber = join(dir, 'num.csv');
    writeFileSync(badNumber, 'question,worker,answer\r\nq1,w1,5\r\nq1,w2,five\r\n');
    r = await aggregate(['--method', 'mean', '--answers', badNumber]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `fairlabel: ${badNumber}:3: column 'answer': 'five' is not a number\n`);

    const noTruthColumn = join(dir, 'truth.csv');
    writeFileSync(noTruthColumn, 'question,value\nq1,5\n');
    r = await aggregate(['--method', 'mv', '--answers', badNumber, '--truth', noTruthColumn]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /truth\.csv:1: no truth column in the header/);

    r = await aggregate(['--method', 'mv', '--answers', join(dir, 'missing.csv')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^fairlabel: cannot read .*missing\.csv: No such file or directory\n$/);

    r = await aggregate(['--method', 'wawa', '--answers', noLabel]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--method: 'wawa' is not one of/);
    r = await aggregate(['--method', 'ds', '--answers', noLabel, '--tol', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--tol: 'x' is not a number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help documents the file format and every method', async () => {
  const r = await aggregate(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['question', 'annotator', 'answer', 'truth', 'mv', 'ds', 'onecoin', 'glad', 'mace', 'mean',
    'median', '--max-iter', '--tol', '--smoothing', 'item,label,confidence']) {
    assert.ok(r.stdout.includes(word), `--help lacks ${word}`);
  }
});
