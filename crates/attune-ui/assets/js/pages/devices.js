// #/devices: this device, the relay and sync, the device list, pairing.

import { del, get, post } from '../api.js';
import { setFromStatus } from '../status.js';
import { ago, el, field, importSvg, pageHeading, plural, showError } from '../util.js';
import { pairingPanel } from './pairing.js';

export function render(root) {
  const h1 = pageHeading('Devices');
  const errors = el('div', { class: 'error-slot' });
  const status = el('div', { role: 'status', class: 'status-region' });
  const thisDevice = el('section', { 'aria-labelledby': 'this-device' });
  const sync = el('section', { 'aria-labelledby': 'sync-heading' });
  const list = el('section', { 'aria-labelledby': 'devices-heading' });
  const pairing = el('section', { 'aria-labelledby': 'pair-heading' });
  root.append(h1, errors, status, thisDevice, sync, list, pairing);
  let alive = true;
  let pair = null;
  let st = null;

  function renderThisDevice() {
    const input = el('input', { type: 'text', name: 'device-name', autocomplete: 'off', value: st.device_name || '', required: true, maxlength: '64' });
    const form = el('form', { class: 'stack' }, [
      field('Device name', input, 'The name other devices show for this one.').wrap,
      el('div', { class: 'actions' }, [el('button', { type: 'submit', class: 'primary', text: 'Rename this device' })]),
    ]);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      showError(errors, null);
      const name = input.value.trim();
      if (!name) {
        showError(errors, { message: 'Please type a name for this device.' });
        input.focus();
        return;
      }
      try {
        await post('/api/device/rename', { name });
        status.replaceChildren(el('p', { text: `This device is now called ${name}.` }));
        load();
      } catch (err) {
        if (alive) showError(errors, err);
      }
    });
    thisDevice.replaceChildren(el('h2', { id: 'this-device', text: 'This device' }), form);
  }

  function renderSync() {
    const rows = [];
    rows.push(['Relay', st.relay || 'None: this journal stays on this device only.']);
    const live = st.live || {};
    if (st.relay) rows.push(['Connection', live.connected === false ? 'Not connected to the relay right now' : 'Connected']);
    rows.push(['Last sync', st.last_sync_unix ? ago(st.last_sync_unix) : 'Not synced yet']);
    const waiting = Number(st.pending_changes || 0);
    rows.push(['Waiting to be sent', waiting ? `${plural(waiting, 'change', 'changes')}` : 'Nothing: everything has been sent']);
    const dl = el('dl', { class: 'details' });
    for (const [t, v] of rows) dl.append(el('dt', { text: t }), el('dd', { text: v }));
    const parts = [el('h2', { id: 'sync-heading', text: 'Sync' }), dl];
    const problems = st.problems || [];
    if (problems.length) {
      const ul = el('ul');
      for (const p of problems) ul.append(el('li', { text: typeof p === 'string' ? p : JSON.stringify(p) }));
      parts.push(el('h3', { text: 'Problems the last sync reported' }), ul);
    }
    sync.replaceChildren(...parts);
  }

  function askRevoke(d, slot, name) {
    const q = el('p', { id: `revoke-q-${d.device_id}`, tabindex: '-1' }, [
      `Revoke ${name}? It will no longer receive new entries or be able to send changes: the journal moves to a new key that only the devices you keep receive. `,
      'What it already holds stays on it, so revoke a lost device soon. To use it again later, pair it anew.',
    ]);
    slot.replaceChildren(el('div', { class: 'confirm', role: 'group', 'aria-labelledby': q.id }, [
      q,
      el('div', { class: 'actions' }, [
        el('button', { type: 'button', class: 'primary', text: `Yes, revoke ${name}`, on: { click: () => revoke(d, slot, name) } }),
        el('button', { type: 'button', class: 'secondary', text: 'Keep it', on: { click: () => slot.replaceChildren() } }),
      ]),
    ]));
    q.focus();
  }

  async function revoke(d, slot, name) {
    showError(errors, null);
    try {
      const r = await post(`/api/devices/${encodeURIComponent(d.device_id)}/revoke`);
      const left = r && typeof r.remaining === 'number' ? ` ${plural(r.remaining, 'device keeps', 'devices keep')} the journal.` : '';
      status.replaceChildren(el('p', { text: `${name} is revoked.${left}` }));
      load();
    } catch (err) {
      if (alive) showError(errors, err);
      slot.replaceChildren();
    }
  }

  function renderList() {
    const ul = el('ul', { class: 'device-list' });
    for (const d of st.devices || []) {
      const name = d.name || 'A device without a name';
      const nameId = `dev-${d.device_id}`;
      const role = d.this_device ? 'this device' : d.recovery_kit ? 'your recovery words' : '';
      const head = el('p', { class: 'device-name', id: nameId }, [el('strong', { text: name })]);
      if (role) head.append(` (${role})`);
      const facts = el('dl', { class: 'details compact' }, [
        el('dt', { text: 'Fingerprint' }), el('dd', {}, [el('code', { text: d.fingerprint || '' })]),
      ]);
      if (d.added_unix) facts.append(el('dt', { text: 'Added' }), el('dd', { text: ago(d.added_unix) }));
      if (!d.this_device && !d.recovery_kit) {
        facts.append(el('dt', { text: 'Last heard from' }), el('dd', { text: d.last_seen_unix ? ago(d.last_seen_unix) : 'not yet' }));
      }
      const li = el('li', { class: 'device' }, [head, facts]);
      if (!d.this_device && !d.recovery_kit) {
        const slot = el('div', { class: 'confirm-slot' });
        li.append(el('div', { class: 'actions' }, [
          el('button', { type: 'button', class: 'secondary', text: 'Revoke', 'aria-describedby': nameId, on: { click: () => askRevoke(d, slot, name) } }),
        ]), slot);
      }
      ul.append(li);
    }
    const heading = el('h2', { id: 'devices-heading', text: 'Your devices' });
    if (!(st.devices || []).length) {
      // No signed device list yet: it is made at the first sync with a relay.
      const me = el('p', {}, [el('strong', { text: st.device_name || 'This device' }), ' (this device) is the only one for now. Its fingerprint is ', el('code', { text: st.fingerprint || '' }), '.']);
      list.replaceChildren(heading, me);
      return;
    }
    list.replaceChildren(heading, ul);
  }

  function renderPairing() {
    const head = el('h2', { id: 'pair-heading', text: 'Pair a new device' });
    if (!st.relay) {
      pairing.replaceChildren(head,
        el('p', { text: 'Pairing needs a relay: the new device receives the journal through it, still encrypted.' }),
        el('p', {}, ['To set one, run ', el('code', { text: 'attune relay set URL' }), ' in a terminal, then come back to this page.']));
      return;
    }
    if (pair) return;
    pair = pairingPanel({ relay: st.relay, onAdded: () => load(), errors, alive: () => alive, api: { get, post, del }, importSvg });
    pairing.replaceChildren(head, pair.node);
  }

  async function load() {
    try {
      const s = await get('/api/status');
      if (!alive) return;
      st = s;
      setFromStatus(s);
      if (!thisDevice.firstChild) renderThisDevice();
      renderSync();
      renderList();
      renderPairing();
    } catch (err) {
      if (alive) showError(errors, err);
    }
  }

  load();
  return {
    changed() {},
    leave() {
      alive = false;
      if (pair) pair.stop();
    },
  };
}
