// Entry page: route the visitor to their page.
import { announce, currentUser, homeFor } from '/static/api.js';
import { applyTranslations, publicLanguage, setLanguage, t } from '/static/i18n.js';

await setLanguage(publicLanguage());
applyTranslations();
try {
  location.replace(homeFor(await currentUser()));
} catch (err) {
  announce(document.getElementById('page-status'), `${err.message} `, 'error');
  document.getElementById('page-status').append(Object.assign(document.createElement('a'), { href: '/login', textContent: t('index.sign_in') }));
}
