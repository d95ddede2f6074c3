// Sign-in page: POST /auth/login, then go to the user's page.
import { announce, api, clearFieldErrors, homeFor, showApiFieldError, showFieldError } from '/static/api.js';
import { t } from '/static/i18n.js';
import { mountLanguageSwitch } from '/static/language.js';

await mountLanguageSwitch();

const form = document.getElementById('login-form');
const email = document.getElementById('email');
const password = document.getElementById('password');
const submit = document.getElementById('login-submit');
const status = document.getElementById('login-status');

const params = new URLSearchParams(location.search);
if (params.get('email')) email.value = params.get('email');
if (params.has('registered')) {
  announce(status, t('login.registered'), 'success');
  password.focus();
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearFieldErrors(form);
  announce(status, '');
  if (!email.value.trim()) return showFieldError(email, t('login.email_missing'));
  if (!password.value) return showFieldError(password, t('login.password_missing'));
  submit.disabled = true;
  announce(status, t('login.signing_in'));
  try {
    const reply = await api('POST', '/api/v1/auth/login', { json: { email: email.value.trim(), password: password.value } });
    const home = homeFor(reply.user);
    if (home === '/login') {
      announce(status, t('login.no_page', { name: reply.user.display_name, role: reply.user.role }), 'info');
      submit.disabled = false;
      return;
    }
    announce(status, t('login.redirecting'), 'success');
    location.assign(home);
  } catch (err) {
    submit.disabled = false;
    let msg = err.message;
    if (err.status === 429) msg = err.retryAfter ? t('login.too_many_seconds', { seconds: err.retryAfter }) : t('login.too_many');
    else if (err.status === 401) msg = t('login.wrong');
    else if (showApiFieldError(err, { email, password })) msg = '';
    announce(status, msg, 'error');
  }
});
// Enabled only now that the handler is attached: an earlier click would submit the form natively (GET, the
// password in the address).
submit.disabled = false;
