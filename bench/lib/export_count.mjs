// Parses an export downloaded by bench/export and counts what it holds, so a truncated or broken
// stream fails the benchmark instead of timing well.
//
// usage: node bench/lib/export_count.mjs coco|jsonl FILE
// Prints: RESULT tasks=N answers=N annotations=N consensus=N   (COCO: images, -, the workers' annotations,
// the consensus annotations; JSONL: lines, answers, objects across answers, objects across results).
// Exits 1 when the file does not parse or holds an error line.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [format, file] = process.argv.slice(2);
const fail = (msg) => { console.error(`export_count: ${file}: ${msg}`); process.exit(1); };

if (format === 'coco') {
  let doc;
  try { doc = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { fail(`not JSON: ${e.message}`); }
  for (const k of ['images', 'annotations', 'categories']) if (!Array.isArray(doc[k])) fail(`no "${k}" array`);
  for (const a of doc.annotations) {
    if (!Array.isArray(a.bbox) || a.bbox.length !== 4 || typeof a.image_id !== 'number') fail(`bad annotation ${JSON.stringify(a)}`);
  }
  const consensus = doc.annotations.filter((a) => a.source === 'consensus').length;
  console.log(`RESULT tasks=${doc.images.length} answers=- annotations=${doc.annotations.length - consensus} consensus=${consensus}`);
} else if (format === 'jsonl') {
  let tasks = 0, answers = 0, objects = 0, consensus = 0, line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (!text) continue;
    let o;
    try { o = JSON.parse(text); } catch (e) { fail(`line ${line} is not JSON: ${e.message}`); }
    if (o.error) fail(`line ${line}: the export stopped: ${JSON.stringify(o.error)}`);
    if (typeof o.task_id !== 'number' || !Array.isArray(o.answers)) fail(`line ${line} is not an export line`);
    tasks++;
    for (const a of o.answers) { answers++; objects += a.answer.objects.length; }
    consensus += o.result?.answer?.objects?.length ?? 0;
  }
  console.log(`RESULT tasks=${tasks} answers=${answers} annotations=${objects} consensus=${consensus}`);
} else {
  fail(`unknown format ${format} (coco or jsonl)`);
}
