// UI message catalogs (web/static/i18n/en.json, fr.json) and t(key). Signed-in pages speak the user's language
// (`language` of GET /api/v1/me); pages without a user (login, register, contact, regions, transparency) take
// ?lang=, then the choice remembered in localStorage, then the browser's languages (fr* → fr). A key missing in
// fr falls back to en, then to the key itself. Elements with data-i18n="key" (text), data-i18n-title,
// data-i18n-placeholder or data-i18n-aria-label (attributes) are translated by applyTranslations().
// Dates and numbers are formatted with Intl in the current language; money keeps its currency code and is
// formatted from its decimal string, never through floating point.
import { api, formatDuration, formatMoney as formatMoneyEn, microsToDecimal } from '/static/api.js';

export const LANGUAGES = { en: 'English', fr: 'Français' };
export const LANGUAGE_STORE = 'fairlabel.language';
const catalogs = {};
let language = 'en';

async function catalog(lang) {
  if (!catalogs[lang]) {
    const r = await fetch(`/static/i18n/${lang}.json`, { credentials: 'same-origin' });
    catalogs[lang] = r.ok ? await r.json() : {};
  }
  return catalogs[lang];
}

// English is loaded before any importer runs, so t() works on pages that never choose a language (support).
await catalog('en');

/** The current UI language ("en" or "fr"). */
export const currentLanguage = () => language;

/** Loads lang's catalog (and en's, for the fallback) and makes it current. */
export async function setLanguage(lang) {
  language = Object.hasOwn(LANGUAGES, lang) ? lang : 'en';
  await Promise.all([catalog('en'), catalog(language)]);
  document.documentElement.lang = language;
  return language;
}

/** The user's language from their profile (GET /api/v1/me), loaded. */
export async function loadUserLanguage() {
  let lang = 'en';
  try {
    lang = (await api('GET', '/api/v1/me')).language || 'en';
  } catch { /* signed out: the page redirects anyway */ }
  return setLanguage(lang);
}

/** A page without a user: ?lang=, then the remembered choice, then navigator.languages; "en" otherwise. */
export function publicLanguage() {
  const known = (code) => (code && Object.hasOwn(LANGUAGES, code) ? code : null);
  const param = known(new URLSearchParams(location.search).get('lang'));
  if (param) return param;
  let stored = null;
  try { stored = known(localStorage.getItem(LANGUAGE_STORE)); } catch { /* storage disabled */ }
  if (stored) return stored;
  for (const tag of navigator.languages || [navigator.language || '']) {
    const base = known(String(tag).toLowerCase().split('-')[0]);
    if (base) return base;
  }
  return 'en';
}

/** Remembers a choice made on a page without a user. */
export function rememberLanguage(lang) {
  try { localStorage.setItem(LANGUAGE_STORE, lang); } catch { /* storage disabled: ?lang= still works */ }
}

/** The text of key in the current language, {name} filled from vars. */
export function t(key, vars = {}) {
  const text = catalogs[language]?.[key] ?? catalogs.en?.[key] ?? key;
  return text.replace(/\{([a-z0-9_]+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

const ATTRIBUTES = [['i18nTitle', 'title'], ['i18nPlaceholder', 'placeholder'], ['i18nAriaLabel', 'aria-label']];

/** Translates [data-i18n] texts and the [data-i18n-title|placeholder|aria-label] attributes under root. */
export function applyTranslations(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const [data, attr] of ATTRIBUTES) {
    const sel = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const node of root.querySelectorAll(sel)) node.setAttribute(attr, t(node.dataset[data]));
  }
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = t(title.dataset.i18n);
}

// ---- dates and numbers --------------------------------------------------------------------------

/** A number in the current language (1 234,5 in French). */
export const formatNumber = (n, options = {}) => new Intl.NumberFormat(language, options).format(n);

/** Whether n takes the singular in the current language (1 in English; 0 and 1 in French). */
export const isOne = (n) => new Intl.PluralRules(language).select(n) === 'one';

/** 0.951 → "95%" (en), "95 %" (fr); null → "–". */
export const percent = (v) => (typeof v === 'number' && Number.isFinite(v) ? formatNumber(v, { style: 'percent' }) : '–');

/** Micros as a decimal number in the current language, exact: grouped integer part, local decimal mark. */
export function formatDecimal(micros) {
  const [whole, frac] = microsToDecimal(micros).split('.');
  const neg = whole.startsWith('-');
  const grouped = new Intl.NumberFormat(language).format(BigInt(neg ? whole.slice(1) : whole));
  const mark = new Intl.NumberFormat(language).formatToParts(1.5).find((p) => p.type === 'decimal')?.value || '.';
  return `${neg ? '-' : ''}${grouped}${mark}${frac}`;
}

/** Money: "$1.50" in English (as api.js), "1,50 USD" in French; the currency code is always kept. */
export function formatMoney(micros, currency) {
  if (language === 'en') return formatMoneyEn(micros, currency);
  return `${formatDecimal(micros)}\u00a0${currency}`;
}

/** Pay per hour at the estimated time, rounded to cents: integer arithmetic on micros. */
export function hourlyRate(rewardMicros, estimatedSeconds, currency) {
  if (!estimatedSeconds) return '–';
  const cents = Math.round((rewardMicros * 3600) / estimatedSeconds / 10000);
  return `${formatMoney(cents * 10000, currency)}/h`;
}

export { formatDuration };

/** An ISO time as local date and time in the current language, or "–". */
export function formatDateTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(language);
}

/** An ISO time as a date (UTC, the day the server means) in the current language: "2026-12-01" stays ISO in
 *  English, "1 déc. 2026" in French; "–" when missing. */
export function formatDay(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (language === 'en') return d.toISOString().slice(0, 10);
  return d.toLocaleDateString(language, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** A <time> element showing iso as local date and time. */
export function timeEl(iso) {
  const node = document.createElement('time');
  if (iso) node.dateTime = iso;
  node.textContent = formatDateTime(iso);
  return node;
}
