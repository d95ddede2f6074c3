// The worker's language choice, in the page header: a select (#language-select, label "Language") that saves
// PUT /api/v1/me/language and switches the page's texts at once (web/static/i18n.js). Later notices, in the
// inbox and by email, are written in it. #language-status (aria-live) says whether it was saved.
// The worker page's fixed texts are tagged here by id, so worker.html needs no change.
import { announce, api, el } from '/static/api.js';
import { LANGUAGES, applyTranslations, currentLanguage, loadUserLanguage, setLanguage, t } from '/static/i18n.js';

const $ = (id) => document.getElementById(id);

// worker.html's texts: [selector, key, attribute] (attribute "title", or the text by default)
const WORKER_TEXTS = [
  ['.skip-link', 'header.skip'],
  ['#done-count', 'header.done', 'sibling'],
  ['#done-count', 'header.done_title', 'parent-title'],
  ['#unread-count', 'header.unread', 'sibling'],
  ['#unread-count', 'header.unread_title', 'parent-title'],
  ['#logout', 'header.sign_out'],
  ['#projects-title', 'projects.title'],
  ['#refresh-projects', 'projects.refresh'],
  ['#list-empty', 'projects.empty'],
  ['#notifications-title', 'notifications.title'],
  ['#refresh-notifications', 'notifications.refresh'],
  ['#notifications .hint', 'notifications.hint'],
  ['#notifications-empty', 'notifications.empty'],
  ['#my-quality-title', 'quality.title'],
  ['#refresh-quality', 'quality.refresh'],
  ['#earnings-title', 'earnings.title'],
  ['#payouts-title', 'payouts.title'],
  ['#decisions-title', 'decisions.title'],
];

function tagWorkerTexts() {
  for (const [selector, key, how] of WORKER_TEXTS) {
    const node = document.querySelector(selector);
    if (!node) continue;
    if (how === 'sibling' && node.previousElementSibling) node.previousElementSibling.dataset.i18n = key;
    else if (how === 'parent-title') node.parentElement.dataset.i18nTitle = key;
    else if (!how) node.dataset.i18n = key;
  }
}

/** Mounts the select in the header (.topbar .who, before #user-name) and translates the page. */
export async function mountLanguage() {
  const who = document.querySelector('.topbar .who');
  if (!who || $('language-select')) return;
  await loadUserLanguage();
  tagWorkerTexts();
  const select = el('select', { id: 'language-select', class: 'language-select' },
    ...Object.entries(LANGUAGES).map(([code, name]) => el('option', { value: code, lang: code }, name)));
  select.value = currentLanguage();
  const label = el('label', { for: 'language-select', class: 'language-label', 'data-i18n': 'language.label' }, t('language.label'));
  const status = el('span', { id: 'language-status', class: 'status language-status', role: 'status', 'aria-live': 'polite', hidden: '' });
  who.insertBefore(el('span', { class: 'language-choice' }, label, select, status), $('user-name') || who.firstChild);
  applyTranslations();
  select.addEventListener('change', async () => {
    const previous = currentLanguage();
    select.disabled = true;
    try {
      const r = await api('PUT', '/api/v1/me/language', { json: { language: select.value } });
      await setLanguage(r.language);
      applyTranslations();
      announce(status, t('language.saved'), 'success');
    } catch (err) {
      select.value = previous;
      announce(status, t('language.failed', { error: err.message }), 'error');
    } finally {
      select.disabled = false;
    }
  });
}
