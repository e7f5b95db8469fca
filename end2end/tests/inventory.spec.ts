import { test, expect, visit, storedDecision, banner, cookieNames, withdraw, EVERY_PAGE } from './fixtures';
import type { Page } from '@playwright/test';

/** Every cookie name the cookie catalog (and so the Cookie Notice) declares. */
const DECLARED = ['lf_token', 'lf_cookie_consent', '_clck', '_clsk', 'CLID', 'MUID'];
const CLARITY = ['_clck', '_clsk'];

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
  test(`R1 R5 every cookie is one the catalog declares, and pages set none: ${state}`, async ({ page, context, baseURL }) => {
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
      await page.waitForTimeout(100);
    }
    const names = await cookieNames(context);
    expect(names.filter((name) => !DECLARED.includes(name)), 'undeclared cookies').toEqual([]);
    if (state !== 'accepted') {
      expect(names.filter((name) => CLARITY.includes(name)), 'Clarity without consent').toEqual([]);
    }
    expect(names.includes('lf_cookie_consent')).toBe(state !== 'undecided');
    expect(setByPages, 'a page GET sets no cookie: only a saved choice does').toEqual([]);
  });
}
