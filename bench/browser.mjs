// Browser bench: headless Chromium against this site (SITE) and the reference page with
// vanilla-cookieconsent (REFERENCE), side by side in one run, RUNS fresh visits each, medians.
// Prints Markdown tables with ratios. Run through bench/browser.sh, which starts both.
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const SITE = process.env.SITE ?? 'http://127.0.0.1:3320';
const REFERENCE = process.env.REFERENCE ?? 'http://127.0.0.1:3321';
// Another site (localhost is not 127.0.0.1's site), whose link the first views arrive by.
const ELSEWHERE = `${REFERENCE.replace('127.0.0.1', 'localhost')}/elsewhere`;
const RUNS = Number(process.env.RUNS ?? 31);
// Visits of each page on the slow link (each takes seconds); PROFILE=slow runs only those.
const SLOW_RUNS = Number(process.env.SLOW_RUNS ?? 7);
const PROFILE = process.env.PROFILE ?? 'all';
// A slow phone on a slow network, as DevTools makes one: 400 ms round-trip, 400 kbit/s
// each way, the processor 4× slower.
const SLOW_NETWORK = { offline: false, latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 };
const SLOW_CPU = 4;
const DECISION = process.env.DECISION; // a signed lf_cookie_consent value for SITE
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STUB = 'window.__clarityLoaded = true;';

const targets = {
  site: { base: SITE, banner: '.cookie-banner' },
  reference: { base: REFERENCE, banner: '#cc-main .cm' },
};

const median = (xs) => {
  if (xs.some((x) => typeof x !== 'number')) throw new Error(`a sample is missing: ${xs}`);
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// Runs in the page before anything else: first paint, the banner's first frame with a box,
// layout shifts, the first click, and (set by the bench) a click as soon as the page paints.
const PROBE = (banner) => {
  const m = (window.__bench = { fcp: null, banner: null, cls: 0, click: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') m.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) m.cls += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
  const frame = () => {
    const el = document.querySelector(banner);
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

/** A fresh context that answers Clarity's tag with a stub and lets nothing else out. */
async function freshPage(target, options = {}) {
  const context = await browser.newContext(options);
  await context.route(/^https?:\/\/(?!(127\.0\.0\.1|localhost)[:/])/, (route) =>
    route.request().url().startsWith('https://www.clarity.ms/')
      ? route.fulfill({ contentType: 'text/javascript', body: STUB })
      : route.abort());
  await context.addInitScript(PROBE, target.banner);
  const page = await context.newPage();
  const bodies = [];
  page.on('response', async (r) => {
    if (r.url().startsWith(target.base)) {
      bodies.push({ kind: kindOf(r.headers()['content-type'] ?? '', r.url()), body: await r.body().catch(() => Buffer.alloc(0)) });
    }
  });
  return { context, page, bodies };
}

const clarityRequestAfterClick = (page) => page.evaluate(() => {
  const tag = performance.getEntriesByType('resource').find((e) => e.name.startsWith('https://www.clarity.ms/'));
  return tag.startTime - window.__bench.click;
});

function sizes(bodies) {
  const bytes = {};
  for (const { kind, body } of bodies) {
    const b = (bytes[kind] ??= { raw: 0, gzip: 0 });
    b.raw += body.length;
    b.gzip += zlib.gzipSync(body, { level: 9 }).length;
  }
  return bytes;
}

/**
 * A first visit of `/`: paint, banner, layout shift, bytes, and Accept → Clarity once ready.
 * `link`: the visitor follows a link from another site, as most visitors arrive. `tab`: the
 * page is opened in a fresh tab's blank page; only the paint is kept (see the README for why
 * the two differ).
 */
async function firstView(name, samples, arrival) {
  const target = targets[name];
  const { context, page, bodies } = await freshPage(target);
  if (arrival === 'link') {
    await page.goto(ELSEWHERE, { waitUntil: 'load' });
    await page.locator('#next').evaluate((a, href) => { a.href = href; }, `${target.base}/`);
    await Promise.all([page.waitForURL(`${target.base}/`, { waitUntil: 'load' }), page.click('#next')]);
  } else {
    await page.goto(`${target.base}/`, { waitUntil: 'load' });
  }
  // Ready: this site once its islands hydrated (on idle, with the banner), the reference
  // once its library has shown the banner.
  await page.waitForFunction((site) => window.__bench.banner !== null && window.__bench.fcp !== null
    && (!site || document.documentElement.dataset.hydrated === 'true'), name === 'site');
  if (arrival === 'tab') {
    samples.fcpTab.push(await page.evaluate(() => window.__bench.fcp));
    await context.close();
    return;
  }
  await page.waitForTimeout(400);
  samples.bytes ??= sizes(bodies);
  const atLoad = await page.evaluate(() => window.__bench);
  samples.fcp.push(atLoad.fcp);
  samples.bannerMinusFcp.push(atLoad.banner - atLoad.fcp);
  samples.cls.push(atLoad.cls);
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
  await page.waitForFunction(() => window.__clarityLoaded === true);
  await page.waitForTimeout(500);
  samples.acceptToClarity.push(await clarityRequestAfterClick(page));
  // A bare request from the same page, answered at once: the floor a save's round-trip adds.
  samples.roundTrip.push(await page.evaluate(async () => {
    const start = performance.now();
    await fetch(`/favicon.ico?${Math.random()}`, { cache: 'no-store' });
    return performance.now() - start;
  }));
  samples.clsAfter.push((await page.evaluate(() => window.__bench.cls)) - atLoad.cls);
  await context.close();
}

/**
 * This site's page in a fresh tab, passed on by a route in the bench with its
 * Cross-Origin-Opener-Policy header kept or dropped: what that header costs the first paint.
 */
async function freshTabThroughRoute(keepCoop) {
  const { context, page } = await freshPage(targets.site);
  await page.route(`${SITE}/`, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    if (!keepCoop) delete headers['cross-origin-opener-policy'];
    await route.fulfill({ response, headers });
  });
  await page.goto(`${SITE}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__bench.fcp !== null);
  const fcp = await page.evaluate(() => window.__bench.fcp);
  await context.close();
  return fcp;
}

/** Both pages, visit by visit in turn (first one, then the other), so that a busy moment of the machine hits both. */
async function firstViews() {
  const fresh = () => ({ fcp: [], fcpTab: [], bannerMinusFcp: [], cls: [], clsAfter: [], acceptToClarity: [], roundTrip: [] });
  const samples = { site: fresh(), reference: fresh() };
  const coop = { kept: [], dropped: [] };
  for (let run = 0; run < RUNS; run++) {
    const names = run % 2 ? ['reference', 'site'] : ['site', 'reference'];
    for (const arrival of ['link', 'tab']) {
      for (const name of names) await firstView(name, samples[name], arrival);
    }
    for (const keep of run % 2 ? [false, true] : [true, false]) {
      coop[keep ? 'kept' : 'dropped'].push(await freshTabThroughRoute(keep));
    }
  }
  const summary = ({ bytes, ...s }) => ({
    ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)])),
    bytes,
    maxBannerMinusFcp: Math.max(...s.bannerMinusFcp),
  });
  return {
    site: summary(samples.site),
    reference: summary(samples.reference),
    coop: { kept: median(coop.kept), dropped: median(coop.dropped) },
  };
}

/** Accept clicked as soon as the page has painted, before the islands can have loaded. */
async function earlyAccept() {
  const samples = [];
  let reloaded = false;
  for (let run = 0; run < RUNS; run++) {
    const { context, page } = await freshPage(targets.site);
    await page.goto(`${SITE}/`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench.fcp !== null, null, { polling: 'raf' });
    await page.evaluate(() => (window.__samePage = true));
    await page.getByRole('button', { name: 'Accept', exact: true }).click({ noWaitAfter: true });
    await page.waitForFunction(() => window.__clarityLoaded === true, null, { timeout: 10000 });
    reloaded ||= !(await page.evaluate(() => window.__samePage === true));
    samples.push(await clarityRequestAfterClick(page));
    await context.close();
  }
  return { median: median(samples), max: Math.max(...samples), reloaded };
}

/** A visitor who decided, idle 3 s (no WASM), then "Cookie Settings" on a cold cache. */
async function decidedVisitor() {
  const samples = [];
  let wasm = 0;
  for (let run = 0; run < RUNS; run++) {
    const { context, page, bodies } = await freshPage(targets.site);
    await context.addCookies([{ name: 'lf_cookie_consent', value: DECISION, url: SITE, httpOnly: true }]);
    await page.goto(`${SITE}/`, { waitUntil: 'load' });
    await page.waitForTimeout(3000);
    wasm += bodies.filter((b) => b.kind === 'wasm').length;
    const link = page.getByRole('contentinfo').getByRole('link', { name: 'Cookie Settings' });
    await page.evaluate(() => {
      const dialog = document.querySelector('dialog.preferences-dialog');
      new MutationObserver(() => { if (dialog.open) window.__dialogOpen ??= performance.now(); })
        .observe(dialog, { attributes: true, attributeFilter: ['open'] });
    });
    await link.click();
    await page.waitForFunction(() => window.__dialogOpen !== undefined);
    samples.push(await page.evaluate(() => window.__dialogOpen - window.__bench.click));
    await context.close();
  }
  return { median: median(samples), max: Math.max(...samples), wasm };
}

async function slowDown(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_NETWORK);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: SLOW_CPU });
}

// In the page, on the page's clock (0 = navigation start): the first frame that shows the
// clicked control taken (this site's `data-busy`), the banner gone, Clarity's tag inserted.
const SLOW_PROBE = (banner) => {
  const m = window.__bench;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target.hasAttribute?.('data-busy') && m.busy === undefined) {
        requestAnimationFrame(() => (m.busy ??= performance.now()));
      }
      for (const node of r.addedNodes) if (node.src?.includes('clarity.ms')) m.clarity ??= performance.now();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });
  // The banner is gone from the first frame after the click where it has no visible box
  // (the reference fades its banner out: hidden once invisible).
  const frame = () => {
    const el = document.querySelector(banner);
    const style = el && getComputedStyle(el);
    const shown = el && el.getBoundingClientRect().height > 0 && style.display !== 'none'
      && style.visibility !== 'hidden' && Number(style.opacity) > 0;
    if (m.click !== null && shown && Number(style.opacity) < 1) m.fading ??= performance.now();
    if (m.click !== null && !shown) m.gone = performance.now();
    else requestAnimationFrame(frame);
  };
  addEventListener('click', () => requestAnimationFrame(frame), { capture: true, once: true });
};

/**
 * The slow link: a first view of `/` with Accept clicked at first sight of the banner, both
 * pages alternating; and this site's "Cookie Settings" clicked as soon as a decided
 * visitor's page shows it.
 */
async function slowLink() {
  const fresh = () => ({ banner: [], answer: [], gone: [], clarity: [], inForce: [], reloaded: false });
  const samples = { site: fresh(), reference: fresh() };
  for (let run = 0; run < SLOW_RUNS; run++) {
    for (const name of run % 2 ? ['reference', 'site'] : ['site', 'reference']) {
      const target = targets[name];
      const s = samples[name];
      const { context, page } = await freshPage(target);
      await context.addInitScript(SLOW_PROBE, target.banner);
      await slowDown(page);
      await page.goto(`${target.base}/`, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__bench.banner !== null, null, { polling: 'raf', timeout: 30000 });
      await page.evaluate(() => (window.__samePage = true));
      await page.getByRole('button', { name: /^Accept( all)?$/ }).first().click({ noWaitAfter: true });
      await page.waitForFunction(() => window.__clarityLoaded === true && window.__bench.gone !== undefined,
        null, { timeout: 30000 });
      const m = await page.evaluate(() => window.__bench);
      s.reloaded ||= !(await page.evaluate(() => window.__samePage === true));
      s.banner.push(m.banner);
      // This site answers a click by pressing the button; the reference by fading its banner.
      s.answer.push((m.busy ?? m.fading ?? m.gone) - m.click);
      s.gone.push(m.gone - m.click);
      s.clarity.push(m.clarity - m.click);
      // The decision is in force once saved: the banner goes when the save has answered.
      s.inForce.push(m.gone);
      await context.close();
    }
  }
  const settings = [];
  for (let run = 0; run < SLOW_RUNS; run++) {
    const { context, page } = await freshPage(targets.site);
    await context.addCookies([{ name: 'lf_cookie_consent', value: DECISION, url: SITE, httpOnly: true }]);
    await slowDown(page);
    await page.goto(`${SITE}/privacy`, { waitUntil: 'commit' });
    const link = page.getByRole('contentinfo').getByRole('link', { name: 'Cookie Settings' });
    await link.waitFor();
    const clicked = Date.now();
    await link.click({ noWaitAfter: true });
    await page.getByRole('dialog', { name: 'Cookie preferences' })
      .or(page.getByRole('heading', { level: 1, name: 'Cookie Settings' }))
      .waitFor({ timeout: 30000 });
    settings.push(Date.now() - clicked);
    await context.close();
  }
  const summary = ({ reloaded, ...s }) => ({
    ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)])),
    reloaded,
  });
  return { site: summary(samples.site), reference: summary(samples.reference), settings: median(settings), settingsMax: Math.max(...settings) };
}

/** Bytes of a first view with JavaScript off, and whether the banner is there and works. */
async function withoutJs(name) {
  const target = targets[name];
  const { context, page, bodies } = await freshPage(target, { javaScriptEnabled: false });
  await page.goto(`${target.base}/`, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  const bytes = sizes(bodies);
  const banner = (await page.locator(target.banner).count()) === 1;
  await context.close();
  return { bytes, banner };
}

const ms = (x) => `${x.toFixed(1)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

const slow = await slowLink();
const s = (x) => `${(x / 1000).toFixed(2)} s`;
console.log(`| slow link: 400 ms round-trip, 400 kbit/s, CPU 4× slower (median of ${SLOW_RUNS} visits each) | this site | vanilla-cookieconsent page | ratio |`);
console.log('|---|---|---|---|');
console.log(`| banner visible after navigation start | ${s(slow.site.banner)} | ${s(slow.reference.banner)} | ${ratio(slow.site.banner, slow.reference.banner)} |`);
console.log(`| Accept at first sight → visible answer | ${ms(slow.site.answer)} | ${ms(slow.reference.answer)} | |`);
console.log(`| Accept at first sight → banner gone, decision saved | ${s(slow.site.gone)} | ${s(slow.reference.gone)} | |`);
console.log(`| Accept at first sight → Clarity request | ${s(slow.site.clarity)} | ${s(slow.reference.clarity)} | |`);
console.log(`| navigation start → decision in force | ${s(slow.site.inForce)} | ${s(slow.reference.inForce)} | ${ratio(slow.site.inForce, slow.reference.inForce)} |`);
console.log(`| reloads | ${slow.site.reloaded ? 'yes' : 'none'} | ${slow.reference.reloaded ? 'yes' : 'none'} | |`);
console.log(`| decided visitor: early "Cookie Settings" → dialog or settings page (worst) | ${s(slow.settings)} (${s(slow.settingsMax)}) | – | |`);
console.log('');
if (PROFILE === 'slow') {
  await browser.close();
  process.exit(slow.site.reloaded ? 1 : 0);
}

const { site, reference, coop } = await firstViews();
const early = await earlyAccept();
const decided = await decidedVisitor();
const siteNoJs = await withoutJs('site');
const referenceNoJs = await withoutJs('reference');
await browser.close();

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const total = (bytes, kinds = Object.keys(bytes)) => kinds.reduce((sum, k) => sum + (bytes[k]?.gzip ?? 0), 0);
const mix = (bytes) => Object.entries(bytes).sort().map(([k, b]) => `${k} ${kb(b.gzip)}`).join(', ');

console.log(`| first view of \`/\` (median of ${RUNS} fresh visits) | this site | vanilla-cookieconsent page | ratio |`);
console.log('|---|---|---|---|');
console.log(`| first contentful paint, by a link from another site | ${ms(site.fcp)} | ${ms(reference.fcp)} | ${ratio(site.fcp, reference.fcp)} |`);
console.log(`| first contentful paint, in a fresh tab | ${ms(site.fcpTab)} | ${ms(reference.fcpTab)} | ${ratio(site.fcpTab, reference.fcpTab)} |`);
console.log(`| banner visible − FCP (worst) | ${ms(site.bannerMinusFcp)} (${ms(site.maxBannerMinusFcp)}) | ${ms(reference.bannerMinusFcp)} (${ms(reference.maxBannerMinusFcp)}) | |`);
console.log(`| layout shift at load / after Accept | ${site.cls.toFixed(3)} / ${site.clsAfter.toFixed(3)} | ${reference.cls.toFixed(3)} / ${reference.clsAfter.toFixed(3)} | |`);
console.log(`| Accept → Clarity request, once ready | ${ms(site.acceptToClarity)} | ${ms(reference.acceptToClarity)} | ${ratio(site.acceptToClarity, reference.acceptToClarity)} |`);
console.log(`| a bare request's round-trip from the page (the floor a save adds) | ${ms(site.roundTrip)} | ${ms(reference.roundTrip)} | |`);
console.log(`| bytes, gzip -9 | ${kb(total(site.bytes))} (${mix(site.bytes)}) | ${kb(total(reference.bytes))} (${mix(reference.bytes)}) | ${ratio(total(site.bytes), total(reference.bytes))} |`);
console.log(`| bytes with JavaScript off, gzip -9 | ${kb(total(siteNoJs.bytes))} (${mix(siteNoJs.bytes)}) | ${kb(total(referenceNoJs.bytes))} (${mix(referenceNoJs.bytes)}) | ${ratio(total(siteNoJs.bytes), total(referenceNoJs.bytes))} |`);
console.log(`| banner without JavaScript | ${siteNoJs.banner ? 'yes' : 'no'} | ${referenceNoJs.banner ? 'yes' : 'no'} | |`);
console.log('');
console.log(`| this site only (median of ${RUNS}) | value |`);
console.log('|---|---|');
console.log(`| client bundle when it loads (JS + wasm), gzip -9 | ${kb(total(site.bytes, ['JS', 'wasm']))} |`);
console.log(`| Accept clicked at first paint, before hydration → Clarity request (worst) | ${ms(early.median)} (${ms(early.max)}), ${early.reloaded ? 'a reload' : 'no reload'} |`);
console.log(`| fresh tab, through a route in the bench: FCP with / without COOP | ${ms(coop.kept)} / ${ms(coop.dropped)} (${ratio(coop.kept, coop.dropped)}) |`);
console.log(`| decided visitor, idle 3 s: WASM downloads | ${decided.wasm} |`);
console.log(`| then "Cookie Settings" → dialog open, cold cache (worst) | ${ms(decided.median)} (${ms(decided.max)}) |`);
if (!siteNoJs.banner || total(siteNoJs.bytes, ['JS', 'wasm']) > 0 || decided.wasm > 0 || early.reloaded) process.exit(1);
