// #/data: export, backup, import.

import { api, get } from '../api.js';
import { el, field, getKinds, kindLabel, pageHeading, plural, showError } from '../util.js';

const FORMATS = [
  ['json', 'JSON'],
  ['markdown', 'Markdown'],
  ['csv', 'CSV'],
  ['html', 'Printable page (html)'],
  ['automerge', 'Automerge'],
];

const IMPORTS = [
  ['auto', 'Automatic'],
  ['attune', 'Attune JSON'],
  ['jrnl', 'jrnl'],
  ['dayone', 'Day One'],
  ['daylio', 'Daylio'],
  ['markdown', 'Markdown'],
];

function select(name, options) {
  const s = el('select', { name });
  for (const [v, t] of options) s.append(el('option', { value: v, text: t }));
  return s;
}

export function render(root) {
  const h1 = pageHeading('Your data');
  const lede = el('p', { class: 'lede', text: 'Your journal is yours: take it with you, keep a backup, or bring entries in from elsewhere.' });
  root.append(h1, lede);
  let alive = true;
  let pollTimer = null;

  // Export
  const format = select('format', FORMATS);
  const since = el('input', { type: 'date', name: 'since' });
  const until = el('input', { type: 'date', name: 'until' });
  const kind = el('select', { name: 'kind' }, [el('option', { value: '', text: 'Any kind' })]);
  const someone = el('input', { type: 'checkbox', name: 'for-someone', id: 'for-someone' });
  const someoneHint = el('p', {
    class: 'hint',
    id: 'for-someone-hint',
    text: 'A printable page of the chosen entries for a therapist or a group: each entry\'s kind, date, steadiness, text and answers. It never holds notes, tags, deleted entries or your safety plan, and people\'s names are replaced by "(someone)". This page is always the Printable page format.',
  });
  someone.setAttribute('aria-describedby', someoneHint.id);
  const link = el('a', { class: 'button primary', href: '/api/export?format=json', download: '', text: 'Download export' });
  function exportHref() {
    const q = new URLSearchParams({ format: format.value });
    if (someone.checked) q.set('for_someone', '1');
    if (since.value) q.set('since', since.value);
    if (until.value) q.set('until', until.value);
    if (kind.value) q.set('kind', kind.value);
    link.href = `/api/export?${q.toString()}`;
  }
  format.addEventListener('change', () => {
    someone.checked = format.value === 'html';
    exportHref();
  });
  someone.addEventListener('change', () => {
    if (someone.checked) format.value = 'html';
    else if (format.value === 'html') format.value = 'json';
    exportHref();
  });
  for (const c of [since, until, kind]) c.addEventListener('change', exportHref);
  const exportForm = el('form', { class: 'stack', on: { submit: (e) => e.preventDefault() } }, [
    field('Export format', format).wrap,
    el('div', { class: 'row' }, [field('From', since).wrap, field('To', until).wrap, field('Kind', kind).wrap]),
    el('div', { class: 'field check' }, [
      someone,
      el('label', { for: 'for-someone', text: 'For someone else (a printable page without notes, tags or people\'s names)' }),
      someoneHint,
    ]),
    el('p', { class: 'notice', text: 'Exports are not encrypted: anyone who has the file can read it. Keep it somewhere safe, and delete it when you no longer need it.' }),
    el('div', { class: 'actions' }, [link]),
  ]);
  root.append(el('section', { 'aria-labelledby': 'export-heading' }, [el('h2', { id: 'export-heading', text: 'Export' }), exportForm]));

  // Backup
  root.append(el('section', { 'aria-labelledby': 'backup-heading' }, [
    el('h2', { id: 'backup-heading', text: 'Backup' }),
    el('p', { text: 'A backup is one encrypted file in the standard age format. It holds every entry with its history, deleted ones too, and your safety plan.' }),
    el('p', {}, [
      'This device and your other devices can open it. So can your recovery words: ',
      el('code', { text: 'attune recovery age-identity' }),
      ' prints the key that the age tool uses, and ',
      el('code', { text: 'attune backup restore FILE' }),
      ' brings a backup back.',
    ]),
    el('div', { class: 'actions' }, [el('a', { class: 'button primary', href: '/api/backup', download: '', text: 'Download backup' })]),
  ]));

  // Import
  const file = el('input', { type: 'file', name: 'file', id: 'import-file' });
  const importFormat = select('import-format', IMPORTS);
  const progress = el('progress', { max: '1', value: '0', hidden: true, id: 'import-progress' });
  progress.setAttribute('aria-label', 'Import progress');
  const progressText = el('p', { class: 'hint', hidden: true });
  const status = el('div', { role: 'status', class: 'status-region' });
  const errors = el('div', { class: 'error-slot' });
  const button = el('button', { type: 'submit', class: 'primary', text: 'Import' });
  const importForm = el('form', { class: 'stack' }, [
    field('File to import', file, 'Attune JSON or Markdown, jrnl JSON, a Day One zip or JSON, or a Daylio CSV.').wrap,
    field('Import format', importFormat).wrap,
    el('div', { class: 'actions' }, [button]),
    progress,
    progressText,
    status,
    errors,
  ]);
  root.append(el('section', { 'aria-labelledby': 'import-heading' }, [
    el('h2', { id: 'import-heading', text: 'Import' }),
    el('p', { text: 'Entries you already have are never added twice. Nothing is changed unless every entry in the file reads correctly.' }),
    importForm,
  ]));

  function say(text) {
    status.replaceChildren(el('p', { text }));
  }

  function resultWords(job) {
    const r = job.result || {};
    const added = Number(r.added || 0);
    const already = Number(r.already || 0);
    const skipped = Array.isArray(r.skipped) ? r.skipped : [];
    let text = `Added ${plural(added, 'entry', 'entries')}`;
    text += already ? `; ${already} ${already === 1 ? 'was' : 'were'} already in your journal.` : '.';
    if (skipped.length) {
      text += ` Left out ${skipped.length}: ${skipped.slice(0, 3).map((s) => `${s.what} (${s.why})`).join('; ')}`;
      text += skipped.length > 3 ? '; …' : '.';
    }
    return text;
  }

  function watch(jobId) {
    const tick = async () => {
      let job;
      try {
        job = await get(`/api/jobs/${encodeURIComponent(jobId)}`);
      } catch (err) {
        if (alive) showError(errors, err);
        button.disabled = false;
        return;
      }
      if (!alive) return;
      const total = Number(job.total || 0);
      const done = Number(job.done || 0);
      if (total > 0) {
        progress.max = total;
        progress.value = done;
      } else {
        progress.removeAttribute('value');
      }
      if (job.state === 'running') {
        if (total > 0) {
          progressText.hidden = false;
          progressText.textContent = `${done} of ${total} read`;
        }
        pollTimer = setTimeout(tick, 300);
        return;
      }
      progress.hidden = true;
      progressText.hidden = true;
      button.disabled = false;
      if (job.state === 'done') {
        status.replaceChildren(el('p', { text: resultWords(job) }));
        if (job.message) status.append(el('p', { class: 'hint', text: job.message }));
      } else {
        status.replaceChildren();
        showError(errors, { message: job.message || 'The import stopped. Your journal is unchanged.' });
      }
    };
    tick();
  }

  importForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(errors, null);
    const f = file.files && file.files[0];
    if (!f) {
      showError(errors, { message: 'Please choose a file to import first.' });
      file.focus();
      return;
    }
    button.disabled = true;
    say(`Reading ${f.name}…`);
    progress.hidden = false;
    progress.removeAttribute('value');
    try {
      // Only the extension goes in the address: it tells a zip from JSON or CSV.
      const dot = f.name.lastIndexOf('.');
      const ext = dot > 0 ? f.name.slice(dot + 1).toLowerCase().replace(/[^a-z0-9]/g, '') : '';
      const query = `format=${encodeURIComponent(importFormat.value)}&name=file.${encodeURIComponent(ext || 'json')}`;
      const answer = await api('POST', `/api/import?${query}`, f, { raw: true });
      watch(answer.job);
    } catch (err) {
      progress.hidden = true;
      button.disabled = false;
      status.replaceChildren();
      if (alive) showError(errors, err);
    }
  });

  getKinds()
    .then((kinds) => {
      if (!alive) return;
      for (const k of kinds) kind.append(el('option', { value: k.kind, text: kindLabel(k) }));
    })
    .catch(() => {});
  exportHref();

  return {
    leave() {
      alive = false;
      if (pollTimer) clearTimeout(pollTimer);
    },
  };
}
