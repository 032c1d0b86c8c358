// #/write: a new entry, with the draft kept (sealed) by the server.

import { del, get, post, put } from '../api.js';
import { buildEntryControls, emptyState, isEmptyState, stateToCreate } from '../entryform.js';
import { el, getKinds, pageHeading, showError } from '../util.js';

const DRAFT_DELAY_MS = 1000;

export function render(root, route) {
  const h1 = pageHeading('Write');
  const intro = el('p', { class: 'lede', text: 'Every question can be left empty. Write as much or as little as you like.' });
  const status = el('div', { role: 'status', class: 'status-region', id: 'write-status' });
  const errors = el('div', { class: 'error-slot' });
  const loading = el('p', { class: 'hint', text: 'Getting the kinds of entry…' });
  root.append(h1, intro, status, errors, loading);

  let alive = true;
  let timer = null;
  let controls = null;
  let form = null;
  let savingDraft = Promise.resolve();

  function flushDraft() {
    if (!timer) return;
    clearTimeout(timer);
    timer = null;
    saveDraft();
  }

  function saveDraft() {
    if (!controls) return;
    const state = controls.getState();
    savingDraft = (isEmptyState(state) ? del('/api/draft') : put('/api/draft', state)).catch((err) => {
      if (alive && err.status !== 423) showError(errors, { message: `Your draft could not be kept: ${err.message}` });
    });
  }

  function scheduleDraft() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      saveDraft();
    }, DRAFT_DELAY_MS);
  }

  function saved(entry) {
    status.replaceChildren(
      el('p', {}, [
        'Saved. ',
        el('a', { href: `#/entry/${encodeURIComponent(entry.id)}`, text: 'Read the entry' }),
      ]),
    );
    if (entry.heavy) {
      status.append(
        el('div', { class: 'notice gentle' }, [
          el('p', { text: 'That sounds like a lot to carry. Be gentle with yourself right now.' }),
          el('p', {}, [
            'A grounding exercise may help you steady: ',
            el('a', { href: '#/write?kind=grounding', text: 'write a grounding entry' }),
            '. If you are in crisis, ',
            el('a', { href: '#/crisis', class: 'crisis-link inline', text: 'Crisis help' }),
            ' has crisis lines and your safety plan.',
          ]),
        ]),
      );
    }
  }

  async function load() {
    let kinds;
    let draft = null;
    try {
      kinds = await getKinds();
      const d = await get('/api/draft');
      draft = d && d.draft && typeof d.draft === 'object' ? d.draft : null;
    } catch (err) {
      loading.remove();
      if (alive) showError(errors, err);
      return;
    }
    if (!alive) return;
    loading.remove();
    const wanted = route.query.get('kind');
    let initial = emptyState(wanted || (kinds[0] && kinds[0].kind));
    if (draft) {
      initial = { ...emptyState(), ...draft, fields: { ...(draft.fields || {}) } };
      if (wanted) initial.kind = wanted;
    }
    form = el('form', { class: 'entry-form stack', novalidate: false });
    controls = buildEntryControls(form, kinds, initial, scheduleDraft);
    const button = el('button', { type: 'submit', class: 'primary', text: 'Save entry' });
    form.append(el('div', { class: 'actions' }, [button]));
    root.append(form);
    if (draft && !isEmptyState(initial)) status.replaceChildren(el('p', { text: 'Your draft is back.' }));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      showError(errors, null);
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      const state = controls.getState();
      button.disabled = true;
      try {
        const entry = await post('/api/entries', stateToCreate(state, kinds));
        await savingDraft;
        await del('/api/draft').catch(() => {});
        controls.setState(emptyState(state.kind));
        saved(entry);
      } catch (err) {
        if (alive) showError(errors, err);
      } finally {
        button.disabled = false;
      }
    });
  }

  load();
  return {
    leave() {
      flushDraft();
      alive = false;
    },
  };
}
