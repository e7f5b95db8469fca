import os from 'node:os';
import path from 'node:path';
import { test, expect, banner, hydratedProject, withdraw, exportedReceipts } from './fixtures';
import { freePort, ownServer } from './server';

// A server of this file's own with the operator listener on, and a consent log of each test's
// own, so that the figures are exactly this test's visits.
let operatorPort = 0;
test.beforeAll(async () => {
  operatorPort = await freePort();
});
const own = ownServer(() => ({
  DATABASE_URL: `sqlite://${path.join(os.tmpdir(), `leadistry-stats-${test.info().project.name}-${Date.now()}.sqlite`)}?mode=rwc`,
  LEADISTRY_OPERATOR_ADDR: `127.0.0.1:${operatorPort}`,
}));

test('the operator sees the visits and decisions on /stats: the chart and the table', async ({ page, browser }) => {
  // A visitor accepts from the banner, then withdraws from "Cookie Settings"; another only
  // reads the Cookie Notice.
  await page.goto(`${own.server.origin}/`);
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  await withdraw(page);
  const reader = await browser.newPage();
  await reader.goto(`${own.server.origin}/cookie-notice`);
  await expect(banner(reader)).toBeVisible();
  await reader.close();

  const answer = await page.goto(`http://127.0.0.1:${operatorPort}/stats`);
  expect(answer?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Consent statistics' })).toBeVisible();
  const chart = page.getByRole('figure', { name: /Decisions per day/ });
  await expect(chart.locator('svg')).toBeVisible();
  await expect(chart).toContainText('Consent decisions per day');
  await expect(chart).toContainText('opt-in rate');

  // Today's row and the total: 2 decisions (1 granted, 1 denied, the second a withdrawal),
  // 2 pages that showed the banner to a navigation.
  const [banner_, settings, form] = hydratedProject() ? ['1', '1', '0'] : ['0', '0', '2'];
  const figures = ['2', '1', '1', banner_, settings, form, '50.0%', '2', '100.0%', '0', '1', '0', '0'];
  const total = page.getByRole('row', { name: /^total/ });
  await expect(total.getByRole('cell')).toHaveText(figures);
  // The day of the decisions, from the log (no second reading of the clock): both fell on it
  // unless the test ran across midnight UTC, when its two rows add up to the total above.
  const days = [...new Set(exportedReceipts(own.env.DATABASE_URL).map((r) => new Date((r.decided_at as number) * 1000).toISOString().slice(0, 10)))];
  if (days.length === 1) {
    await expect(page.getByRole('row', { name: new RegExp(`^${days[0]}`) }).getByRole('cell')).toHaveText(figures);
  }

  const json = await (await page.request.get(`http://127.0.0.1:${operatorPort}/stats.json`)).json();
  expect(json.total).toMatchObject({ decisions: 2, granted: 1, denied: 1, impressions: 2, withdrawn: 1, regranted: 0 });

  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: test.info().outputPath(`stats-${colorScheme}.png`), fullPage: true });
  }
});

test('the public site has none of the operator paths', async ({ page }) => {
  for (const path of ['/metrics', '/healthz', '/readyz', '/stats', '/stats.json']) {
    expect((await page.request.get(`${own.server.origin}${path}`)).status(), path).toBe(404);
    expect((await page.request.get(`http://127.0.0.1:${operatorPort}${path}`)).status(), path).toBe(200);
  }
});
