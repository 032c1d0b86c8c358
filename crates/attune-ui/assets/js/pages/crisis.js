// #/crisis: the crisis note (works while locked) and the safety plan.

import { get, put } from '../api.js';
import { el, field, pageHeading, showError } from '../util.js';

/** The note's text → paragraphs and a list ("  • " starts an item). */
function noteNodes(note) {
  const nodes = [];
  let list = null;
  let item = null;
  for (const raw of String(note || '').split('\n')) {
    const line = raw.trim();
    if (!line) {
      list = null;
      item = null;
      continue;
    }
    if (/^[•\-*]\s*/.test(line)) {
      if (!list) {
        list = el('ul', { class: 'crisis-lines' });
        nodes.push(list);
      }
      item = el('li', { text: line.replace(/^[•\-*]\s*/, '') });
      list.append(item);
    } else if (item && /^\s/.test(raw)) {
      item.textContent += ` ${line}`;
    } else {
      list = null;
      item = null;
      nodes.push(el('p', { text: line }));
    }
  }
  return nodes;
}

export function render(root, route) {
  const h1 = pageHeading('Crisis help');
  const note = el('div', { class: 'crisis-note' }, [el('p', { class: 'hint', text: 'Loading…' })]);
  const errors = el('div', { class: 'error-slot' });
  const status = el('div', { role: 'status', class: 'status-region' });
  const plan = el('section', { class: 'plan', 'aria-labelledby': 'plan-heading' });
  root.append(h1, note, errors, status, plan);
  let alive = true;
  let data = null;
  let editing = false;

  function planHeading() {
    return el('h2', { id: 'plan-heading', tabindex: '-1', text: 'Your safety plan' });
  }

  function showPlan() {
    editing = false;
    const head = planHeading();
    if (!data.plan) {
      plan.replaceChildren(
        head,
        el('p', { text: 'Your safety plan shows after unlocking, because it is kept with your journal.' }),
        el('p', {}, [el('a', { href: route.backHash && route.backHash !== '#/crisis' ? route.backHash : '#/timeline', text: 'Go to unlock' })]),
      );
      return;
    }
    const parts = [head, el('p', { class: 'hint', text: 'Your own words for a hard moment: what to notice, what helps, whom to call.' })];
    for (const s of data.plan.sections || []) {
      const sec = el('section', { class: 'plan-section', 'aria-labelledby': `plan-${s.key}` }, [el('h2', { id: `plan-${s.key}`, text: s.title })]);
      if (s.items && s.items.length) {
        const ul = el('ul');
        for (const it of s.items) ul.append(el('li', { text: it }));
        sec.append(ul);
      } else {
        sec.append(el('p', { class: 'hint', text: 'Nothing written here yet.' }));
      }
      parts.push(sec);
    }
    parts.push(el('div', { class: 'actions' }, [el('button', { type: 'button', class: 'primary', text: 'Edit safety plan', on: { click: showEdit } })]));
    plan.replaceChildren(...parts);
  }

  function showEdit() {
    editing = true;
    status.replaceChildren();
    const form = el('form', { class: 'stack' });
    const areas = [];
    for (const s of data.plan.sections || []) {
      const ta = el('textarea', { name: s.key, rows: '4', value: (s.items || []).join('\n') });
      areas.push([s.key, ta]);
      form.append(field(s.title, ta, 'One item per line.').wrap);
    }
    const save = el('button', { type: 'submit', class: 'primary', text: 'Save safety plan' });
    form.append(el('div', { class: 'actions' }, [
      save,
      el('button', { type: 'button', class: 'secondary', text: 'Cancel', on: { click: () => { showPlan(); plan.querySelector('h2').focus(); } } }),
    ]));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      showError(errors, null);
      const sections = areas.map(([key, ta]) => ({
        key,
        items: ta.value.split('\n').map((x) => x.trim()).filter(Boolean),
      }));
      save.disabled = true;
      try {
        await put('/api/crisis', { sections });
        await load();
        status.replaceChildren(el('p', { text: 'Your safety plan is saved.' }));
        const h = plan.querySelector('h2');
        if (h) h.focus();
      } catch (err) {
        if (alive) showError(errors, err);
      } finally {
        save.disabled = false;
      }
    });
    const head = planHeading();
    plan.replaceChildren(head, el('p', { class: 'hint', text: 'Write in your own words. Every section can stay empty.' }), form);
    const first = form.querySelector('textarea');
    if (first) first.focus();
  }

  async function load() {
    try {
      const d = await get('/api/crisis');
      if (!alive) return;
      data = d;
      note.replaceChildren(...noteNodes(d.note));
      if (!editing) showPlan();
    } catch (err) {
      if (!alive) return;
      note.replaceChildren(
        el('p', { text: 'If you are in danger, call your local emergency number (112 in Europe, 911 in the US and Canada, 999 in the UK, 000 in Australia), or go to the nearest emergency department. In the US you can call or text 988. findahelpline.com lists free crisis lines by country.' }),
      );
      showError(errors, err);
    }
  }

  load();
  return {
    changed() {
      if (!editing) load();
    },
    leave() {
      alive = false;
    },
  };
}
