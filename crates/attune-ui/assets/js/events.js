// One EventSource on /api/events. The browser reconnects by itself.

let source = null;

function data(e) {
  try {
    return e.data ? JSON.parse(e.data) : null;
  } catch (_) {
    return null;
  }
}

/** Start listening. `on` holds changed, sync, locked and unlocked callbacks. */
export function startEvents(on) {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/events');
  source.addEventListener('changed', () => on.changed && on.changed());
  source.addEventListener('sync', (e) => on.sync && on.sync(data(e)));
  source.addEventListener('locked', () => on.locked && on.locked());
  source.addEventListener('unlocked', () => on.unlocked && on.unlocked());
}

export function stopEvents() {
  if (source) source.close();
  source = null;
}
