// UI message catalogs (web/static/i18n/en.json, fr.json) and t(key): the page speaks the signed-in user's
// language (`language` of GET /api/v1/me). A key missing in fr falls back to en, then to the key itself.
// Elements with data-i18n="key" (text) or data-i18n-title="key" (title attribute) are translated by
// applyTranslations(); modules may add such attributes to their own markup.
import { api } from '/static/api.js';

export const LANGUAGES = { en: 'English', fr: 'Français' };
const catalogs = {};
let language = 'en';

async function catalog(lang) {
  if (!catalogs[lang]) {
    const r = await fetch(`/static/i18n/${lang}.json`, { credentials: 'same-origin' });
    catalogs[lang] = r.ok ? await r.json() : {};
  }
  return catalogs[lang];
}

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

/** The text of key in the current language, {name} filled from vars. */
export function t(key, vars = {}) {
  const text = catalogs[language]?.[key] ?? catalogs.en?.[key] ?? key;
  return text.replace(/\{([a-z0-9_]+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Translates [data-i18n] texts and [data-i18n-title] titles under root. */
export function applyTranslations(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
}
