// Shared helpers for the browser tests of `attune ui`: launch, sessions,
// polling, keyboard focus, axe. Every check prints one line; a failure throws
// (node then exits 1 with the message).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const AXE_PATH = path.join(here, '..', 'node_modules', 'axe-core', 'axe.min.js');

/** A required environment variable. */
export function env(name) {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set`);
  return v;
}

export function fail(message) {
  throw new Error(message);
}

/** One line per passed check. */
export function ok(message) {
  console.log(`ok - ${message}`);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function launch() {
  return chromium.launch({ executablePath: env('ATTUNE_CHROMIUM'), args: ['--no-sandbox'] });
}

/** Mirror the page's console errors and uncaught exceptions to our stderr. */
export function watchConsole(page, tag) {
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[${tag} console.error] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.error(`[${tag} pageerror] ${e.message}`));
}

/** Use the one-time link in a new page of `context`; answers the page, at #/timeline. */
export async function openSession(context, openingUrl, tag = 'page') {
  const page = await context.newPage();
  watchConsole(page, tag);
  const res = await page.goto(openingUrl);
  if (!res) fail(`${tag}: opening ${openingUrl} gave no response`);
  await waitHeading(page, 'Timeline', 10000);
  return page;
}

/** Wait until `fn()` answers something truthy; answers it. */
export async function poll(fn, { timeout = 5000, interval = 50, what = 'condition' } = {}) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeout) {
      fail(`timed out after ${timeout} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(interval);
  }
}

/** The text of <main>'s h1. */
export async function h1Text(page) {
  return page.evaluate(() => {
    const h = document.querySelector('main h1');
    return h ? h.textContent.trim() : '';
  });
}

/** Wait for <main>'s h1 to read `text` (a string, or a RegExp). */
export async function waitHeading(page, text, timeout = 5000) {
  const matches = (t) => (typeof text === 'string' ? t === text : text.test(t));
  const start = Date.now();
  for (;;) {
    const t = await h1Text(page).catch(() => '');
    if (matches(t)) return t;
    if (Date.now() - start > timeout) fail(`timed out after ${timeout} ms waiting for the heading ${text}; it reads ${JSON.stringify(t)}`);
    await sleep(50);
  }
}

/** Go to a hash route in the same document. */
export async function goHash(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
}

/** What has focus: tag, name attribute, label text, own text, type, role. */
export async function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return { tag: 'body', name: '', label: '', text: '' };
    return {
      tag: a.tagName.toLowerCase(),
      name: a.getAttribute('name') || '',
      type: a.getAttribute('type') || '',
      label: a.labels && a.labels[0] ? a.labels[0].textContent.trim() : '',
      text: (a.textContent || '').trim(),
      inNav: Boolean(a.closest('nav')),
    };
  });
}

/** Press Tab (or Shift+Tab) until `match(focused)` holds. */
export async function tabTo(page, match, { shift = false, max = 80, what = 'a control' } = {}) {
  for (let i = 0; i < max; i++) {
    const f = await focused(page);
    if (match(f)) return f;
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
  }
  const f = await focused(page);
  if (match(f)) return f;
  fail(`${max} presses of ${shift ? 'Shift+Tab' : 'Tab'} did not reach ${what}; focus is on ${JSON.stringify(f)}`);
}

/** On the focused <select>, move to the option with `value` using the arrow keys only. */
export async function selectByKeyboard(page, value) {
  const { index, target, name } = await page.evaluate((v) => {
    const s = document.activeElement;
    if (!s || s.tagName !== 'SELECT') return { index: -1, target: -1, name: '' };
    return { index: s.selectedIndex, target: Array.from(s.options).findIndex((o) => o.value === v), name: s.name };
  }, value);
  if (index < 0) fail(`selectByKeyboard(${value}): focus is not on a <select>`);
  if (target < 0) fail(`selectByKeyboard: <select name=${name}> has no option ${value}`);
  const key = target > index ? 'ArrowDown' : 'ArrowUp';
  for (let i = 0; i < Math.abs(target - index); i++) await page.keyboard.press(key);
  const now = await page.evaluate(() => document.activeElement.value);
  if (now !== value) fail(`the arrow keys left <select name=${name}> at ${JSON.stringify(now)}, not ${JSON.stringify(value)}`);
}

/**
 * Run axe on the page (its source evaluated through CDP, which the page's CSP
 * does not govern). Answers the violations.
 */
export async function axe(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(fs.readFileSync(AXE_PATH, 'utf8'));
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  return result;
}

/** The text of one visible element, or ''. */
export async function textOf(page, selector) {
  return page.evaluate((s) => {
    const n = document.querySelector(s);
    return n ? n.textContent : '';
  }, selector);
}
