// Entry page: route the visitor to their page.
import { announce, currentUser, homeFor } from '/static/api.js';

try {
  location.replace(homeFor(await currentUser()));
} catch (err) {
  announce(document.getElementById('page-status'), `${err.message} `, 'error');
  document.getElementById('page-status').append(Object.assign(document.createElement('a'), { href: '/login', textContent: 'Sign in' }));
}
