// Crisis help is one activation (a click, or Alt+H) from every page; the idle
// lock removes the entry's text from the DOM, Crisis help still opens while
// locked, and Continue brings the text back.
// Env: OPENING_URL, ENTRY_ID, BODY, IDLE_LOCK_SECONDS, SCREENSHOTS.

import path from 'node:path';
import { env, fail, goHash, h1Text, launch, ok, openSession, poll, sleep, textOf, waitHeading } from './lib/common.mjs';

const OPENING_URL = env('OPENING_URL');
const ID = env('ENTRY_ID');
const BODY = env('BODY');
const IDLE_S = Number(env('IDLE_LOCK_SECONDS'));
const SHOTS = env('SCREENSHOTS');

const PAGES = [
  ['#/write', 'Write'],
  ['#/timeline', 'Timeline'],
  [`#/entry/${ID}`, /·/],
  ['#/insights', 'Insights'],
  ['#/devices', 'Devices'],
  ['#/data', 'Your data'],
];

async function visit(page, hash, heading) {
  await goHash(page, hash);
  await waitHeading(page, heading);
  if (await page.$('.lock-screen')) fail(`${hash}: the lock screen showed while the person was busy`);
}

const browser = await launch();
try {
  const page = await openSession(await browser.newContext(), OPENING_URL);
  const started = Date.now();
  for (const [hash, heading] of PAGES) {
    await visit(page, hash, heading);
    // One activation: the header's Crisis help link.
    await page.locator('nav[aria-label="Main"]').getByRole('link', { name: 'Crisis help' }).click();
    await waitHeading(page, 'Crisis help', 2000);
    // And Alt+H from the same page.
    await visit(page, hash, heading);
    await page.keyboard.press('Alt+H');
    await waitHeading(page, 'Crisis help', 2000);
    if (!(await page.title()).startsWith('Crisis help')) fail(`Alt+H from ${hash}: the title is ${await page.title()}`);
    ok(`Crisis help opens from ${hash} with one click and with Alt+H`);
  }
  console.log(`(the six pages took ${Date.now() - started} ms)`);

  // Leave the entry page idle.
  await visit(page, `#/entry/${ID}`, /·/);
  await poll(async () => (await textOf(page, '.entry-view')).includes(BODY), { what: 'the entry text' });
  const idleFrom = Date.now();
  await poll(async () => (await h1Text(page)) === 'Attune is locked', {
    timeout: (IDLE_S + 12) * 1000, interval: 200,
    what: `the lock screen after ${IDLE_S} s idle`,
  }).catch(async (err) => fail(`${err.message}; the heading reads ${JSON.stringify(await h1Text(page))}`));
  const lockedAfter = Date.now() - idleFrom;
  console.log(`LOCKED_AFTER_MS=${lockedAfter}`);
  // Let any in-flight fetch settle, then look at the whole document.
  await sleep(500);
  let html = await page.content();
  if (html.includes(BODY)) fail('the entry text is still in the DOM while locked');
  if ((await page.title()) !== 'Locked · Attune') fail(`the locked page's title is ${await page.title()}`);
  await page.screenshot({ path: path.join(SHOTS, 'locked.png'), fullPage: true });
  ok(`locked ${lockedAfter} ms into the idle time; the entry text is gone from the DOM`);

  // Crisis help from the lock screen: its own link, then Alt+H.
  await page.locator('.lock-screen').getByRole('link', { name: 'Crisis help' }).click();
  await waitHeading(page, 'Crisis help', 2000);
  await poll(async () => (await textOf(page, '#content')).includes('safety plan shows after unlocking'), {
    what: 'the crisis page while locked',
  });
  html = await page.content();
  if (html.includes(BODY)) fail('the entry text is in the DOM on the crisis page while locked');
  await page.getByRole('link', { name: 'Go to unlock' }).click();
  await waitHeading(page, 'Attune is locked');
  await page.keyboard.press('Alt+H');
  await waitHeading(page, 'Crisis help', 2000);
  await page.getByRole('link', { name: 'Go to unlock' }).click();
  await waitHeading(page, 'Attune is locked');
  ok('Crisis help opens from the lock screen (link and Alt+H)');

  // Continue: no passphrase on this device.
  if (await page.$('input[type=password]')) fail('the lock screen asks for a passphrase on a device without one');
  await page.getByRole('button', { name: 'Continue' }).click();
  await waitHeading(page, /·/);
  await poll(async () => (await textOf(page, '.entry-view')).includes(BODY), { what: 'the entry text after Continue' });
  ok('Continue unlocks and the entry text is back');

  // An active reader is not locked out: keep pressing keys and moving the
  // mouse for longer than the idle time, with no other requests.
  const activeUntil = Date.now() + (IDLE_S + 6) * 1000;
  let x = 10;
  while (Date.now() < activeUntil) {
    await page.mouse.move((x = (x % 400) + 37), 200);
    await page.keyboard.press('Shift');
    await sleep(400);
    if (await page.$('.lock-screen')) {
      fail(`locked while the person kept using the page (${Math.round((Date.now() - (activeUntil - (IDLE_S + 6) * 1000)) / 100) / 10} s into ${IDLE_S + 6} s of steady key and mouse activity)`);
    }
  }
  ok(`not locked during ${IDLE_S + 6} s of steady activity`);
} finally {
  await browser.close();
}
