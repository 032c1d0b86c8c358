// Entry text never reaches a page title or an address: write an entry through
// the UI, search for one of its words, open it and edit it, recording every
// title and URL on the way.
// Env: OPENING_URL, BODY, EDIT_WORD, SEARCH_WORD, SECRET_WORDS (comma separated), SCREENSHOTS.
// Prints ENTRY_ID=<id> for the Rust side.

import path from 'node:path';
import { env, fail, launch, ok, openSession, poll, textOf, waitHeading } from './lib/common.mjs';

const OPENING_URL = env('OPENING_URL');
const BODY = env('BODY');
const EDIT_WORD = env('EDIT_WORD');
const SEARCH_WORD = env('SEARCH_WORD');
const SECRETS = env('SECRET_WORDS').split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
const SHOTS = env('SCREENSHOTS');

const seen = [];
const requests = [];

const browser = await launch();
try {
  const context = await browser.newContext();
  context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  const page = await openSession(context, OPENING_URL);
  const record = async (step) => {
    seen.push({ step, title: await page.title(), url: page.url() });
  };
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) {
      seen.push({ step: 'framenavigated', url: f.url() });
      page.title().then((title) => seen.push({ step: 'framenavigated', title })).catch(() => {});
    }
  });
  await record('opened');

  // Write.
  await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Write' }).click();
  await waitHeading(page, 'Write');
  await poll(() => page.$('select[name=kind]'), { what: 'the write form' });
  await page.getByLabel('Kind', { exact: true }).selectOption('micro-win');
  await page.getByLabel('Tags', { exact: true }).fill('leakcheck');
  await page.getByLabel('Entry', { exact: true }).fill(BODY);
  await record('typed');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await poll(async () => (await textOf(page, '#write-status')).includes('Saved.'), { what: '"Saved."' });
  await record('saved');
  ok('wrote the entry through the UI');

  // Search for one of its words.
  await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Timeline' }).click();
  await waitHeading(page, 'Timeline');
  await page.getByLabel('Search', { exact: true }).fill(SEARCH_WORD);
  await page.getByRole('button', { name: 'Show entries' }).click();
  await poll(async () => (await textOf(page, 'main .status-region')).includes('match your search'), { what: 'search results' });
  const results = await textOf(page, 'ol.entry-list');
  if (!results.includes(SEARCH_WORD)) fail(`the search for ${SEARCH_WORD} did not find the entry: ${results}`);
  await record('searched');
  ok(`the search for "${SEARCH_WORD}" found the entry`);

  // Open it and edit it.
  await page.locator('ol.entry-list a[href^="#/entry/"]').first().click();
  await waitHeading(page, /·/);
  await poll(async () => (await textOf(page, '.entry-view .prose')).includes(BODY), { what: 'the entry page' });
  const id = decodeURIComponent(new URL(page.url()).hash.replace('#/entry/', ''));
  if (!/^[0-9a-f]{8,}$/.test(id)) fail(`the entry page's address ${page.url()} does not end in an id`);
  await record('opened entry');
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  const body = page.getByLabel('Entry', { exact: true });
  await body.fill(`${BODY} ${EDIT_WORD}`);
  await record('editing');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await poll(async () => (await textOf(page, '.entry-view .prose')).includes(EDIT_WORD), { what: 'the edited entry' });
  await record('edited');
  await page.reload();
  await waitHeading(page, /·/);
  await record('reloaded');
  await page.screenshot({ path: path.join(SHOTS, 'leaks-entry.png'), fullPage: true });
  ok('opened and edited the entry');
  console.log(`ENTRY_ID=${id}`);

  await poll(async () => seen.some((s) => s.step === 'framenavigated'), { what: 'framenavigated events' });
  const leaks = [];
  for (const s of seen) {
    for (const text of [s.title, s.url]) {
      if (text === undefined) continue;
      for (const w of SECRETS) if (text.toLowerCase().includes(w)) leaks.push(`${s.step}: ${JSON.stringify(text)} holds "${w}"`);
    }
  }
  for (const r of requests) {
    for (const w of SECRETS) if (r.toLowerCase().includes(w)) leaks.push(`request ${r} holds "${w}"`);
  }
  const titles = [...new Set(seen.map((s) => s.title).filter(Boolean))];
  const urls = [...new Set(seen.map((s) => s.url).filter(Boolean))];
  console.log(`titles seen: ${JSON.stringify(titles)}`);
  console.log(`addresses seen: ${JSON.stringify(urls.map((u) => u.replace(/token=[^&]+/, 'token=…')))}`);
  if (leaks.length) fail(`entry words leaked:\n  ${leaks.join('\n  ')}`);
  ok(`no entry word in ${titles.length} titles, ${urls.length} addresses or ${requests.length} request URLs`);
} finally {
  await browser.close();
}
