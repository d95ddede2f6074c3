// The language choice. Signed-in worker: a select in the page header (#language-select, label "Language") that
// saves PUT /api/v1/me/language and switches the page's texts at once (web/static/i18n.js); later notices, in the
// inbox and by email, are written in it; #language-status (aria-live) says whether it was saved.
// Pages without a user: mountLanguageSwitch() picks the language (?lang=, remembered choice, browser) and adds a
// small switch (nav.language-switch, a[data-lang]) to the header; choosing remembers it and reloads with ?lang=.
import { announce, api, el } from '/static/api.js';
import {
  LANGUAGES, applyTranslations, currentLanguage, loadUserLanguage, publicLanguage, rememberLanguage, setLanguage, t,
} from '/static/i18n.js';

const $ = (id) => document.getElementById(id);

/**
 * Loads the user's language, translates the page and mounts the select in the header (.topbar .who, before
 * #user-name). onChange() runs after a saved change, to render the page's dynamic parts again.
 */
export async function mountLanguage(onChange = () => {}) {
  const who = document.querySelector('.topbar .who');
  await loadUserLanguage();
  applyTranslations();
  if (!who || $('language-select')) return;
  const select = el('select', { id: 'language-select', class: 'language-select' },
    ...Object.entries(LANGUAGES).map(([code, name]) => el('option', { value: code, lang: code }, name)));
  select.value = currentLanguage();
  const label = el('label', { for: 'language-select', class: 'language-label', 'data-i18n': 'language.label' }, t('language.label'));
  const status = el('span', { id: 'language-status', class: 'status language-status', role: 'status', 'aria-live': 'polite', hidden: '' });
  who.insertBefore(el('span', { class: 'language-choice' }, label, select, status), $('user-name') || who.firstChild);
  select.addEventListener('change', async () => {
    const previous = currentLanguage();
    select.disabled = true;
    try {
      const r = await api('PUT', '/api/v1/me/language', { json: { language: select.value } });
      await setLanguage(r.language);
      applyTranslations();
      await onChange();
      announce(status, t('language.saved'), 'success');
    } catch (err) {
      select.value = previous;
      announce(status, t('language.failed', { error: err.message }), 'error');
    } finally {
      select.disabled = false;
    }
  });
}

/** A page without a user: chooses and loads the language, translates the page, adds the switch to .topbar. */
export async function mountLanguageSwitch() {
  await setLanguage(publicLanguage());
  // a ?lang= link (from an email, or the switch) carries over to the pages linked from this one
  if (new URLSearchParams(location.search).has('lang')) rememberLanguage(currentLanguage());
  applyTranslations();
  const bar = document.querySelector('.topbar');
  if (!bar || bar.querySelector('.language-switch')) return currentLanguage();
  const links = Object.entries(LANGUAGES).map(([code, name]) => {
    const url = new URL(location.href);
    url.searchParams.set('lang', code);
    const a = el('a', { href: `${url.pathname}${url.search}${url.hash}`, lang: code, hreflang: code, dataset: { lang: code } }, name);
    if (code === currentLanguage()) a.setAttribute('aria-current', 'true');
    a.addEventListener('click', () => rememberLanguage(code));
    return a;
  });
  bar.append(el('nav', { class: 'language-switch', 'aria-label': t('language.label') }, ...links));
  return currentLanguage();
}
