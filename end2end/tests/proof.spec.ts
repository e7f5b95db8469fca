import os from 'node:os';
import path from 'node:path';
import {
  test,
  expect,
  visit,
  hydratedProject,
  storedDecision,
  cookieNames,
  banner,
  dialog,
  footerSettings,
  hyphenated,
  openPreferences,
  exportedReceipts,
  settled,
} from './fixtures';
import { ownServer } from './server';
import { policyFingerprint } from './policy';

test('R9 every decision has a receipt, and the visitor can see its id', async ({ page, context }) => {
  await visit(page, '/');
  const before = Math.floor(Date.now() / 1000) - 1;
  await banner(page).getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const decision = (await storedDecision(context))!;
  const id = hyphenated(decision.id);

  const receipt = exportedReceipts().find((r) => r.consent_id === id);
  expect(receipt, 'the decision is in the consent log').toBeTruthy();
  expect(receipt!.method).toBe(hydratedProject() ? 'banner' : 'form');
  expect(receipt!.policy_revision).toBe(2);
  expect(receipt!.decided_at as number).toBeGreaterThanOrEqual(before);
  expect(JSON.parse(receipt!.choices as string)).toEqual({ essential: 'granted', analytics: 'denied' });
  // Worked out from the catalog and wording in src/, not asked of the server (see policy.ts).
  expect(receipt!.policy_fingerprint).toBe(policyFingerprint());
  expect(Object.keys(receipt!).sort()).toEqual(
    ['choices', 'consent_id', 'decided_at', 'method', 'policy_fingerprint', 'policy_revision', 'replaces'],
  );
  expect(receipt!.replaces, 'a first decision replaces none').toBe('');

  await visit(page, '/cookie-settings');
  await expect(page.getByRole('main').locator('.consent-id')).toHaveText(id);
  await expect(page.getByRole('main')).toContainText('analytics refused');

  // A change of mind: its receipt names the decision it replaces.
  const preferences = await openPreferences(page);
  await preferences.getByRole('button', { name: 'Accept all' }).click();
  await expect.poll(async () => (await storedDecision(context))?.analytics).toBe(true);
  const again = hyphenated((await storedDecision(context))!.id);
  const replacing = exportedReceipts().find((r) => r.consent_id === again);
  expect(replacing!.replaces, 'the new decision names the one it replaces').toBe(id);
});

test('R9 a save from the preferences has a receipt of its method, under the fingerprint of the policy in force', async ({ page, context }) => {
  await visit(page, '/');
  const preferences = await openPreferences(page);
  await preferences.getByRole('switch', { name: 'Analytics & behavioural' }).check();
  await preferences.getByRole('button', { name: 'Save' }).click();
  await expect.poll(async () => (await storedDecision(context))?.analytics).toBe(true);
  const decision = (await storedDecision(context))!;

  const receipt = exportedReceipts().find((r) => r.consent_id === hyphenated(decision.id));
  expect(receipt, 'the decision is in the consent log').toBeTruthy();
  // With JavaScript the dialog saves it; without, the browser posts the settings page's form.
  expect(receipt!.method).toBe(hydratedProject() ? 'settings' : 'form');
  expect(decision.method).toBe(hydratedProject() ? 's' : 'f');
  expect(JSON.parse(receipt!.choices as string)).toEqual({ essential: 'granted', analytics: 'granted' });
  expect(receipt!.policy_fingerprint).toBe(policyFingerprint());
});

test('R9 the preferences show the decision in force, its date and id, on any page', async ({ page, context }) => {
  await visit(page, '/');
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const decision = (await storedDecision(context))!;
  const date = new Date(decision.decidedAt * 1000).toISOString().slice(0, 10);
  await visit(page, '/privacy');
  const preferences = await openPreferences(page);
  await expect(preferences.locator('.consent-id')).toHaveText(hyphenated(decision.id));
  await expect(preferences.locator('.decision-summary')).toHaveText(
    `Your current choice: analytics allowed, decided on ${date} (UTC). Decision id: ${hyphenated(decision.id)}`,
  );
});

test.describe('R11 Global Privacy Control', () => {
  test.use({ extraHTTPHeaders: { 'Sec-GPC': '1' } });

  test('R11 the signal turns analytics off without asking, and an explicit choice wins', async ({ page, context, clarity }) => {
    await visit(page, '/');
    await expect(banner(page)).toBeHidden();
    await expect(page.getByRole('contentinfo')).toContainText('Global Privacy Control signal is honoured');
    await settled(page);
    expect(clarity.requests).toBe(0);
    expect(await cookieNames(context)).not.toContain('lf_cookie_consent');

    if (hydratedProject()) {
      await footerSettings(page).click();
      await expect(dialog(page)).toContainText('Global Privacy Control');
      await expect(dialog(page).getByRole('switch', { name: 'Analytics & behavioural' })).not.toBeChecked();
      const reload = page.waitForEvent('load');
      await dialog(page).getByRole('button', { name: 'Accept all' }).click();
      await reload;
      await expect.poll(() => clarity.requests).toBe(1);
    } else {
      await footerSettings(page).click();
      await page.getByRole('main').getByRole('button', { name: 'Accept all' }).click();
      await expect(page.locator('script#clarity-loader')).toHaveCount(1);
    }
    const decision = await storedDecision(context);
    expect(decision?.analytics).toBe(true);
    await visit(page, '/cookie-notice');
    await expect(page.getByRole('contentinfo')).not.toContainText('Global Privacy Control');
  });
});

test.describe('R11 a refusal by Global Privacy Control needs no proof', () => {
  test.use({ extraHTTPHeaders: { 'Sec-GPC': '1' } });
  // A server and a consent log of this test's own, so that it can count every receipt.
  const own = ownServer(() => ({
    DATABASE_URL: `sqlite://${path.join(os.tmpdir(), `leadistry-gpc-${test.info().project.name}-${Date.now()}.sqlite`)}?mode=rwc`,
  }));

  test('R11 no cookie and no receipt for the signal, and the settings page says it is honoured', async ({ page, context }) => {
    const saves: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/')) saves.push(r.url());
    });
    for (const path of ['/', '/cookie-notice', '/cookie-settings']) {
      await page.goto(`${own.server.origin}${path}`);
      await expect(banner(page)).toBeHidden();
    }
    await expect(page.getByRole('main')).toContainText('Global Privacy Control signal is honoured');
    await expect(page.getByRole('main')).toContainText('You have not made a choice yet: analytics is off.');
    await settled(page);
    expect(await cookieNames(context)).not.toContain('lf_cookie_consent');
    expect(saves).toEqual([]);
    expect(exportedReceipts(own.env.DATABASE_URL)).toEqual([]);
  });
});

test('R11 navigator.globalPrivacyControl alone is honoured in the browser', async ({ page, clarity }) => {
  test.skip(!hydratedProject(), 'a browser property: needs JavaScript');
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  await visit(page, '/');
  await expect(banner(page)).toBeHidden();
  await expect(page.getByRole('contentinfo')).toContainText('Global Privacy Control signal is honoured');
  expect(clarity.requests).toBe(0);
});
