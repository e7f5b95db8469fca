import { test, expect, hydratedProject, storedDecision, banner, hyphenated, exportedReceipts } from './fixtures';
import { Server } from './server';

// A server of this file's own, so that stopping it disturbs no other test.
const PORTS = { hydrated: 3101, ssr: 3102 } as const;

test.describe.configure({ mode: 'serial' });

let server: Server;

test.beforeEach(async () => {
  test.skip(!process.env.LEADISTRY_SERVER_BIN, 'needs the release binary (scripts/test sets it)');
  server = new Server(`http://127.0.0.1:${PORTS[test.info().project.name as keyof typeof PORTS]}`);
  await server.start();
});
test.afterEach(() => server.stop());

test('restarting the server during a visit loses nothing', async ({ page, context, consoleErrors }) => {
  // A late request (the favicon, say) may meet the server while it is down.
  consoleErrors.expect(/ERR_CONNECTION_REFUSED/);
  await page.goto(`${server.origin}/`);
  if (hydratedProject()) await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const saved = await storedDecision(context);
  await server.stop();
  await server.start();
  await page.goto(`${server.origin}/cookie-notice`);
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
  await page.goto(`${server.origin}/`);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await server.stop();
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page).getByRole('alert')).toContainText('could not be saved');
  await expect(banner(page)).toBeVisible();
  expect(await storedDecision(context)).toBeUndefined();
  expect(clarity.requests).toBe(0);
});
