// #/entry/<id>: one entry, its edit form, delete and restore.

import { del, get, patch, post } from '../api.js';
import { buildEntryControls, entryToState, stateToPatch } from '../entryform.js';
import { dateWords, el, findKind, getKinds, kindLabel, showError, steadinessWords } from '../util.js';

function fieldText(def, value) {
  if (def && def.type === 'choice') {
    const c = (def.choices || []).find((x) => x.key === value);
    if (c) return c.label || c.key;
  }
  return String(value);
}

function paragraphs(text) {
  const box = el('div', { class: 'prose' });
  for (const part of String(text).split(/\n{2,}/)) {
    if (part.trim()) box.append(el('p', { text: part }));
  }
  return box;
}

export function render(root, route) {
  const id = route.param;
  const h1 = el('h1', { tabindex: '-1', text: 'Entry' });
  const status = el('div', { role: 'status', class: 'status-region' });
  const errors = el('div', { class: 'error-slot' });
  const body = el('div', { class: 'entry-view' });
  root.append(h1, status, errors, body);

  let alive = true;
  let kinds = [];
  let entry = null;
  let editing = null; // {controls}
  let confirming = false;

  function title(e) {
    const kind = findKind(kinds, e.kind);
    h1.textContent = `${kindLabel(kind || e.kind)} · ${dateWords(e.created, false)}`;
  }

  function dl(rows) {
    const list = el('dl', { class: 'details' });
    for (const [term, value] of rows) list.append(el('dt', { text: term }), el('dd', { text: value }));
    return list;
  }

  function showView() {
    editing = null;
    confirming = false;
    const e = entry;
    title(e);
    const kind = findKind(kinds, e.kind);
    const rows = [['Written', dateWords(e.created)]];
    if (e.edited && e.edited !== e.created) rows.push(['Last changed', dateWords(e.edited)]);
    if (e.steadiness) rows.push(['Steadiness', steadinessWords(e.steadiness)]);
    if (e.people && e.people.length) rows.push(['People', e.people.join(', ')]);
    if (e.tags && e.tags.length) rows.push(['Tags', e.tags.join(', ')]);
    const answers = [];
    const known = new Set();
    for (const def of (kind && kind.fields) || []) {
      known.add(def.key);
      const v = (e.fields || {})[def.key];
      if (v !== undefined && v !== null && v !== '') answers.push([def.prompt || def.key, fieldText(def, v)]);
    }
    for (const [k, v] of Object.entries(e.fields || {})) {
      if (!known.has(k) && v !== null && v !== '') answers.push([k, String(v)]);
    }
    const parts = [];
    if (e.deleted) {
      parts.push(el('p', { class: 'notice', text: 'This entry is deleted: it is hidden from your timeline. Nothing was erased, and you can restore it.' }));
    }
    parts.push(dl(rows));
    if (answers.length) parts.push(el('h2', { text: 'Answers' }), dl(answers));
    parts.push(el('h2', { text: 'Entry' }));
    parts.push(e.body && e.body.trim() ? paragraphs(e.body) : el('p', { class: 'hint', text: 'No text was written.' }));
    if (e.notes && e.notes.trim()) parts.push(el('h2', { text: 'Notes' }), paragraphs(e.notes));
    if (e.heavy) {
      parts.push(el('p', { class: 'notice gentle' }, [
        'If this is heavy right now: ',
        el('a', { href: '#/write?kind=grounding', text: 'a grounding exercise' }),
        ' may help, and ',
        el('a', { href: '#/crisis', class: 'crisis-link inline', text: 'Crisis help' }),
        ' has crisis lines and your safety plan.',
      ]));
    }
    const confirmSlot = el('div', { class: 'confirm-slot' });
    const actions = el('div', { class: 'actions' });
    if (e.deleted) {
      actions.append(el('button', { type: 'button', class: 'primary', text: 'Restore', on: { click: restore } }));
    } else {
      actions.append(
        el('button', { type: 'button', class: 'primary', text: 'Edit', on: { click: showEdit } }),
        el('button', { type: 'button', class: 'secondary', text: 'Delete', on: { click: () => askDelete(confirmSlot) } }),
      );
    }
    parts.push(actions, confirmSlot, el('p', {}, [el('a', { href: '#/timeline', text: 'Back to the timeline' })]));
    body.replaceChildren(...parts);
  }

  function askDelete(slot) {
    if (confirming) return;
    confirming = true;
    const text = el('p', { id: 'delete-question', tabindex: '-1', text: 'Delete this entry? It will be hidden from your timeline and insights. Nothing is erased, and you can restore it later.' });
    const box = el('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'delete-question' }, [
      text,
      el('div', { class: 'actions' }, [
        el('button', { type: 'button', class: 'primary', text: 'Yes, delete it', on: { click: remove } }),
        el('button', { type: 'button', class: 'secondary', text: 'Keep it', on: { click: () => { confirming = false; slot.replaceChildren(); } } }),
      ]),
    ]);
    slot.replaceChildren(box);
    text.focus();
  }

  async function remove() {
    showError(errors, null);
    try {
      entry = await del(`/api/entries/${encodeURIComponent(id)}`);
      showView();
      status.replaceChildren(el('p', { text: 'Deleted. You can restore it from here.' }));
      h1.focus();
    } catch (err) {
      if (alive) showError(errors, err);
    }
  }

  async function restore() {
    showError(errors, null);
    try {
      entry = await post(`/api/entries/${encodeURIComponent(id)}/restore`);
      showView();
      status.replaceChildren(el('p', { text: 'Restored. It is back in your timeline.' }));
      h1.focus();
    } catch (err) {
      if (alive) showError(errors, err);
    }
  }

  function showEdit() {
    status.replaceChildren();
    const form = el('form', { class: 'entry-form stack' });
    const note = el('div', { class: 'merge-note', role: 'status' });
    const controls = buildEntryControls(form, kinds, entryToState(entry));
    const save = el('button', { type: 'submit', class: 'primary', text: 'Save changes' });
    form.append(el('div', { class: 'actions' }, [
      save,
      el('button', { type: 'button', class: 'secondary', text: 'Cancel', on: { click: () => { showView(); h1.focus(); } } }),
    ]));
    editing = { controls, note };
    body.replaceChildren(el('h2', { text: 'Edit this entry' }), note, form);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      showError(errors, null);
      const change = stateToPatch(entry, controls.getState(), kinds);
      if (Object.keys(change).length === 1) {
        showView();
        status.replaceChildren(el('p', { text: 'Nothing changed.' }));
        h1.focus();
        return;
      }
      save.disabled = true;
      try {
        entry = await patch(`/api/entries/${encodeURIComponent(id)}`, change);
        showView();
        status.replaceChildren(el('p', { text: 'Saved.' }));
        h1.focus();
      } catch (err) {
        if (alive) showError(errors, err);
      } finally {
        save.disabled = false;
      }
    });
    const first = form.querySelector('select, input, textarea');
    if (first) first.focus();
  }

  async function load() {
    try {
      if (!kinds.length) kinds = await getKinds();
      const e = await get(`/api/entries/${encodeURIComponent(id)}`);
      if (!alive) return;
      entry = e;
      if (editing) {
        editing.note.replaceChildren(el('p', { text: 'This entry changed on another device; your edits will merge when you save.' }));
        return;
      }
      if (!confirming) showView();
    } catch (err) {
      if (!alive) return;
      if (err.status === 404) {
        h1.textContent = 'Entry not found';
        body.replaceChildren(el('p', {}, ['There is no such entry. ', el('a', { href: '#/timeline', text: 'Back to the timeline' })]));
      } else {
        showError(errors, err);
      }
    }
  }

  load();
  return {
    changed() {
      if (editing) {
        editing.note.replaceChildren(el('p', { text: 'This entry changed on another device; your edits will merge when you save.' }));
        return;
      }
      load();
    },
    leave() {
      alive = false;
    },
  };
}
