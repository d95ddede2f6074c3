// Admin panel (placeholder until built): see web/admin.html.
export function mount(section) {
  section.dataset.ready = 'true';
}
