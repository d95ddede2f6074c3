// Admin page: signs the admin in, then loads each panel's module. A panel module exports
// `mount(section)`; one that fails to load shows its error in its own panel and leaves the others working.
import { announce, requireUser } from '/static/api.js';

const PANELS = [
  ['wages-panel', '/static/admin-wages.js'],
  ['payouts-panel', '/static/admin-payouts.js'],
  ['report-panel', '/static/admin-report.js'],
  ['fairwork-panel', '/static/admin-fairwork.js'],
  ['regions-panel', '/static/admin-regions.js'],
  ['due-process-panel', '/static/admin-decisions.js'],
  ['mail-panel', '/static/admin-mail.js'],
  ['announcements-panel', '/static/admin-announcements.js'],
  ['risk-panel', '/static/admin-risk.js'],
];

const user = await requireUser(['admin']);
if (user) {
  await Promise.all(PANELS.map(async ([id, src]) => {
    const section = document.getElementById(id);
    try {
      const mod = await import(src);
      await mod.mount(section);
    } catch (err) {
      const p = document.createElement('p');
      p.className = 'status';
      section.append(p);
      announce(p, `This panel could not load: ${err.message}`, 'error');
    }
  }));
}
