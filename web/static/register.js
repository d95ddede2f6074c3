// Registration page: POST /auth/register, then sign in and go to /worker.
import { announce, api, clearFieldErrors, el, showApiFieldError, showFieldError } from '/static/api.js';
import { currentLanguage, t } from '/static/i18n.js';
import { mountLanguageSwitch } from '/static/language.js';

await mountLanguageSwitch();

// ISO 3166-1 alpha-2 codes; names come from the browser (Intl.DisplayNames), falling back to the code.
const CODES = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`.split(/\s+/);

const form = document.getElementById('register-form');
const fields = {
  email: document.getElementById('email'),
  password: document.getElementById('password'),
  display_name: document.getElementById('display-name'),
  country: document.getElementById('country'),
};
const submit = document.getElementById('register-submit');
const status = document.getElementById('register-status');

let names = null;
try { names = new Intl.DisplayNames([currentLanguage(), 'en'], { type: 'region' }); } catch { /* old browser */ }
const countries = CODES.map((code) => {
  let name = code;
  try { name = names?.of(code) || code; } catch { /* keep the code */ }
  return { code, name };
}).sort((a, b) => a.name.localeCompare(b.name, currentLanguage()));
fields.country.append(...countries.map(({ code, name }) => el('option', { value: code }, name === code ? code : `${name} (${code})`)));
// Preselect the country of the browser's locale, if it names one.
const guess = (navigator.language || '').split('-')[1]?.toUpperCase();
if (guess && CODES.includes(guess)) fields.country.value = guess;

function checkLocally() {
  const v = {
    email: fields.email.value.trim(), password: fields.password.value,
    display_name: fields.display_name.value.trim(), country: fields.country.value,
  };
  let ok = true;
  const fail = (key, msg) => { if (ok) fields[key].focus(); ok = false; showFieldError(fields[key], msg); };
  if (!/^[^\s@]+@[^\s@]+$/.test(v.email)) fail('email', t('register.email_invalid'));
  if (v.password.length < 8) fail('password', t('register.password_short'));
  else if (v.password.length > 256) fail('password', t('register.password_long'));
  if (!v.display_name) fail('display_name', t('register.name_missing'));
  if (!v.country) fail('country', t('register.country_missing'));
  return ok ? v : null;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearFieldErrors(form);
  announce(status, '');
  const body = checkLocally();
  if (!body) return;
  submit.disabled = true;
  announce(status, t('register.creating'));
  try {
    await api('POST', '/api/v1/auth/register', { json: body });
  } catch (err) {
    submit.disabled = false;
    if (showApiFieldError(err, fields)) announce(status, t('register.correct_field'), 'error');
    else announce(status, err.message, 'error');
    return;
  }
  announce(status, t('register.created'), 'success');
  try {
    await api('POST', '/api/v1/auth/login', { json: { email: body.email, password: body.password } });
    // the language chosen here becomes the profile's (notices, emails, the worker page)
    if (currentLanguage() !== 'en') {
      try { await api('PUT', '/api/v1/me/language', { json: { language: currentLanguage() } }); } catch { /* can be chosen later */ }
    }
    location.assign('/worker');
  } catch {
    location.assign(`/login?registered=1&email=${encodeURIComponent(body.email)}&lang=${currentLanguage()}`);
  }
});
// Enabled only now that the handler is attached (an earlier click would submit the form natively).
submit.disabled = false;
