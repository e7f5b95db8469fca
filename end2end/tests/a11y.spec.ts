import AxeBuilder from '@axe-core/playwright';
import { test, expect, visit, hydratedProject, banner, dialog, footerSettings, EVERY_PAGE } from './fixtures';
import type { Page } from '@playwright/test';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];
const WIDTHS = [375, 1280];

/** axe runs in the page, so it needs JavaScript; the JavaScript-off DOM is the same HTML. */
async function violations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

for (const colorScheme of ['light', 'dark'] as const) {
  for (const width of WIDTHS) {
    test.describe(`accessibility, ${colorScheme}, ${width} px`, () => {
      test.use({ colorScheme, viewport: { width, height: 800 } });

      for (const path of EVERY_PAGE) {
        test(`${path} with the banner shown has no WCAG 2.2 A/AA or best-practice violation`, async ({ page }) => {
          test.skip(!hydratedProject(), 'axe runs as a script in the page');
          await visit(page, path);
          await expect(banner(page)).toBeVisible();
          expect(await violations(page)).toEqual([]);
        });
      }

      test('the preferences dialog has no WCAG 2.2 A/AA or best-practice violation', async ({ page }) => {
        test.skip(!hydratedProject(), 'the dialog needs JavaScript; /cookie-settings is checked above');
        await visit(page, '/');
        await footerSettings(page).click();
        await expect(dialog(page)).toBeVisible();
        expect(await violations(page)).toEqual([]);
      });
    });
  }
}

test('the banner and the dialog announce themselves with clear names', async ({ page }) => {
  await visit(page, '/');
  const region = banner(page);
  for (const name of ['Accept', 'Reject']) await expect(region.getByRole('button', { name, exact: true })).toBeVisible();
  await expect(region.getByRole('link', { name: 'Preferences' })).toBeVisible();
  if (hydratedProject()) {
    await region.getByRole('link', { name: 'Preferences' }).click();
    const preferences = dialog(page);
    await expect(preferences).toBeVisible();
    await expect(preferences.getByRole('button', { name: 'Close without saving' })).toBeVisible();
    await expect(preferences.getByRole('switch', { name: 'Analytics & behavioural' })).toBeVisible();
  }
});

test('keyboard focus is always visible and never hidden by the banner', async ({ page }) => {
  test.skip(!hydratedProject(), 'focus order is checked once, with the hydrated page');
  await page.setViewportSize({ width: 375, height: 700 });
  await visit(page, '/cookie-notice');
  const bannerBox = (await banner(page).boundingBox())!;
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return {
        wrapped: el === document.body,
        inBanner: !!el.closest('.cookie-banner'),
        bottom: el.getBoundingClientRect().bottom,
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    const focus = await focused();
    if (focus.wrapped) break; // past the last tab stop
    expect(focus.outline, `focus ring on tab stop ${i}`).toBe(true);
    if (focus.inBanner) continue;
    // Scrolling may be animated: wait for it to settle above the banner.
    await expect
      .poll(async () => (await focused()).bottom, { message: `tab stop ${i} clear of the banner`, timeout: 2000 })
      .toBeLessThanOrEqual(bannerBox.y + 1);
  }
});

test('motion is reduced when the visitor asks for it', async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await visit(page, '/');
  const motion = await page.evaluate(() => ({
    scroll: getComputedStyle(document.documentElement).scrollBehavior,
    switch: getComputedStyle(document.querySelector('input[role="switch"]')!, '::before').transitionDuration,
  }));
  expect(motion.scroll).toBe('auto');
  expect(motion.switch).toBe('0s');
});
