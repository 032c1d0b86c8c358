// The idle lock: activity pings, the local idle timer, and the lock screen.
// While locked, the page's content is removed from the DOM, not covered.

import { get, post } from './api.js';
import { el, field, pageHeading, showError } from './util.js';

const ACTIVITY_EVERY_MS = 30000;

let session = null;
let locked = false;
let lastActivity = Date.now();
let lastSent = 0;
let hooks = { teardown: () => {}, rerender: () => {} };

export const isLocked = () => locked;
export const getSession = () => session;

function onActivity() {
  if (locked) return;
  const now = Date.now();
  lastActivity = now;
  // Often enough that a short idle lock never comes on while the person is here.
  const minutes = session && Number(session.idle_lock_minutes);
  const every = minutes > 0 ? Math.min(ACTIVITY_EVERY_MS, (minutes * 60000) / 4) : ACTIVITY_EVERY_MS;
  if (now - lastSent >= every) {
    lastSent = now;
    post('/api/activity').catch(() => {});
  }
}

function checkIdle() {
  const minutes = session && Number(session.idle_lock_minutes);
  if (locked || !minutes || minutes <= 0) return;
  if (Date.now() - lastActivity >= minutes * 60000) lockNow(true);
}

/** Lock: hide everything; `tellServer` also locks the server. */
export function lockNow(tellServer = false) {
  if (locked) return;
  locked = true;
  hooks.teardown();
  if (tellServer) post('/api/lock').catch(() => {});
  hooks.rerender();
}

/** The lock ended (the `unlocked` event, or our own unlock). */
export function unlockedNow() {
  if (!locked) return;
  locked = false;
  lastActivity = Date.now();
  lastSent = 0;
  onActivity();
  hooks.rerender();
}

/** Read the session, start the timers. `h` = {teardown, rerender}. */
export async function initLock(h) {
  hooks = h;
  session = await get('/api/session');
  locked = Boolean(session.locked);
  for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart', 'input']) {
    window.addEventListener(ev, onActivity, { passive: true, capture: true });
  }
  setInterval(checkIdle, 5000);
  if (!locked) onActivity();
  return session;
}

/** Draw the lock screen into `main`. */
export function renderLockScreen(main) {
  const h1 = pageHeading('Attune is locked');
  const errors = el('div', { class: 'error-slot' });
  const protectedByPass = Boolean(session && session.passphrase_protected);
  const form = el('form', { class: 'stack', novalidate: true });
  let pass = null;
  if (protectedByPass) {
    pass = el('input', { type: 'password', name: 'passphrase', autocomplete: 'current-password', required: true });
    form.append(field('Passphrase', pass).wrap);
    form.append(el('div', { class: 'actions' }, [el('button', { type: 'submit', class: 'primary', text: 'Unlock' })]));
  } else {
    form.append(el('div', { class: 'actions' }, [el('button', { type: 'submit', class: 'primary', text: 'Continue' })]));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(errors, null);
    const body = pass ? { passphrase: pass.value } : {};
    try {
      await post('/api/unlock', body);
      if (pass) pass.value = '';
      unlockedNow();
    } catch (err) {
      if (pass) {
        pass.value = '';
        pass.focus();
      }
      showError(errors, err.status === 403 ? { message: 'That passphrase did not open the journal. Please try again.' } : err);
    }
  });
  const intro = protectedByPass
    ? 'Your journal is hidden after a quiet while. Type your passphrase to go on.'
    : 'Your journal is hidden after a quiet while. Choose Continue to go on.';
  const crisis = el('p', {}, [
    'Need help now? ',
    el('a', { href: '#/crisis', class: 'crisis-link inline' }, ['Crisis help']),
    ' opens while Attune is locked.',
  ]);
  main.replaceChildren(el('div', { class: 'page lock-screen' }, [h1, el('p', { text: intro }), errors, form, crisis]));
  document.title = 'Locked · Attune';
  h1.focus();
}
