// The UI message catalogs (web/static/i18n/en.json, fr.json; web/static/i18n.js): en and fr have the same keys and
// the same {placeholders} per key; every key the pages use exists; no key is unused; the English text written in
// the HTML (shown before the script runs) is the catalog's. No server needed.
//
// Used keys: data-i18n, data-i18n-title, -placeholder, -aria-label in web/*.html and in JS markup, t('…') literals
// in web/static/**/*.js, and, in modules importing i18n.js, every quoted literal that names a key of the catalog's
// families (the tables mapping API values to keys, such as { approval: 'earnings.cause.approval' }).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../lib/server.mjs';

const WEB = join(REPO_ROOT, 'web');
const read = (p) => readFileSync(p, 'utf8');
const en = JSON.parse(read(join(WEB, 'static', 'i18n', 'en.json')));
const fr = JSON.parse(read(join(WEB, 'static', 'i18n', 'fr.json')));

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'vendor' ? [] : jsFiles(p);
    return d.name.endsWith('.js') ? [p] : [];
  });
}
const htmlFiles = readdirSync(WEB).filter((n) => n.endsWith('.html')).map((n) => join(WEB, n));
const scripts = jsFiles(join(WEB, 'static')).map((p) => ({ path: p, src: read(p) }));
const pages = htmlFiles.map((p) => ({ path: p, src: read(p) }));

const placeholders = (s) => [...s.matchAll(/\{([a-z0-9_]+)\}/g)].map((m) => m[1]).sort();
const rel = (p) => relative(REPO_ROOT, p);
// attribute values in HTML and in el() calls ('data-i18n': 'key'); a key has a dot (family.name)
const ATTR = /data-i18n(?:-title|-placeholder|-aria-label)?["']?\s*[=:]\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']/g;

test('en and fr have the same keys, placeholders and non-empty texts', () => {
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const [key, text] of Object.entries(en)) {
    assert.equal(typeof text, 'string', key);
    assert.ok(text.trim() && fr[key].trim(), `${key} is empty`);
    assert.deepEqual(placeholders(fr[key]), placeholders(text), `${key}: placeholders differ`);
  }
});

test('every key used by the pages exists, and every key is used', () => {
  const used = new Map(); // key → first file using it
  const use = (key, file) => { if (!used.has(key)) used.set(key, file); };
  for (const { path, src } of [...pages, ...scripts]) {
    for (const m of src.matchAll(ATTR)) use(m[1], rel(path));
  }
  for (const { path, src } of scripts) {
    for (const m of src.matchAll(/\bt\(\s*(['"])([^'"]+)\1/g)) use(m[2], rel(path));
  }
  for (const [key, file] of used) assert.ok(Object.hasOwn(en, key), `${file} uses ${key}, missing in en.json`);

  // tables of keys, in the modules that translate
  const families = new Set(Object.keys(en).map((k) => k.split('.')[0]));
  for (const { path, src } of scripts) {
    if (!/from '\/static\/i18n\.js'/.test(src)) continue;
    for (const m of src.matchAll(/(['"])([a-z_]+(?:\.[a-z0-9_]+)+)\1/g)) {
      if (!families.has(m[2].split('.')[0])) continue;
      assert.ok(Object.hasOwn(en, m[2]), `${rel(path)} names ${m[2]}, missing in en.json`);
      use(m[2], rel(path));
    }
  }
  const unused = Object.keys(en).filter((k) => !used.has(k));
  assert.deepEqual(unused, [], 'keys in en.json that no page uses');
});

test('the English written in the HTML is the catalog text', () => {
  const collapse = (s) => s.replace(/\s+/g, ' ').trim();
  const entity = (s) => s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');
  let checked = 0;
  for (const { path, src } of pages) {
    for (const m of src.matchAll(/<([a-z0-9]+)\b([^>]*)\sdata-i18n="([^"]+)"([^>]*)>([^<]*)<\/\1>/g)) {
      assert.equal(collapse(entity(m[5])), en[m[3]], `${rel(path)}: <${m[1]} data-i18n="${m[3]}">`);
      checked++;
    }
    for (const tag of src.matchAll(/<[a-z0-9]+\b[^>]*>/g)) {
      for (const a of tag[0].matchAll(/data-i18n-(title|placeholder|aria-label)="([^"]+)"/g)) {
        const value = new RegExp(`\\s${a[1]}="([^"]*)"`).exec(tag[0]);
        assert.ok(value, `${rel(path)}: ${tag[0]} has no ${a[1]}`);
        assert.equal(collapse(entity(value[1])), en[a[2]], `${rel(path)}: ${a[1]} of ${a[2]}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} tagged texts found`);
});

test('French typography is consistent: a space before : ; ? ! and no straight double quotes', () => {
  for (const [key, text] of Object.entries(fr)) {
    // "{where} :" and "(… :" are fine; a letter or digit directly before : ; ? ! is not (URLs and times aside)
    for (const m of text.matchAll(/[\p{L}\d)»][:;?!]/gu)) {
      if (m[0].endsWith(':') && /\d:\d|https?:/.test(text.slice(m.index - 4, m.index + 3))) continue;
      assert.fail(`${key}: no space before "${m[0].slice(-1)}" in ${JSON.stringify(text)}`);
    }
    assert.ok(!/"/.test(text), `${key}: use « » or “ ” in French`);
  }
});
