// Small helpers shared by the pages. Journal data always goes in through
// textContent (via `el`), never as HTML.

import { get } from './api.js';

/**
 * Make an element. `attrs` may hold: class, text (set as textContent), on
 * (an object of event listeners), dataset (an object), and any attribute.
 * `children` are nodes or strings (strings become text nodes).
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'value') node.value = v;
    else if (k === 'checked') node.checked = Boolean(v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of [].concat(children)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

let idCounter = 0;
/** A fresh id for label/control pairs. */
export function uid(prefix = 'c') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled control in a wrapper div: answers {wrap, control}. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = uid('f');
  const label = el('label', { for: control.id, text: labelText });
  const wrap = el('div', { class: 'field' }, [label]);
  if (hint) {
    const h = el('p', { class: 'hint', id: uid('h'), text: hint });
    control.setAttribute('aria-describedby', h.id);
    wrap.append(h);
  }
  wrap.append(control);
  return { wrap, control };
}

/** "self-compassion" → "Self-compassion". */
export function friendly(key) {
  if (!key) return '';
  const s = String(key);
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function kindLabel(kind) {
  if (kind && typeof kind === 'object') return kind.label || friendly(kind.kind);
  return friendly(kind);
}

let kindsPromise = null;
/** The kinds, fetched once per page load. */
export function getKinds() {
  if (!kindsPromise) {
    kindsPromise = get('/api/kinds').catch((e) => {
      kindsPromise = null;
      throw e;
    });
  }
  return kindsPromise;
}

export function findKind(kinds, key) {
  return (kinds || []).find((k) => k.kind === key) || null;
}

// One formatter per style, made once: a new one per date costs more than
// the rest of a timeline item.
const FORMATS = {
  long: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
  longTime: new Intl.DateTimeFormat(undefined, {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
  }),
  short: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' }),
};

/** A date in words, e.g. "Wednesday 2 December 2026, 10:42". */
export function dateWords(iso, withTime = true) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return (withTime ? FORMATS.longTime : FORMATS.long).format(d);
}

export function shortDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return FORMATS.short.format(d);
}

/** "just now", "3 minutes ago", "2 hours ago", "5 days ago". */
export function ago(unixSeconds) {
  if (!unixSeconds) return '';
  const secs = Math.max(0, Math.round(Date.now() / 1000 - unixSeconds));
  if (secs < 60) return 'just now';
  const mins = Math.floor(secs / 60);
  if (mins < 60) return mins === 1 ? '1 minute ago' : `${mins} minutes ago`;
  const hours = Math.floor(mins / 60);
  if (hours < 24) return hours === 1 ? '1 hour ago' : `${hours} hours ago`;
  const days = Math.floor(hours / 24);
  if (days < 60) return days === 1 ? 'yesterday' : `${days} days ago`;
  return `on ${shortDate(unixSeconds * 1000)}`;
}

const STEADY = {
  1: 'very unsteady',
  2: 'somewhat unsteady',
  3: 'in between',
  4: 'fairly steady',
  5: 'steady',
};

/** Steadiness in words: "fairly steady (4 of 5)". */
export function steadinessWords(n) {
  if (n === null || n === undefined || n === '') return '';
  return `${STEADY[n] || 'steadiness'} (${n} of 5)`;
}

export const STEADINESS_OPTIONS = [1, 2, 3, 4, 5].map((n) => [String(n), `${n} – ${STEADY[n]}`]);

/** Split "a, b ,c" into ["a","b","c"]. */
export function splitList(s) {
  return String(s || '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** An error message, announced, in words. */
export function errorBox(message) {
  return el('div', { class: 'error', role: 'alert' }, [
    el('p', {}, [el('strong', { text: 'That did not work. ' }), message]),
  ]);
}

/** Show (or clear) an error inside `slot`. */
export function showError(slot, err) {
  slot.replaceChildren();
  if (err) slot.append(errorBox(err.message || String(err)));
}

/** A heading that route changes can focus. */
export function pageHeading(text) {
  return el('h1', { tabindex: '-1', text });
}

/** Parse an SVG string and answer an imported, script-free <svg> element. */
export function importSvg(text, label) {
  const doc = new DOMParser().parseFromString(String(text || ''), 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.nodeName.toLowerCase() !== 'svg' || doc.getElementsByTagName('parsererror').length) {
    return el('p', { class: 'hint', text: 'This picture could not be shown.' });
  }
  for (const bad of Array.from(root.querySelectorAll('script, foreignObject'))) bad.remove();
  for (const node of [root, ...root.querySelectorAll('*')]) {
    for (const a of Array.from(node.attributes)) {
      const n = a.name.toLowerCase();
      const v = a.value.trim().toLowerCase();
      if (n.startsWith('on') || ((n === 'href' || n === 'xlink:href') && !v.startsWith('#'))) {
        node.removeAttribute(a.name);
      }
    }
  }
  const svg = document.importNode(root, true);
  if (!svg.getAttribute('role')) svg.setAttribute('role', 'img');
  if (label) svg.setAttribute('aria-label', label);
  svg.setAttribute('focusable', 'false');
  return svg;
}

/** Plural words: plural(3, 'entry', 'entries') → "3 entries". */
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
