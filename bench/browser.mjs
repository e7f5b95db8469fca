// Browser bench: headless Chromium against a running release server (BASE_URL), fresh
// contexts, medians of RUNS runs. Prints a Markdown table. Run through bench/browser.sh.
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:3320';
const RUNS = Number(process.env.RUNS ?? 9);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STUB = 'window.__clarityLoaded = true;';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// Runs in the page before anything else: first paint, the banner's first frame with a box,
// layout shifts, and the time of the first click.
const PROBE = () => {
  const m = (window.__bench = { fcp: null, banner: null, cls: 0, clsAfterLoad: 0, click: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') m.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) m.cls += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
  const frame = () => {
    const el = document.querySelector('.cookie-banner');
    const box = el && el.getBoundingClientRect();
    if (box && box.width > 0 && box.height > 0) m.banner = performance.now();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  addEventListener('click', () => { m.click ??= performance.now(); }, true);
};

const kindOf = (type, url) =>
  type.includes('html') ? 'HTML' : type.includes('css') ? 'CSS' : type.includes('wasm') || url.endsWith('.wasm') ? 'wasm'
    : type.includes('javascript') ? 'JS' : 'other';

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const samples = { bannerMinusFcp: [], fcp: [], cls: [], clsAfterDecision: [], acceptToClarity: [] };
let bytes;
for (let run = 0; run < RUNS; run++) {
  const context = await browser.newContext();
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) =>
    route.request().url().startsWith('https://www.clarity.ms/')
      ? route.fulfill({ contentType: 'text/javascript', body: STUB })
      : route.abort());
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  const bodies = [];
  page.on('response', async (r) => {
    if (r.url().startsWith(BASE)) bodies.push({ kind: kindOf(r.headers()['content-type'] ?? '', r.url()), body: await r.body().catch(() => Buffer.alloc(0)) });
  });
  await page.goto(`${BASE}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true' && window.__bench.banner !== null);
  await page.waitForTimeout(200);
  if (run === 0) {
    bytes = {};
    for (const { kind, body } of bodies) {
      const b = (bytes[kind] ??= { raw: 0, gzip: 0, brotli: 0 });
      b.raw += body.length;
      b.gzip += zlib.gzipSync(body, { level: 9 }).length;
      b.brotli += zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    }
  }
  const atLoad = await page.evaluate(() => window.__bench);
  samples.fcp.push(atLoad.fcp);
  samples.bannerMinusFcp.push(atLoad.banner - atLoad.fcp);
  samples.cls.push(atLoad.cls);
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
  await page.waitForFunction(() => window.__clarityLoaded === true);
  await page.waitForTimeout(500);
  const after = await page.evaluate(() => {
    const tag = performance.getEntriesByType('resource').find((e) => e.name.startsWith('https://www.clarity.ms/'));
    return { cls: window.__bench.cls, toClarity: tag.startTime - window.__bench.click };
  });
  samples.acceptToClarity.push(after.toClarity);
  samples.clsAfterDecision.push(after.cls - atLoad.cls);
  await context.close();
}

// Without JavaScript: the banner is in the HTML and Accept works as a plain form.
const noJs = await browser.newContext({ javaScriptEnabled: false });
const page = await noJs.newPage();
await page.goto(`${BASE}/`);
const bannerWithoutJs = (await page.locator('.cookie-banner').count()) === 1;
await page.getByRole('button', { name: 'Accept', exact: true }).click();
await page.waitForLoadState('load');
const acceptWithoutJs = (await page.locator('.cookie-banner').count()) === 0
  && (await noJs.cookies()).some((c) => c.name === 'lf_cookie_consent' && c.value.split('.')[4] === '1');
await browser.close();

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`| measure (median of ${RUNS} fresh visits) | value |`);
console.log('|---|---|');
console.log(`| first contentful paint | ${ms(median(samples.fcp))} |`);
console.log(`| banner visible − FCP | ${ms(median(samples.bannerMinusFcp))} (max ${ms(Math.max(...samples.bannerMinusFcp))}) |`);
console.log(`| cumulative layout shift, load | ${median(samples.cls).toFixed(3)} |`);
console.log(`| cumulative layout shift, after Accept | ${median(samples.clsAfterDecision).toFixed(3)} |`);
console.log(`| Accept click → Clarity request | ${ms(median(samples.acceptToClarity))} |`);
console.log(`| without JavaScript: banner in the HTML / Accept works | ${bannerWithoutJs ? 'yes' : 'NO'} / ${acceptWithoutJs ? 'yes' : 'NO'} |`);
console.log('');
console.log('| first view, by kind | raw | gzip -9 | brotli 11 |');
console.log('|---|---|---|---|');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let total = { raw: 0, gzip: 0, brotli: 0 }, client = { raw: 0, gzip: 0, brotli: 0 };
for (const [kind, b] of Object.entries(bytes).sort()) {
  console.log(`| ${kind} | ${kb(b.raw)} | ${kb(b.gzip)} | ${kb(b.brotli)} |`);
  for (const k of ['raw', 'gzip', 'brotli']) {
    total[k] += b[k];
    if (kind === 'JS' || kind === 'wasm') client[k] += b[k];
  }
}
console.log(`| client bundle (JS + wasm) | ${kb(client.raw)} | ${kb(client.gzip)} | ${kb(client.brotli)} |`);
console.log(`| total | ${kb(total.raw)} | ${kb(total.gzip)} | ${kb(total.brotli)} |`);
if (!bannerWithoutJs || !acceptWithoutJs) process.exit(1);
