// Sign-in page: POST /auth/login, then go to the user's page.
import { announce, api, clearFieldErrors, homeFor, showApiFieldError, showFieldError } from '/static/api.js';

const form = document.getElementById('login-form');
const email = document.getElementById('email');
const password = document.getElementById('password');
const submit = document.getElementById('login-submit');
const status = document.getElementById('login-status');

const params = new URLSearchParams(location.search);
if (params.get('email')) email.value = params.get('email');
if (params.has('registered')) {
  announce(status, 'Your account is ready. Sign in to start labelling.', 'success');
  password.focus();
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearFieldErrors(form);
  announce(status, '');
  if (!email.value.trim()) return showFieldError(email, 'Enter your email address.');
  if (!password.value) return showFieldError(password, 'Enter your password.');
  submit.disabled = true;
  announce(status, 'Signing in…');
  try {
    const reply = await api('POST', '/api/v1/auth/login', { json: { email: email.value.trim(), password: password.value } });
    const home = homeFor(reply.user);
    if (home === '/login') {
      announce(status, `Signed in as ${reply.user.display_name}. The ${reply.user.role} role has no web page yet.`, 'info');
      submit.disabled = false;
      return;
    }
    announce(status, 'Signed in. Redirecting…', 'success');
    location.assign(home);
  } catch (err) {
    submit.disabled = false;
    let msg = err.message;
    if (err.status === 429) msg = `Too many attempts. Try again in ${err.retryAfter ? `${err.retryAfter} seconds` : 'a few minutes'}.`;
    else if (err.status === 401) msg = 'Email or password is not correct.';
    else if (showApiFieldError(err, { email, password })) msg = '';
    announce(status, msg, 'error');
  }
});
