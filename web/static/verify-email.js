// The emailed link of an email re-verification (FW-25): a click (not the page load, which mail scanners may
// fetch) sends the one-time token to POST /api/v1/email-verification/confirm.
const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('t');
const status = $('verify-email-status');
const button = $('verify-email-submit');

if (!token) {
  button.disabled = true;
  status.textContent = 'This page needs the link from the email we sent you.';
}

button.addEventListener('click', async () => {
  button.disabled = true;
  const res = await fetch('/api/v1/email-verification/confirm', {
    method: 'POST', credentials: 'omit',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.ok) {
    history.replaceState(null, '', '/verify-email');
    status.textContent = 'Thank you: your email address is confirmed. You can take new work again.';
    return;
  }
  status.textContent = res.status === 410
    ? 'This link is unknown, already used or expired. Sign in and ask for a new one.'
    : 'Something went wrong; try again in a moment.';
  button.disabled = res.status === 410;
});
