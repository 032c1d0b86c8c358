// Keyboard only: write three entries of three kinds on #/write, then find
// them on #/timeline. No mouse: Tab, Shift+Tab, typing, arrow keys and Enter.
// Env: OPENING_URL, SCREENSHOTS.

import path from 'node:path';
import { env, fail, focused, launch, ok, openSession, poll, selectByKeyboard, tabTo, textOf, waitHeading } from './lib/common.mjs';

const OPENING_URL = env('OPENING_URL');
const SHOTS = env('SCREENSHOTS');

// Must match tests/tests/ui_browser.rs.
const ENTRIES = [
  {
    kind: 'conversation',
    fields: [['setting', 'one-on-one'], ['connection', '4'], ['felt-heard', 'yes'], ['did-differently', 'asked a question back']],
    steadiness: '4',
    people: 'Ana',
    tags: 'kbd-conv',
    body: 'Keyboard conversation about the marigold river',
  },
  {
    kind: 'micro-win',
    fields: [['win-type', 'paused'], ['what-i-did', 'took three slow breaths']],
    steadiness: '3',
    people: '',
    tags: 'kbd-win',
    body: 'Keyboard micro win near the heron lantern',
  },
  {
    kind: 'grounding',
    fields: [['technique', 'breathing'], ['distress-before', '7'], ['distress-after', '3']],
    steadiness: '2',
    people: '',
    tags: 'kbd-ground',
    body: 'Keyboard grounding by the quartz meadow',
  },
];

const byName = (name) => (f) => f.name === name;

async function fillControl(page, name, value) {
  const f = await tabTo(page, byName(name), { what: `the control named ${name}` });
  if (!f.label) fail(`the control named ${name} has no <label>`);
  if (f.tag === 'select') await selectByKeyboard(page, value);
  else await page.keyboard.type(value);
  return f;
}

const browser = await launch();
try {
  const context = await browser.newContext();
  const page = await openSession(context, OPENING_URL);

  // From the Timeline's heading to the Write link, by Shift+Tab through the header.
  await tabTo(page, (f) => f.tag === 'a' && f.inNav && f.text === 'Write', { shift: true, what: 'the Write link' });
  await page.keyboard.press('Enter');
  await waitHeading(page, 'Write');
  await poll(() => page.$('select[name=kind]'), { what: 'the write form' });
  ok('reached Write with the keyboard');

  let lastLink = '';
  for (const e of ENTRIES) {
    // Back to the Kind select (Shift+Tab from wherever focus is).
    const kindF = await tabTo(page, byName('kind'), { shift: true, what: 'the Kind select' });
    if (kindF.label !== 'Kind') fail(`the kind select is labelled ${JSON.stringify(kindF.label)}`);
    await selectByKeyboard(page, e.kind);
    await poll(() => page.$(`[name="field-${e.fields[0][0]}"]`), { what: `the ${e.kind} questions` });
    for (const [key, value] of e.fields) await fillControl(page, `field-${key}`, value);
    await fillControl(page, 'steadiness', e.steadiness);
    if (e.people) await fillControl(page, 'people', e.people);
    await fillControl(page, 'tags', e.tags);
    await fillControl(page, 'body', e.body);
    const state = await page.evaluate(() => {
      const f = document.querySelector('form.entry-form');
      return Object.fromEntries(Array.from(f.elements).filter((x) => x.name).map((x) => [x.name, x.value]));
    });
    for (const [key, value] of e.fields) {
      if (state[`field-${key}`] !== value) fail(`${e.kind}: field ${key} reads ${JSON.stringify(state[`field-${key}`])}, typed ${value}`);
    }
    if (state.body !== e.body) fail(`${e.kind}: the body reads ${JSON.stringify(state.body)}`);
    await tabTo(page, (f) => f.tag === 'button' && f.text === 'Save entry', { what: 'the Save entry button' });
    await page.keyboard.press('Enter');
    lastLink = await poll(async () => {
      const href = await page.evaluate(() => {
        const a = document.querySelector('#write-status a[href^="#/entry/"]');
        return a ? a.getAttribute('href') : '';
      });
      return href && href !== lastLink ? href : false;
    }, { what: `"Saved." and a new "Read the entry" link after the ${e.kind} entry` }).catch(async (err) => {
      fail(`${err.message}; the status reads ${JSON.stringify(await textOf(page, '#write-status'))}, errors: ${JSON.stringify(await textOf(page, '.error-slot'))}`);
    });
    const status = await textOf(page, '#write-status');
    if (!status.includes('Saved.')) fail(`after saving, the status reads ${JSON.stringify(status)}`);
    const errors = await textOf(page, '.error-slot');
    if (errors.trim()) fail(`saving showed an error: ${errors}`);
    ok(`wrote a ${e.kind} entry with the keyboard (${lastLink})`);
  }
  await page.screenshot({ path: path.join(SHOTS, 'write-keyboard.png'), fullPage: true });

  // To the Timeline, again by Shift+Tab into the header.
  await tabTo(page, (f) => f.tag === 'a' && f.inNav && f.text === 'Timeline', { shift: true, what: 'the Timeline link' });
  await page.keyboard.press('Enter');
  await waitHeading(page, 'Timeline');
  const list = await poll(async () => {
    const t = await textOf(page, 'ol.entry-list');
    return ENTRIES.every((e) => t.includes(e.body)) ? t : false;
  }, { what: 'all three bodies on the timeline' });
  for (const e of ENTRIES) {
    if (!list.includes(`Tags: ${e.tags}`)) fail(`the timeline does not show "Tags: ${e.tags}": ${list}`);
  }
  if (!list.includes('With Ana')) fail(`the timeline does not show "With Ana": ${list}`);
  if (!/Felt fairly steady \(4 of 5\)/.test(list)) fail(`the timeline does not show the steadiness words: ${list}`);
  const f = await focused(page);
  if (f.tag !== 'h1') fail(`after the route change focus is on ${JSON.stringify(f)}, not the h1`);
  await page.screenshot({ path: path.join(SHOTS, 'timeline-keyboard.png'), fullPage: true });
  ok('the timeline shows all three entries, with tags, people and steadiness');
} finally {
  await browser.close();
}
