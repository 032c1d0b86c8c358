// The entry controls shared by the Write page and the Entry page's edit form:
// Kind, one control per field of the kind, Steadiness, People, Tags, Entry
// (the body) and Notes. Form state is kept as strings.

import { el, field, findKind, kindLabel, splitList, STEADINESS_OPTIONS } from './util.js';

export function emptyState(kind) {
  return { kind: kind || '', fields: {}, steadiness: '', people: '', tags: '', body: '', notes: '' };
}

/** The form state of an entry from the API. */
export function entryToState(entry) {
  const fields = {};
  for (const [k, v] of Object.entries(entry.fields || {})) {
    if (v !== null && v !== undefined) fields[k] = String(v);
  }
  return {
    kind: entry.kind,
    fields,
    steadiness: entry.steadiness ? String(entry.steadiness) : '',
    people: (entry.people || []).join(', '),
    tags: (entry.tags || []).join(', '),
    body: entry.body || '',
    notes: entry.notes || '',
  };
}

export function isEmptyState(s) {
  return (
    !s.body.trim() && !s.notes.trim() && !s.people.trim() && !s.tags.trim() && !s.steadiness &&
    Object.values(s.fields).every((v) => !String(v).trim())
  );
}

function fieldValue(def, raw) {
  const v = String(raw ?? '').trim();
  if (!v) return null;
  if (def && def.type === 'int') return Number.parseInt(v, 10);
  if (def && def.type === 'real') return Number.parseFloat(v);
  return def && def.type === 'text' ? String(raw) : v;
}

/** The body of POST /api/entries. */
export function stateToCreate(s, kinds) {
  const kind = findKind(kinds, s.kind);
  const out = { kind: s.kind };
  if (s.body.trim()) out.body = s.body;
  if (s.notes.trim()) out.notes = s.notes;
  const tags = splitList(s.tags);
  const people = splitList(s.people);
  if (tags.length) out.tags = tags;
  if (people.length) out.people = people;
  if (s.steadiness) out.steadiness = Number.parseInt(s.steadiness, 10);
  const fields = {};
  for (const def of (kind && kind.fields) || []) {
    const v = fieldValue(def, s.fields[def.key]);
    if (v !== null && !Number.isNaN(v)) fields[def.key] = v;
  }
  if (Object.keys(fields).length) out.fields = fields;
  return out;
}

const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

/** The body of PATCH /api/entries/{id}: only what changed. */
export function stateToPatch(entry, s, kinds) {
  const before = entryToState(entry);
  const out = { version: entry.version };
  if (s.kind !== before.kind) out.kind = s.kind;
  if (s.body !== before.body) out.body = s.body;
  if (s.notes !== before.notes) out.notes = s.notes;
  if (s.steadiness !== before.steadiness) out.steadiness = s.steadiness ? Number.parseInt(s.steadiness, 10) : null;
  const tags = splitList(s.tags);
  const people = splitList(s.people);
  if (!sameSet(tags, entry.tags || [])) out.tags = tags;
  if (!sameSet(people, entry.people || [])) out.people = people;
  const kind = findKind(kinds, s.kind);
  const fields = {};
  for (const def of (kind && kind.fields) || []) {
    const now = String(s.fields[def.key] ?? '');
    const was = String(before.fields[def.key] ?? '');
    if (now.trim() !== was.trim()) {
      const v = fieldValue(def, now);
      fields[def.key] = v === null || Number.isNaN(v) ? null : v;
    }
  }
  if (Object.keys(fields).length) out.fields = fields;
  return out;
}

function control(def, value) {
  if (def.type === 'choice') {
    const sel = el('select', { name: `field-${def.key}` }, [el('option', { value: '', text: '—' })]);
    for (const c of def.choices || []) sel.append(el('option', { value: c.key, text: c.label || c.key }));
    sel.value = value || '';
    return sel;
  }
  if (def.type === 'int' || def.type === 'real') {
    return el('input', {
      type: 'number',
      name: `field-${def.key}`,
      min: def.min ?? undefined,
      max: def.max ?? undefined,
      step: def.type === 'int' ? '1' : 'any',
      inputmode: def.type === 'int' ? 'numeric' : 'decimal',
      value: value || '',
    });
  }
  return el('textarea', { name: `field-${def.key}`, rows: '2', value: value || '' });
}

/**
 * Build the controls into `container`. `onInput` runs after any change.
 * Answers {getState, setState}.
 */
export function buildEntryControls(container, kinds, initial, onInput = () => {}) {
  const remembered = { ...(initial.fields || {}) };
  const kindSelect = el('select', { name: 'kind' });
  for (const k of kinds) kindSelect.append(el('option', { value: k.kind, text: kindLabel(k) }));
  const kindField = field('Kind', kindSelect);
  const intro = el('p', { class: 'hint kind-intro', id: `${kindSelect.id}-intro` });
  kindSelect.setAttribute('aria-describedby', intro.id);
  kindField.wrap.append(intro);
  const fieldsBox = el('div', { class: 'kind-fields' });

  const steady = el('select', { name: 'steadiness' }, [el('option', { value: '', text: '—' })]);
  for (const [v, t] of STEADINESS_OPTIONS) steady.append(el('option', { value: v, text: t }));
  const people = el('input', { type: 'text', name: 'people', autocomplete: 'off' });
  const tags = el('input', { type: 'text', name: 'tags', autocomplete: 'off' });
  const body = el('textarea', { name: 'body', rows: '8' });
  const notes = el('textarea', { name: 'notes', rows: '3' });

  let controls = [];
  function renderFields(kindKey) {
    for (const [key, c] of controls) remembered[key] = c.value;
    controls = [];
    fieldsBox.replaceChildren();
    const kind = findKind(kinds, kindKey);
    intro.textContent = (kind && kind.intro) || '';
    for (const def of (kind && kind.fields) || []) {
      const c = control(def, remembered[def.key]);
      controls.push([def.key, c]);
      let hint;
      if ((def.type === 'int' || def.type === 'real') && def.min !== undefined && def.max !== undefined) {
        hint = `A number from ${def.min} to ${def.max}.`;
      }
      fieldsBox.append(field(def.prompt || def.key, c, hint).wrap);
    }
  }

  container.append(
    kindField.wrap,
    fieldsBox,
    field('Steadiness (1–5)', steady, 'How steady or regulated you felt, if you want to say.').wrap,
    field('People', people, 'Names or nicknames you choose, separated by commas.').wrap,
    field('Tags', tags, 'Separated by commas.').wrap,
    field('Entry', body).wrap,
    field('Notes', notes, 'Private notes. They never go in a page for someone else.').wrap,
  );

  function setState(s) {
    for (const k of Object.keys(remembered)) delete remembered[k];
    Object.assign(remembered, s.fields || {});
    const kindKey = findKind(kinds, s.kind) ? s.kind : (kinds[0] && kinds[0].kind) || '';
    kindSelect.value = kindKey;
    controls = [];
    renderFields(kindKey);
    for (const [key, c] of controls) c.value = (s.fields && s.fields[key]) || '';
    steady.value = s.steadiness || '';
    people.value = s.people || '';
    tags.value = s.tags || '';
    body.value = s.body || '';
    notes.value = s.notes || '';
  }

  function getState() {
    const fields = {};
    for (const [key, c] of controls) if (c.value !== '') fields[key] = c.value;
    return {
      kind: kindSelect.value,
      fields,
      steadiness: steady.value,
      people: people.value,
      tags: tags.value,
      body: body.value,
      notes: notes.value,
    };
  }

  kindSelect.addEventListener('change', () => renderFields(kindSelect.value));
  container.addEventListener('input', () => onInput());
  container.addEventListener('change', () => onInput());
  setState(initial);
  return { getState, setState, kindSelect };
}
