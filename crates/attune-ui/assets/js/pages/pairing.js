// The pairing panel of the Devices page: code, QR code, command, and the
// confirm step. Polls GET /api/pairing every second while a pairing runs.

import { el, showError } from '../util.js';

export function pairingPanel({ relay, onAdded, errors, alive, api, importSvg }) {
  const node = el('div', { class: 'pairing' });
  const live = el('div', { role: 'status', class: 'status-region' });
  let timer = null;
  let lastState = '';

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  function idle() {
    stop();
    lastState = '';
    const start = el('button', { type: 'button', class: 'primary', text: 'Pair a new device', on: { click: begin } });
    node.replaceChildren(
      el('p', { text: 'Pairing gives a new device of yours the journal. You type a short code on it, then check that both show the same fingerprint.' }),
      el('div', { class: 'actions' }, [start]),
      live,
    );
  }

  function say(text) {
    live.replaceChildren(el('p', { text }));
  }

  async function answer(accept) {
    showError(errors, null);
    try {
      await api.post('/api/pairing/confirm', { accept });
      say(accept ? 'Adding the device…' : 'Not added. The pairing is over.');
    } catch (err) {
      showError(errors, err);
    }
  }

  async function poll(area) {
    let p;
    try {
      p = await api.get('/api/pairing');
    } catch (err) {
      stop();
      if (alive()) showError(errors, err);
      return;
    }
    if (!alive()) {
      stop();
      return;
    }
    const key = `${p.state}|${p.name || ''}|${p.fingerprint || ''}|${p.message || ''}`;
    if (key === lastState) return;
    lastState = key;
    switch (p.state) {
      case 'waiting':
        say('Waiting for the new device…');
        break;
      case 'confirm': {
        const qid = 'pair-confirm-q';
        area.replaceChildren(el('div', { class: 'confirm', role: 'group', 'aria-labelledby': qid }, [
          el('p', { id: qid, text: 'A device asks to join. Check that it shows the same name and fingerprint.' }),
          el('dl', { class: 'details' }, [
            el('dt', { text: 'Name' }), el('dd', { text: p.name || 'No name given' }),
            el('dt', { text: 'Fingerprint' }), el('dd', {}, [el('code', { class: 'fingerprint', text: p.fingerprint || '' })]),
          ]),
          el('div', { class: 'actions' }, [
            el('button', { type: 'button', class: 'primary', text: 'Add this device', on: { click: () => answer(true) } }),
            el('button', { type: 'button', class: 'secondary', text: 'Not this one', on: { click: () => answer(false) } }),
          ]),
        ]));
        say('A device asks to join. Check its fingerprint.');
        break;
      }
      case 'adding':
        area.replaceChildren();
        say('Adding the device…');
        break;
      case 'added':
        stop();
        finish(`Added ${p.name || 'the new device'}. It will have the journal after its first sync.`);
        onAdded();
        break;
      case 'failed':
        stop();
        finish(`The pairing did not work: ${p.message || 'it ended before the device was added.'} You can start again.`);
        break;
      case 'none':
        stop();
        finish('No pairing is running now. You can start a new one.');
        break;
      default:
        break;
    }
  }

  function finish(text) {
    idle();
    say(text);
  }

  async function cancel() {
    stop();
    try {
      await api.del('/api/pairing');
    } catch (_) {
      // Already over.
    }
    finish('The pairing is cancelled.');
  }

  async function begin() {
    showError(errors, null);
    let p;
    try {
      p = await api.post('/api/pairing');
    } catch (err) {
      showError(errors, err);
      return;
    }
    if (!alive()) return;
    const useRelay = p.relay || relay;
    const command = `attune join ${p.code} --relay ${useRelay}`;
    const qr = importSvg(p.qr_svg, 'QR code of the pairing code');
    const area = el('div', { class: 'confirm-slot' });
    const until = p.expires_unix
      ? new Date(p.expires_unix * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
      : '';
    node.replaceChildren(
      el('h3', { text: 'The pairing code' }),
      el('p', { class: 'pair-code', text: p.code }),
      until ? el('p', { class: 'hint', text: `The code works until ${until}.` }) : '',
      el('div', { class: 'qr-card' }, [qr]),
      el('p', { text: 'On the new device, type:' }),
      el('pre', { class: 'command' }, [el('code', { text: command })]),
      area,
      live,
      el('div', { class: 'actions' }, [el('button', { type: 'button', class: 'secondary', text: 'Cancel pairing', on: { click: cancel } })]),
    );
    say('Waiting for the new device…');
    lastState = 'waiting|||';
    timer = setInterval(() => poll(area), 1000);
  }

  idle();
  return { node, stop };
}
