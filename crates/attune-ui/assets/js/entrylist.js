// An entry as a list item, for the timeline and "On this day".

import { dateWords, el, kindLabel, shortDate, steadinessWords } from './util.js';

/** The first ~200 characters of a text, cut at a word. */
export function excerpt(text, n = 200) {
  const t = String(text || '').replace(/\s+/g, ' ').trim();
  if (t.length <= n) return t;
  const cut = t.slice(0, n);
  const space = cut.lastIndexOf(' ');
  return `${(space > n * 0.6 ? cut.slice(0, space) : cut).trim()}…`;
}

/** One `<li><article>` for an entry. `level` is the heading level (2 or 3). */
export function entryItem(entry, level = 2, kinds = []) {
  const kind = kinds.find((k) => k.kind === entry.kind);
  const label = kindLabel(kind || entry.kind);
  const link = el('a', { href: `#/entry/${encodeURIComponent(entry.id)}` }, [
    label,
    ' · ',
    shortDate(entry.created),
  ]);
  const heading = el(`h${level}`, { class: 'entry-title' }, [link]);
  if (entry.deleted) heading.append(el('span', { class: 'badge', text: ' (deleted)' }));
  const time = el('time', { datetime: entry.created, text: dateWords(entry.created) });
  const meta = el('ul', { class: 'entry-meta' }, [el('li', {}, [time])]);
  if (entry.people && entry.people.length) meta.append(el('li', { text: `With ${entry.people.join(', ')}` }));
  if (entry.tags && entry.tags.length) meta.append(el('li', { text: `Tags: ${entry.tags.join(', ')}` }));
  if (entry.steadiness) meta.append(el('li', { text: `Felt ${steadinessWords(entry.steadiness)}` }));
  const article = el('article', { class: 'entry-card' }, [heading, meta]);
  const text = entry.snippet || excerpt(entry.body);
  if (text) article.append(el('p', { class: 'entry-excerpt', text }));
  return el('li', {}, [article]);
}

/** An `<ol>` of entries. */
export function entryList(entries, level = 2, kinds = []) {
  const ol = el('ol', { class: 'entry-list' });
  ol.append(...entries.map((e) => entryItem(e, level, kinds)));
  return ol;
}
