// axe on every page, in the light and the dark colour scheme: any violation
// of impact "serious" or "critical" fails. A full-page screenshot of each.
// Env: OPENING_URL, ENTRY_ID, SCREENSHOTS.
//
// The one-time link opens the light context; the dark context gets the same
// session cookie (context.addCookies), since the link works only once.
// axe's source is evaluated through CDP (page.evaluate), which the page's
// Content-Security-Policy does not govern, so no bypassCSP is needed.

import path from 'node:path';
import { axe, env, fail, launch, ok, openSession, poll, sleep, textOf, waitHeading, watchConsole } from './lib/common.mjs';

const OPENING_URL = env('OPENING_URL');
const ID = env('ENTRY_ID');
const SHOTS = env('SCREENSHOTS');

// [file name, hash, heading, a sign that the page finished loading]
const PAGES = [
  ['write', '#/write', 'Write', async (p) => Boolean(await p.$('select[name=kind]'))],
  ['timeline', '#/timeline', 'Timeline', async (p) => (await textOf(p, 'main .status-region')).includes('Showing')],
  ['entry', `#/entry/${ID}`, /·/, async (p) => Boolean(await p.$('.entry-view .details'))],
  ['insights', '#/insights', 'Insights', async (p) => Boolean(await p.$('#on-this-day'))],
  ['crisis', '#/crisis', 'Crisis help', async (p) => Boolean(await p.$('#plan-heading'))],
  ['devices', '#/devices', 'Devices', async (p) => Boolean(await p.$('#devices-heading')) && Boolean(await p.$('#pair-heading'))],
  ['data', '#/data', 'Your data', async (p) => Boolean(await p.$('#import-heading'))],
];

const browser = await launch();
const problems = [];
try {
  const light = await browser.newContext({ colorScheme: 'light', viewport: { width: 1100, height: 800 } });
  const first = await openSession(light, OPENING_URL, 'light');
  const origin = new URL(first.url()).origin;
  const dark = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1100, height: 800 } });
  await dark.addCookies(await light.cookies());

  for (const [scheme, context] of [['light', light], ['dark', dark]]) {
    const page = scheme === 'light' ? first : await context.newPage();
    if (scheme === 'dark') watchConsole(page, 'dark');
    const isDark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
    if (isDark !== (scheme === 'dark')) fail(`the ${scheme} context reports prefers-color-scheme: dark = ${isDark}`);
    for (const [name, hash, heading, ready] of PAGES) {
      await page.goto(`${origin}/${hash}`);
      await waitHeading(page, heading, 10000);
      await poll(() => ready(page), { timeout: 10000, what: `${name} (${scheme}) to finish loading` });
      const errors = (await textOf(page, '.error-slot')).trim();
      if (errors) fail(`${name} (${scheme}) shows an error: ${errors}`);
      await sleep(300);
      await page.screenshot({ path: path.join(SHOTS, `${name}-${scheme}.png`), fullPage: true });
      const violations = await axe(page);
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      for (const v of violations) {
        const line = `${name} (${scheme}): [${v.impact}] ${v.id}: ${v.help}`;
        console.log(bad.includes(v) ? `VIOLATION ${line}` : `note ${line}`);
        for (const n of v.nodes.slice(0, 8)) console.log(`    ${n.target}${n.summary ? ` — ${n.summary.replace(/\s+/g, ' ')}` : ''}`);
      }
      if (bad.length) problems.push(`${name} (${scheme}): ${bad.map((v) => `${v.id} on ${v.nodes.map((n) => n.target).join(', ')}`).join('; ')}`);
      else ok(`${name} (${scheme}): no serious or critical axe violations (${violations.length} lesser)`);
    }
  }
} finally {
  await browser.close();
}
if (problems.length) fail(`serious or critical accessibility violations:\n  ${problems.join('\n  ')}`);
