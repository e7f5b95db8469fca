import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

const SCENES: { name: string; path: string; prepare?: (page: Page) => Promise<void> }[] = [
  { name: 'home-banner', path: '/' },
  {
    name: 'dialog',
    path: '/',
    prepare: async (page) => {
      await page.getByRole('link', { name: 'Preferences' }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
    },
  },
  {
    name: 'dialog-decided',
    path: '/',
    prepare: async (page) => {
      await page.getByRole('button', { name: 'Reject', exact: true }).click();
      await expect(page.locator('.cookie-banner')).toBeHidden();
      await page.getByRole('contentinfo').getByRole('link', { name: 'Cookie Settings' }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
    },
  },
  { name: 'cookie-notice', path: '/cookie-notice' },
  { name: 'cookie-settings', path: '/cookie-settings' },
];

for (const scheme of ['light', 'dark'] as const) {
  for (const width of [375, 1280]) {
    for (const scene of SCENES) {
      test(`${scene.name} ${scheme} ${width}`, async ({ browser }) => {
        const context = await browser.newContext({
          colorScheme: scheme,
          viewport: { width, height: width < 600 ? 812 : 800 },
          reducedMotion: 'reduce',
        });
        await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
        const page = await context.newPage();
        await page.goto(scene.path);
        await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
        await scene.prepare?.(page);
        await page.screenshot({ path: path.join(OUT, `${scene.name}-${scheme}-${width}.png`) });
        await context.close();
      });
    }
  }
}
