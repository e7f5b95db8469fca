import {
  test,
  expect,
  hydratedProject,
  banner,
  dialog,
  footerSettings,
  setConsentCookie,
  consentValue,
  storedDecision,
  bundleRequests,
  settled,
} from './fixtures';
import type { Page } from '@playwright/test';

// A slow phone on a slow network, as Chromium's DevTools protocol makes one: 400 ms
// round-trip, 400 kbit/s each way, the processor 4× slower. Targets of docs/benchmarks.md's
// "Early clicks on a slow link".
const SLOW = { latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 };

async function slowDown(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...SLOW });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
}

type Timeline = { click?: number; busyFrame?: number; bannerGone?: number; clarity?: number };

test.describe('on a slow link (400 ms round-trip, 400 kbit/s, CPU 4× slower)', () => {
  test.skip(() => !hydratedProject(), 'early clicks are answered by JavaScript');
  test.setTimeout(60_000);

  test('Accept at first sight of the banner: answered at once, saved and gone in 1.5 s, Clarity in 3 s, no reload', async ({ page, context, clarity }) => {
    await slowDown(page);
    // The page's own clock: the click, the first frame that shows it taken, the banner gone,
    // the Clarity tag's request (its script element, which Microsoft's loader inserts).
    await page.addInitScript(() => {
      const t: Timeline = {};
      (window as unknown as { __timeline: Timeline }).__timeline = t;
      addEventListener('click', () => (t.click ??= performance.now()), true);
      new MutationObserver((records) => {
        for (const record of records) {
          const target = record.target as Element;
          if (record.type === 'attributes' && target.hasAttribute?.('data-busy') && t.busyFrame === undefined) {
            requestAnimationFrame(() => (t.busyFrame ??= performance.now()));
          }
          for (const node of record.addedNodes) {
            if ((node as HTMLScriptElement).src?.includes('clarity.ms')) t.clarity ??= performance.now();
          }
        }
        const shown = document.querySelector('.cookie-banner');
        if (t.click !== undefined && t.bannerGone === undefined && (!shown || getComputedStyle(shown).display === 'none')) {
          t.bannerGone = performance.now();
        }
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await page.goto('/', { waitUntil: 'commit' });
    // Any navigation of the page from here on is a reload.
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
    await expect(banner(page)).toBeHidden({ timeout: 10_000 });
    await expect.poll(() => clarity.requests, { timeout: 10_000 }).toBe(1);
    const t = await page.evaluate(() => (window as unknown as { __timeline: Timeline }).__timeline);
    const after = (at?: number) => (at === undefined ? Infinity : Math.round(at - t.click!));
    const figures = { busy: after(t.busyFrame), bannerGone: after(t.bannerGone), clarity: after(t.clarity) };
    expect(figures.busy, `a visible answer (${JSON.stringify(figures)})`).toBeLessThanOrEqual(100);
    expect(figures.bannerGone, 'banner gone, decision saved').toBeLessThanOrEqual(1500);
    expect(figures.clarity, 'Clarity requested').toBeLessThanOrEqual(3000);
    expect(navigations, 'no reload').toBe(0);
    const decision = await storedDecision(context);
    expect(decision?.analytics).toBe(true);
    expect(decision?.method).toBe('b');
  });

  test('nothing is fetched unasked: the banner shows, the page loads and idles, and the bundle stays away', async ({ page }) => {
    await slowDown(page);
    const bundle = bundleRequests(page);
    await page.goto('/');
    await expect(banner(page)).toBeVisible();
    await settled(page);
    expect(bundle, 'the consent islands, fetched on a slow link with nothing asked').toEqual([]);
  });

  test('an early Cookie Settings click: the dialog or the settings page within 2 s', async ({ page, context }) => {
    await setConsentCookie(context, consentValue({ analytics: false }));
    await slowDown(page);
    await page.goto('/privacy', { waitUntil: 'commit' });
    const link = footerSettings(page);
    await link.waitFor();
    const clicked = Date.now();
    await link.click();
    await expect(dialog(page).or(page.getByRole('heading', { level: 1, name: 'Cookie Settings' }))).toBeVisible({
      timeout: 10_000,
    });
    expect(Date.now() - clicked).toBeLessThanOrEqual(2000);
  });
});
