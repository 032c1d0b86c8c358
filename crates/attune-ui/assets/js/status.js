// The live sync line in the header: #sync-status.

import { get } from './api.js';
import { ago } from './util.js';

const state = { relay: undefined, connected: undefined, last: null, known: false };

function words() {
  if (!state.known) return 'Checking sync…';
  if (state.relay === null || state.relay === '') return 'Offline only (no relay set)';
  if (state.connected === false) return 'Not connected to the relay';
  if (state.last) return `Synced ${ago(state.last)}`;
  return 'Not synced yet';
}

function paint() {
  const node = document.getElementById('sync-status');
  if (!node) return;
  const text = words();
  if (node.textContent !== text) node.textContent = text;
}

/** Take what GET /api/status answered. */
export function setFromStatus(st) {
  if (!st) return;
  state.known = true;
  state.relay = st.relay ?? null;
  if (st.live && typeof st.live.connected === 'boolean') state.connected = st.live.connected;
  if (st.last_sync_unix) state.last = st.last_sync_unix;
  paint();
}

/** Take a `sync` event: {last_sync_unix, connected, problems}. */
export function setFromSync(ev) {
  if (!ev) return;
  if (!state.known) {
    state.known = true;
    if (state.relay === undefined) state.relay = 'relay';
  }
  if (typeof ev.connected === 'boolean') state.connected = ev.connected;
  if (ev.last_sync_unix) state.last = ev.last_sync_unix;
  paint();
}

/** Fetch /api/status and paint. Errors are left to the caller's page. */
export async function refreshStatus() {
  try {
    const st = await get('/api/status');
    setFromStatus(st);
    return st;
  } catch (_) {
    return null;
  }
}

export function startStatusClock() {
  paint();
  setInterval(paint, 20000);
}
