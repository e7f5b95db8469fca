import { test, expect, hydratedProject, storedDecision, banner, hyphenated, exportedReceipts } from './fixtures';
import { ownServer } from './server';

test.describe.configure({ mode: 'serial' });

// A server of this file's own, so that stopping it disturbs no other test.
const own = ownServer();

test('restarting the server during a visit loses nothing', async ({ page, context, consoleErrors }) => {
  // A late request (the favicon, say) may meet the server while it is down.
  consoleErrors.expect(/ERR_CONNECTION_REFUSED/);
  await page.goto(`${own.server.origin}/`);
  if (hydratedProject()) await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const saved = await storedDecision(context);
  await own.server.stop();
  await own.server.start();
  await page.goto(`${own.server.origin}/cookie-notice`);
  await expect(banner(page)).toBeHidden();
  expect((await storedDecision(context))?.id).toBe(saved?.id);
  await expect(page.locator('script#clarity-loader')).toHaveCount(1);
  const receipt = exportedReceipts().find((r) => r.consent_id === hyphenated(saved!.id));
  expect(receipt, 'the receipt is in the log after the restart').toBeTruthy();
  expect(JSON.parse(receipt!.choices as string)).toEqual({ essential: 'granted', analytics: 'granted' });
});

test('a save while the server is down says so, keeps the old state and loads nothing', async ({ page, context, clarity, consoleErrors }) => {
  test.skip(!hydratedProject(), 'without JavaScript the browser shows its own error page');
  consoleErrors.expect(/ERR_CONNECTION_REFUSED|Failed to fetch|Failed to load resource/);
  await page.goto(`${own.server.origin}/`);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await own.server.stop();
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page).getByRole('alert')).toContainText('could not be saved');
  await expect(banner(page)).toBeVisible();
  expect(await storedDecision(context)).toBeUndefined();
  expect(clarity.requests).toBe(0);
});
