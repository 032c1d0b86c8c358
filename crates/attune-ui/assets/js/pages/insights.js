// #/insights: patterns, gently, with sample sizes; plots; on this day.

import { get } from '../api.js';
import { entryList } from '../entrylist.js';
import { el, getKinds, pageHeading, showError } from '../util.js';

export function render(root) {
  const h1 = pageHeading('Insights');
  const lede = el('p', { class: 'lede', text: 'Patterns from your own entries, worked out on this device. They are associations, not causes, and never a verdict.' });
  const errors = el('div', { class: 'error-slot' });
  const status = el('div', { role: 'status', class: 'status-region' }, [el('p', { class: 'hint', text: 'Gathering your insights…' })]);
  const content = el('div', { class: 'insights' });
  const help = el('p', { class: 'hint' }, [
    'If you are in crisis, ',
    el('a', { href: '#/crisis', class: 'crisis-link inline', text: 'Crisis help' }),
    ' shows how to find help now.',
  ]);
  root.append(h1, lede, help, status, errors, content);
  let alive = true;

  async function load() {
    try {
      const [data, kinds] = await Promise.all([get('/api/insights'), getKinds().catch(() => [])]);
      if (!alive) return;
      const parts = [];
      for (const area of data.areas || []) {
        const hid = `area-${area.key}`;
        const section = el('section', { class: 'area', 'aria-labelledby': hid }, [el('h2', { id: hid, text: area.title })]);
        for (const line of area.lines || []) section.append(el('p', { text: line }));
        for (const plot of area.plots || []) {
          const caption = el('figcaption', {}, [el('strong', { text: plot.title }), ' ', plot.description || '']);
          // Alt text: the caption under the image says the same in full.
          const img = el('img', { src: plot.src, alt: plot.title, class: 'plot-image' });
          const card = el('div', { class: 'plot-card' }, [img]);
          section.append(el('figure', { class: 'plot' }, [card, caption]));
        }
        parts.push(section);
      }
      const otd = el('section', { class: 'area', 'aria-labelledby': 'on-this-day' }, [el('h2', { id: 'on-this-day', text: 'On this day' })]);
      const entries = data.on_this_day || [];
      if (entries.length) otd.append(entryList(entries, 3, kinds));
      else otd.append(el('p', { text: 'Nothing from this day in earlier years.' }));
      parts.push(otd);
      content.replaceChildren(...parts);
      status.replaceChildren(el('p', { class: 'visually-hidden', text: 'Insights are ready.' }));
    } catch (err) {
      if (!alive) return;
      status.replaceChildren();
      showError(errors, err);
    }
  }

  load();
  return {
    changed() {
      load();
    },
    leave() {
      alive = false;
    },
  };
}
