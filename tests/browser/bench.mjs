// `attune-bench ui`: the web UI measured in Debian's chromium.
// Env: ATTUNE_UI_URL (the one-time opening link), ATTUNE_CHROMIUM, REPS.
// Prints `name: value unit` lines (medians).
import { chromium } from 'playwright-core';

const opening = process.env.ATTUNE_UI_URL;
const reps = Number(process.env.REPS || 7);
const origin = new URL(opening).origin;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const print = (name, value, unit) => console.log(`${name}: ${value.toFixed(1)} ${unit}`);

const browser = await chromium.launch({ executablePath: process.env.ATTUNE_CHROMIUM, args: ['--no-sandbox'] });
const first = await browser.newContext();
const page = await first.newPage();
await page.goto(opening);
const cookies = await first.cookies();

// First load, nothing cached: HTML, CSS and every module, to the load event.
// `ui_first_load_ms`: in the open browser, cache disabled (a person opening
// the link); `ui_first_load_new_profile_ms`: a new browser context each time,
// which also pays for a new renderer process.
const loads = [];
let bytes = 0;
{
  const cdp = await first.newCDPSession(page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  for (let i = 0; i < reps; i++) {
    await page.goto('about:blank');
    await page.goto(`${origin}/#/write`, { waitUntil: 'load' });
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const assets = performance.getEntriesByType('resource').filter((r) => r.name.includes('/assets/'));
      return { load: nav.loadEventEnd - nav.startTime, bytes: nav.encodedBodySize + assets.reduce((n, r) => n + r.encodedBodySize, 0) };
    });
    loads.push(timing.load);
    bytes = timing.bytes;
  }
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
}
print('ui_first_load_ms', median(loads), 'ms');
print('ui_first_load_kib', bytes / 1024, 'KiB');
const cold = [];
for (let i = 0; i < reps; i++) {
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const p = await context.newPage();
  await p.goto(`${origin}/#/write`, { waitUntil: 'load' });
  cold.push(await p.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return nav.loadEventEnd - nav.startTime;
  }));
  await context.close();
}
print('ui_first_load_new_profile_ms', median(cold), 'ms');

// The timeline's first page: the API call as the page makes it, in the browser.
await page.goto(`${origin}/#/write`, { waitUntil: 'load' });
const calls = [];
for (let i = 0; i < reps; i++) {
  calls.push(await page.evaluate(async () => {
    const t0 = performance.now();
    const res = await fetch('/api/entries/list', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ limit: 50 }),
    });
    const body = await res.json();
    if (!res.ok || body.entries.length !== 50) throw new Error(`unexpected answer ${res.status}`);
    return performance.now() - t0;
  }));
}
print('ui_timeline_first_page_ms', median(calls), 'ms');

// From clicking Timeline to its 50 entries in the page, timed inside the page
// (a MutationObserver), so no round trip to the test driver is counted.
const shown = [];
for (let i = 0; i < reps; i++) {
  await page.goto(`${origin}/#/write`, { waitUntil: 'load' });
  await page.getByRole('heading', { name: 'Write', level: 1 }).waitFor();
  await page.evaluate(() => {
    window.__shown = null;
    const t0 = performance.now();
    const observer = new MutationObserver(() => {
      if (document.querySelectorAll('main ol > li').length >= 50) {
        window.__shown = performance.now() - t0;
        observer.disconnect();
      }
    });
    observer.observe(document.getElementById('content'), { childList: true, subtree: true });
    document.querySelector('nav a[data-route="timeline"]').click();
  });
  await page.waitForFunction(() => window.__shown !== null);
  shown.push(await page.evaluate(() => window.__shown));
}
print('ui_timeline_shown_ms', median(shown), 'ms');

// The next page of older entries.
const older = [];
for (let i = 0; i < reps; i++) {
  older.push(await page.evaluate(async () => {
    const post = (body) => fetch('/api/entries/list', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then((r) => r.json());
    const firstPage = await post({ limit: 50 });
    const t0 = performance.now();
    const next = await post({ limit: 50, before: firstPage.next });
    if (next.entries.length !== 50) throw new Error('the second page is short');
    return performance.now() - t0;
  }));
}
print('ui_timeline_next_page_ms', median(older), 'ms');

const insights = [];
for (let i = 0; i < reps; i++) {
  insights.push(await page.evaluate(async () => {
    const t0 = performance.now();
    const res = await fetch('/api/insights');
    await res.json();
    return performance.now() - t0;
  }));
}
print('ui_insights_ms', median(insights), 'ms');
await browser.close();
