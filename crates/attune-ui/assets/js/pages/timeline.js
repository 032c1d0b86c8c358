// #/timeline: entries newest first, with filters and search.
// The filters live in memory only (never in the URL or browser storage).

import { post } from '../api.js';
import { entryItem } from '../entrylist.js';
import { el, field, getKinds, kindLabel, pageHeading, plural, showError } from '../util.js';

const PAGE = 50;
const filters = { words: '', kind: '', tag: '', person: '', since: '', until: '', deleted: false };

function query() {
  const q = {};
  for (const k of ['kind', 'tag', 'person', 'since', 'until']) if (filters[k].trim()) q[k] = filters[k].trim();
  return q;
}

export function render(root) {
  const h1 = pageHeading('Timeline');
  const errors = el('div', { class: 'error-slot' });
  const status = el('div', { role: 'status', class: 'status-region' });
  const list = el('ol', { class: 'entry-list' });
  const more = el('button', { type: 'button', class: 'secondary', text: 'Show older entries', hidden: true });
  const results = el('section', { 'aria-labelledby': 'results-heading', class: 'results' }, [
    el('h2', { id: 'results-heading', class: 'visually-hidden', text: 'Entries' }),
    list,
  ]);

  const kindSel = el('select', { name: 'kind' }, [el('option', { value: '', text: 'Any kind' })]);
  const words = el('input', { type: 'search', name: 'words', autocomplete: 'off', value: filters.words });
  const tag = el('input', { type: 'text', name: 'tag', autocomplete: 'off', value: filters.tag });
  const person = el('input', { type: 'text', name: 'person', autocomplete: 'off', value: filters.person });
  const since = el('input', { type: 'date', name: 'since', value: filters.since });
  const until = el('input', { type: 'date', name: 'until', value: filters.until });
  const deleted = el('input', { type: 'checkbox', name: 'deleted', checked: filters.deleted });
  const deletedField = el('div', { class: 'field check' }, [deleted, el('label', { for: (deleted.id = 'tl-deleted'), text: 'Show deleted entries' })]);
  const form = el('form', { class: 'filters', 'aria-label': 'Find entries' }, [
    field('Search', words, 'Every word, in text, tags and people.').wrap,
    el('div', { class: 'row' }, [
      field('Kind', kindSel).wrap,
      field('Tag', tag).wrap,
      field('Person', person).wrap,
    ]),
    el('div', { class: 'row' }, [field('From', since).wrap, field('To', until).wrap]),
    deletedField,
    el('div', { class: 'actions' }, [
      el('button', { type: 'submit', class: 'primary', text: 'Show entries' }),
      el('button', { type: 'button', class: 'secondary', text: 'Clear filters', on: { click: clear } }),
    ]),
  ]);
  form.setAttribute('role', 'search');
  root.append(h1, form, errors, status, results, more);

  let alive = true;
  let kinds = [];
  let next = null;
  let shown = 0;
  let seq = 0;

  function readForm() {
    Object.assign(filters, {
      words: words.value, kind: kindSel.value, tag: tag.value, person: person.value,
      since: since.value, until: until.value, deleted: deleted.checked,
    });
  }

  function clear() {
    for (const c of [words, tag, person, since, until]) c.value = '';
    kindSel.value = '';
    deleted.checked = false;
    readForm();
    load(false);
  }

  function describe(count, searching) {
    if (count === 0) {
      const any = filters.words.trim() || Object.keys(query()).length;
      if (!any && !searching) {
        return el('p', {}, ['No entries yet. ', el('a', { href: '#/write', text: 'Write one' }), ' whenever you like.']);
      }
      return el('p', { text: 'No entries match. You could try fewer words or filters.' });
    }
    return el('p', { text: `Showing ${plural(count, 'entry', 'entries')}${searching ? ' that match your search' : ''}.` });
  }

  async function load(append, keep = 0) {
    const my = ++seq;
    showError(errors, null);
    const searching = Boolean(filters.words.trim());
    try {
      let answer;
      if (searching) {
        answer = await post('/api/entries/search', { words: filters.words.trim(), ...query(), limit: 500 });
      } else {
        const body = { ...query(), limit: Math.min(500, Math.max(PAGE, keep)) };
        if (filters.deleted) body.deleted = true;
        if (append && next) {
          body.before = next;
          body.limit = PAGE;
        }
        answer = await post('/api/entries/list', body);
      }
      if (!alive || my !== seq) return;
      const entries = answer.entries || [];
      if (!append) {
        list.replaceChildren();
        shown = 0;
      }
      list.append(...entries.map((e) => entryItem(e, 3, kinds)));
      shown += entries.length;
      next = searching ? null : answer.next || null;
      more.hidden = !next;
      status.replaceChildren(describe(shown, searching));
    } catch (err) {
      if (alive && my === seq) showError(errors, err);
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    readForm();
    load(false);
  });
  more.addEventListener('click', () => load(true));

  (async () => {
    try {
      kinds = await getKinds();
      for (const k of kinds) kindSel.append(el('option', { value: k.kind, text: kindLabel(k) }));
      kindSel.value = filters.kind;
    } catch (err) {
      if (alive) showError(errors, err);
    }
    if (alive) load(false);
  })();

  return {
    changed() {
      load(false, shown);
    },
    leave() {
      alive = false;
    },
  };
}
