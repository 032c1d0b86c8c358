// The shell: hash router, focus and titles, Alt+H, the lock and the events.

import { setApiHandlers } from './api.js';
import { el, pageHeading } from './util.js';
import { initLock, isLocked, lockNow, renderLockScreen, unlockedNow } from './lock.js';
import { startEvents, stopEvents } from './events.js';
import { refreshStatus, setFromSync, startStatusClock } from './status.js';
import * as write from './pages/write.js';
import * as timeline from './pages/timeline.js';
import * as entry from './pages/entry.js';
import * as insights from './pages/insights.js';
import * as crisis from './pages/crisis.js';
import * as devices from './pages/devices.js';
import * as data from './pages/data.js';

const ROUTES = {
  write: { title: 'Write', page: write },
  timeline: { title: 'Timeline', page: timeline },
  entry: { title: 'Entry', page: entry },
  insights: { title: 'Insights', page: insights },
  crisis: { title: 'Crisis help', page: crisis },
  devices: { title: 'Devices', page: devices },
  data: { title: 'Your data', page: data },
};

let current = null;
let ended = false;
let lastRoute = '#/timeline';

/** `#/entry/ID?kind=x` → {name:'entry', param:'ID', query:URLSearchParams}. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return {
    name: parts[0] || '',
    param: parts[1] ? decodeURIComponent(parts[1]) : '',
    query: new URLSearchParams(q || ''),
  };
}

function markNav(name) {
  for (const a of document.querySelectorAll('nav[aria-label="Main"] a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function main() {
  return document.getElementById('content');
}

function focusPage() {
  const m = main();
  const h1 = m.querySelector('h1');
  if (h1) {
    if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
    h1.focus();
  } else {
    m.focus();
  }
  window.scrollTo(0, 0);
}

/** Leave the current page and empty <main>. */
function teardown() {
  if (current && current.page && current.page.leave) {
    try {
      current.page.leave();
    } catch (_) {
      // Leaving must never stop a lock.
    }
  }
  current = null;
  main().replaceChildren();
}

function render() {
  if (ended) return;
  if (location.hash === '#content') {
    // The skip link without JavaScript's help: stay on the page, focus main.
    history.replaceState(null, '', lastRoute);
    main().focus();
    return;
  }
  const route = parseHash();
  if (!route.name) {
    location.replace('#/timeline');
    return;
  }
  teardown();
  markNav(route.name);
  if (route.name !== 'crisis') lastRoute = location.hash;
  if (isLocked() && route.name !== 'crisis') {
    renderLockScreen(main());
    return;
  }
  const def = ROUTES[route.name];
  const root = el('div', { class: 'page' });
  main().append(root);
  if (!def) {
    document.title = 'Not found · Attune';
    root.append(pageHeading('This page does not exist'), el('p', {}, [
      'Try the ', el('a', { href: '#/timeline', text: 'timeline' }), '.',
    ]));
    focusPage();
    return;
  }
  document.title = `${def.title} · Attune`;
  const page = def.page.render(root, { ...route, locked: isLocked(), backHash: lastRoute }) || {};
  current = { name: route.name, page };
  focusPage();
}

function sessionEnded(message) {
  if (ended) return;
  teardown();
  ended = true;
  stopEvents();
  document.title = 'Session ended · Attune';
  const h1 = pageHeading('This session ended');
  main().append(el('div', { class: 'page' }, [
    h1,
    el('p', { role: 'alert', text: message || "This page's session ended; run `attune ui` again." }),
  ]));
  h1.focus();
}

function onKey(e) {
  if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === 'KeyH' || e.key === 'h' || e.key === 'H')) {
    e.preventDefault();
    if (ended) return;
    if (location.hash === '#/crisis') focusPage();
    else location.hash = '#/crisis';
  }
}

async function start() {
  window.addEventListener('keydown', onKey, true);
  const skip = document.getElementById('skip-link');
  if (skip) {
    skip.addEventListener('click', (e) => {
      e.preventDefault();
      main().focus();
    });
  }
  setApiHandlers({ locked: () => lockNow(false), noSession: sessionEnded });
  startStatusClock();
  try {
    await initLock({
      teardown,
      rerender: () => {
        render();
        if (!isLocked()) refreshStatus();
      },
    });
  } catch (err) {
    if (!ended) {
      main().replaceChildren(el('div', { class: 'page' }, [
        pageHeading('Attune did not start'),
        el('p', { role: 'alert', text: err.message || String(err) }),
      ]));
    }
    return;
  }
  window.addEventListener('hashchange', render);
  startEvents({
    changed: () => {
      if (!isLocked() && current && current.page && current.page.changed) current.page.changed();
    },
    sync: setFromSync,
    locked: () => lockNow(false),
    unlocked: () => unlockedNow(),
  });
  render();
  if (!isLocked()) refreshStatus();
}

start();
