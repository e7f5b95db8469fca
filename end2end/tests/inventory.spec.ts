import { test, expect, visit, storedDecision, banner, cookieNames, withdraw, EVERY_PAGE, settled } from './fixtures';
import type { Browser, Page } from '@playwright/test';

/** The cookie catalog as the site publishes it: the Cookie Notice's table, rendered from the
 * catalog, a row per category whose Examples cell names each of its cookies in brackets
 * ("Microsoft Clarity (_clck, _clsk, CLID, MUID)"). Read in a context of its own, so the
 * visit of the test is not touched. */
async function declaredCookies(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/cookie-notice');
  const rows = await page
    .locator('.cookie-table tbody tr')
    .evaluateAll((trs) => trs.map((tr) => ({ category: tr.getAttribute('data-category'), examples: tr.children[2].textContent ?? '' })));
  await context.close();
  const catalog = rows.map(({ category, examples }) => ({
    category,
    cookies: [...examples.matchAll(/\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((name) => name.trim())),
  }));
  for (const { category, cookies } of catalog) expect(cookies, `the cookies of ${category}`).not.toEqual([]);
  return {
    all: catalog.flatMap((c) => c.cookies),
    analytics: catalog.filter((c) => c.category === 'analytics').flatMap((c) => c.cookies),
  };
}

type State = 'undecided' | 'accepted' | 'rejected' | 'withdrawn';

async function reach(page: Page, state: State) {
  await visit(page, '/');
  if (state === 'undecided') return;
  const first = state === 'rejected' ? 'Reject' : 'Accept';
  await banner(page).getByRole('button', { name: first, exact: true }).click();
  await expect(banner(page)).toBeHidden();
  if (state === 'withdrawn') {
    await withdraw(page);
    await expect.poll(async () => (await storedDecision(page.context()))?.analytics).toBe(false);
  }
}

for (const state of ['undecided', 'accepted', 'rejected', 'withdrawn'] as const) {
  test(`R1 R5 every cookie is one the catalog declares, and pages set none: ${state}`, async ({ page, context, baseURL, browser }) => {
    const declared = await declaredCookies(browser, baseURL!);
    expect(declared.analytics, 'the analytics category').not.toEqual([]);
    await reach(page, state);
    const setByPages: string[] = [];
    page.on('response', async (response) => {
      if (response.request().method() !== 'GET' || !response.url().startsWith(baseURL!)) return;
      for (const header of await response.headersArray()) {
        if (header.name.toLowerCase() === 'set-cookie') setByPages.push(`${response.url()}: ${header.value}`);
      }
    });
    for (const path of EVERY_PAGE) {
      await visit(page, path);
      await settled(page);
    }
    const names = await cookieNames(context);
    expect(names.filter((name) => !declared.all.includes(name)), 'undeclared cookies').toEqual([]);
    if (state !== 'accepted') {
      expect(names.filter((name) => declared.analytics.includes(name)), 'analytics cookies without consent').toEqual([]);
    }
    expect(names.includes('lf_cookie_consent')).toBe(state !== 'undecided');
    expect(setByPages, 'a page GET sets no cookie: only a saved choice does').toEqual([]);
  });
}
