// Two devices, each with its own `attune ui`, synced live through a relay.
// 1. An edit saved on page A shows on page B (reading the entry) within 1.5 s.
// 2. Both pages edit the same entry at once; after sync both read both edits.
// Env: OPENING_URL_A, OPENING_URL_B, ENTRY_ID, OLD_BODY, NEW_BODY, SCREENSHOTS.

import path from 'node:path';
import { env, fail, launch, ok, openSession, poll, textOf, waitHeading } from './lib/common.mjs';

const A_URL = env('OPENING_URL_A');
const B_URL = env('OPENING_URL_B');
const ID = env('ENTRY_ID');
const OLD_BODY = env('OLD_BODY');
const NEW_BODY = env('NEW_BODY');
const SHOTS = env('SCREENSHOTS');

const prose = (page) => textOf(page, '.entry-view .prose');

async function openEntry(page, tag) {
  const origin = new URL(page.url()).origin;
  await page.goto(`${origin}/#/entry/${ID}`);
  await waitHeading(page, /·/);
  await poll(async () => (await prose(page)).length > 0, { what: `${tag}: the entry's text` });
}

async function startEdit(page) {
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  await waitHeading(page, /·/);
  await poll(() => page.$('form.entry-form textarea[name=body]'), { what: 'the edit form' });
  return page.getByLabel('Entry', { exact: true });
}

async function saveEdit(page, tag) {
  await page.getByRole('button', { name: 'Save changes' }).click();
  await poll(async () => {
    const errors = (await textOf(page, '.error-slot')).trim();
    if (errors) fail(`${tag}: saving showed an error: ${errors}`);
    return (await textOf(page, 'main .status-region')).includes('Saved.');
  }, { what: `${tag}: "Saved."` });
}

const browser = await launch();
try {
  const a = await openSession(await browser.newContext(), A_URL, 'A');
  const b = await openSession(await browser.newContext(), B_URL, 'B');
  await openEntry(a, 'A');
  await openEntry(b, 'B');
  for (const [p, tag] of [[a, 'A'], [b, 'B']]) {
    const t = await prose(p);
    if (!t.includes(OLD_BODY)) fail(`${tag} shows ${JSON.stringify(t)}, not the entry written on the CLI`);
  }
  ok('both devices show the entry written on device a');

  // 1. A live edit: A saves, B (reading, not editing) shows it.
  const body = await startEdit(a);
  await body.fill(NEW_BODY);
  await saveEdit(a, 'A');
  const saved = Date.now();
  const aText = await prose(a);
  if (!aText.includes(NEW_BODY)) fail(`A shows ${JSON.stringify(aText)} after saving`);
  let seen;
  try {
    seen = await poll(async () => ((await prose(b)).includes(NEW_BODY) ? Date.now() : false), {
      timeout: 1500, interval: 10, what: 'page B to show the edit made on page A',
    });
  } catch (e) {
    await b.screenshot({ path: path.join(SHOTS, 'live-b-stale.png'), fullPage: true });
    fail(`${e.message}; B shows ${JSON.stringify(await prose(b))} (sync line: ${JSON.stringify(await textOf(b, '#sync-status'))})`);
  }
  console.log(`LIVE_LATENCY_MS=${seen - saved}`);
  ok(`page B showed page A's edit ${seen - saved} ms after A saved`);

  // 2. Concurrent edits of the same entry.
  const bodyA = await startEdit(a);
  const bodyB = await startEdit(b);
  const before = await bodyA.inputValue();
  if ((await bodyB.inputValue()) !== before) fail(`the two edit forms start from different texts: ${JSON.stringify(before)} / ${JSON.stringify(await bodyB.inputValue())}`);
  await bodyA.fill(`${before} Alpha.`);
  await bodyB.fill(`Beta: ${before}`);
  await Promise.all([saveEdit(a, 'A'), saveEdit(b, 'B')]);
  ok('both pages saved their edit at the same time');

  const both = (t) => t.includes('Alpha.') && t.includes('Beta: ');
  let lastTexts = [];
  const texts = await poll(async () => {
    const out = [];
    for (const [p, tag] of [[a, 'A'], [b, 'B']]) {
      await p.reload();
      await waitHeading(p, /·/);
      await poll(async () => (await prose(p)).length > 0, { what: `${tag}: the entry after reload` });
      out.push(await prose(p));
    }
    lastTexts = out;
    return out.every(both) ? out : false;
  }, { timeout: 20000, interval: 500, what: 'both pages to read both concurrent edits' }).catch((e) => {
    fail(`${e.message}; A reads ${JSON.stringify(lastTexts[0])}, B reads ${JSON.stringify(lastTexts[1])}`);
  });
  if (texts[0] !== texts[1]) fail(`the pages converged to different texts: A ${JSON.stringify(texts[0])} / B ${JSON.stringify(texts[1])}`);
  console.log(`MERGED_BODY=${JSON.stringify(texts[0])}`);
  await a.screenshot({ path: path.join(SHOTS, 'live-merged-a.png'), fullPage: true });
  ok(`after sync both pages read the merged text ${JSON.stringify(texts[0])}`);
} finally {
  await browser.close();
}
