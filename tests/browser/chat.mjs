// Headless Chromium against examples/chat.rs: the browser's own WebSocket talking to
// nodews. Usage: node chat.mjs http://127.0.0.1:PORT/
// Exits non-zero (with the reason) on any mismatch.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), 'nodews-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

const check = (ok, what) => {
  if (!ok) throw new Error(`browser test failed: ${what}`);
  console.log(`ok - ${what}`);
};
const items = (page) => page.$$eval('#messages li', (lis) => lis.map((li) => li.textContent));
const waitFor = async (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 10000 });

try {
  const a = await context.newPage();
  const b = await context.newPage();
  for (const page of [a, b]) {
    await page.goto(url);
    await waitFor(page, () => document.getElementById('status').textContent === 'connected');
  }
  check(true, 'two pages loaded from the chat server and connected');

  await a.fill('#input', 'hello from A');
  await a.press('#input', 'Enter');
  await waitFor(b, () => document.querySelectorAll('#messages li').length === 1);
  check((await items(b))[0] === 'hello from A', 'typed in A, seen in B');
  check((await items(a)).length === 0, 'the sender does not get its own message back');

  const text = '你好, wörld ✓ 🎉';
  await b.fill('#input', text);
  await b.press('#input', 'Enter');
  await waitFor(a, () => document.querySelectorAll('#messages li').length === 1);
  check((await items(a))[0] === text, 'non-ASCII text from B arrives intact in A');

  const size = 1 << 20;
  await a.evaluate((n) => {
    document.getElementById('input').value = 'é'.repeat(n / 2); // 1 MiB of UTF-8
    document.getElementById('form').requestSubmit();
  }, size);
  await waitFor(b, () => document.querySelectorAll('#messages li').length === 2);
  const big = (await items(b))[1];
  check(big.length === size / 2 && big === 'é'.repeat(size / 2), 'a 1 MiB message arrives whole');

  await a.evaluate(() => window.closeChat(4001, 'bye from A'));
  await waitFor(a, () => document.getElementById('status').textContent.startsWith('closed'));
  const status = await a.textContent('#status');
  check(status === 'closed 4001 bye from A clean=true', `custom close code seen by the page (${status})`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
