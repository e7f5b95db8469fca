import { test, expect, hydratedProject, storedDecision, banner, openPreferences } from './fixtures';
import { ownServer } from './server';

test.describe.configure({ mode: 'serial' });

// A server of this file's own that lets a client save once, then once a minute.
const own = ownServer(() => ({
  LEADISTRY_SAVES_PER_MINUTE: '1',
  LEADISTRY_SAVES_BURST: '1',
}));

test('a save over the rate limit says to try again, inside the site, and changes nothing', async ({ page, context, consoleErrors }) => {
  consoleErrors.expect(/status of 429/);
  await page.goto(`${own.server.origin}/`);
  if (hydratedProject()) await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await banner(page).getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const saved = await storedDecision(context);
  expect(saved?.analytics).toBe(false);

  const preferences = await openPreferences(page);
  const answer = hydratedProject() ? Promise.resolve(undefined) : page.waitForResponse('**/api/consent');
  await preferences.getByRole('button', { name: 'Accept all' }).click();
  if (hydratedProject()) {
    await expect(preferences.getByRole('alert')).toContainText('could not be saved, so nothing has changed');
  } else {
    const response = (await answer)!;
    expect(response.status()).toBe(429);
    expect(await response.headerValue('set-cookie'), 'nothing saved, nothing set').toBeNull();
    await expect(page.getByRole('alert')).toContainText('Too many choices were sent from your network');
    await expect(page.getByRole('alert')).toContainText('so nothing has changed');
    await expect(page.getByRole('contentinfo').getByRole('link', { name: 'Cookie Settings' })).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Cookie Settings');
  }
  const after = await storedDecision(context);
  expect(after?.id).toBe(saved?.id);
  expect(after?.analytics).toBe(false);
});
