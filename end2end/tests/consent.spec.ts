import {
  test,
  expect,
  visit,
  hydratedProject,
  consentValue,
  setConsentCookie,
  storedDecision,
  cookieNames,
  CLARITY_PROJECT,
  banner,
  dialog,
  footerSettings,
  openPreferences,
  withdraw,
  PAGES,
  EVERY_PAGE,
  settled,
} from './fixtures';
import type { Page } from '@playwright/test';


async function clarityLoaded(page: Page) {
  return page.evaluate(() => (window as unknown as { __clarityLoaded?: boolean }).__clarityLoaded === true);
}

test('R1 nothing non-essential before consent, on any page', async ({ page, request, clarity, context }) => {
  for (const path of EVERY_PAGE) {
    const html = await (await request.get(path)).text();
    expect(html, path).not.toContain('clarity.ms');
    expect(html, path).not.toContain('clarity-loader');
    expect(html, path).not.toMatch(/type="text\/plain"/);
    await visit(page, path);
    await expect(banner(page)).toBeVisible();
    await settled(page);
    expect(await page.locator('script#clarity-loader').count(), path).toBe(0);
    expect(clarity.requests, path).toBe(0);
  }
  const names = await cookieNames(context);
  expect(names).not.toContain('_clck');
  expect(names).not.toContain('_clsk');
});

test('R2 reject is as easy as accept', async ({ page }) => {
  await visit(page, '/');
  const accept = banner(page).getByRole('button', { name: 'Accept', exact: true });
  const reject = banner(page).getByRole('button', { name: 'Reject', exact: true });
  // Fail fast, and say why, when either is not a button at all.
  await expect(accept, 'Accept is a button').toHaveCount(1);
  await expect(reject, 'Reject is a button').toHaveCount(1);
  for (const button of [accept, reject]) {
    expect(await button.evaluate((el) => el.tagName)).toBe('BUTTON');
  }
  expect(await accept.getAttribute('class')).toBe(await reject.getAttribute('class'));
  const a = (await accept.boundingBox())!;
  const r = (await reject.boundingBox())!;
  expect(Math.abs(a.width - r.width)).toBeLessThanOrEqual(2);
  expect(Math.abs(a.height - r.height)).toBeLessThanOrEqual(2);
  expect(Math.abs(a.y - r.y), 'side by side').toBeLessThanOrEqual(2);
  // Same look, measured in the browser, not only the same class name.
  const look = (el: Element) => {
    const s = getComputedStyle(el);
    return [s.backgroundColor, s.color, s.fontSize, s.fontWeight, s.borderColor].join('|');
  };
  expect(await accept.evaluate(look)).toBe(await reject.evaluate(look));

  await reject.click();
  await expect(banner(page)).toBeHidden();
  const decision = await storedDecision(page.context());
  expect(decision?.analytics).toBe(false);
  expect(decision?.method).toBe(hydratedProject() ? 'b' : 'f');
});

test('R2 accept decides in one click', async ({ page, clarity }) => {
  await visit(page, '/');
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const decision = await storedDecision(page.context());
  expect(decision?.analytics).toBe(true);
  if (hydratedProject()) await expect.poll(() => clarity.requests).toBe(1);
});

test('R3 no pre-ticked boxes', async ({ page }) => {
  await visit(page, '/');
  if (hydratedProject()) {
    await banner(page).getByRole('link', { name: 'Preferences' }).click();
    await expect(dialog(page)).toBeVisible();
  } else {
    await banner(page).getByRole('link', { name: 'Preferences' }).click();
    await expect(page).toHaveURL('/cookie-settings');
  }
  const scope = hydratedProject() ? dialog(page) : page.getByRole('main');
  await expect(scope.getByRole('switch', { name: 'Analytics & behavioural' })).not.toBeChecked();
  await expect(scope.getByRole('switch', { name: 'Essential' })).toBeChecked();
});

test('R3 the settings page as the server sends it: analytics off until granted', async ({ page, context }) => {
  // No control is touched, so with JavaScript on the islands have not loaded: this is the
  // server's HTML, as a visitor sees it first.
  for (const analytics of [undefined, false, true]) {
    await context.clearCookies();
    if (analytics !== undefined) await setConsentCookie(context, consentValue({ analytics }));
    await page.goto('/cookie-settings');
    const toggle = page.getByRole('main').getByRole('switch', { name: 'Analytics & behavioural' });
    if (analytics) await expect(toggle).toBeChecked();
    else await expect(toggle, `a visitor who ${analytics === false ? 'refused' : 'has not decided'}`).not.toBeChecked();
  }
});

test('R3 switching analytics on and saving grants it, in the preferences and on the settings page', async ({ page, context, clarity }) => {
  for (const open of [openPreferences, async (p: Page) => (await visit(p, '/cookie-settings'), p.getByRole('main'))]) {
    await context.clearCookies();
    await visit(page, '/');
    const scope = await open(page);
    await scope.getByRole('switch', { name: 'Analytics & behavioural' }).check();
    await scope.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await storedDecision(context))?.analytics).toBe(true);
    await expect(page.locator('script#clarity-loader')).toHaveCount(1);
  }
  if (hydratedProject()) expect(clarity.requests).toBeGreaterThanOrEqual(1);
});

test('R4 closing, Escape, scrolling, waiting or navigating is not consent', async ({ page, clarity, context }) => {
  await visit(page, '/');
  if (hydratedProject()) {
    await footerSettings(page).click();
    await expect(dialog(page)).toBeVisible();
    await dialog(page).getByRole('switch', { name: 'Analytics & behavioural' }).check();
    await page.keyboard.press('Escape');
    await expect(dialog(page)).toBeHidden();
    await footerSettings(page).click();
    await expect(dialog(page).getByRole('switch', { name: 'Analytics & behavioural' })).not.toBeChecked();
    await dialog(page).getByRole('button', { name: 'Close without saving' }).click();
    await expect(dialog(page)).toBeHidden();
  }
  await page.mouse.wheel(0, 2000);
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await settled(page);
  await page.getByRole('contentinfo').getByRole('link', { name: 'Privacy Notice' }).click();
  await expect(page).toHaveURL('/privacy');
  await visit(page, '/cookie-notice');
  await expect(banner(page)).toBeVisible();
  expect(await storedDecision(context)).toBeUndefined();
  // With JavaScript the tag would be requested; without it, the server would render it.
  expect(clarity.requests).toBe(0);
  expect(await page.locator('script#clarity-loader').count()).toBe(0);
  expect(await page.content()).not.toContain('clarity.ms');
});

test('R5 essential is really essential', async ({ page }) => {
  await visit(page, '/cookie-settings');
  const essential = page.getByRole('main').getByRole('switch', { name: 'Essential' });
  await expect(essential).toBeChecked();
  await expect(essential).toBeDisabled();
  const essentialRow = page.getByRole('main').locator('li[data-category="essential"]');
  await expect(essentialRow).toContainText('lf_token');
  await expect(essentialRow).toContainText('lf_cookie_consent');
  await expect(essentialRow).not.toContainText('Clarity');
  await expect(essentialRow).not.toContainText('_clck');
  await expect(page.getByRole('main').locator('li[data-category="analytics"]')).toContainText('Microsoft Clarity');
  await visit(page, '/cookie-notice');
  const row = page.locator('.cookie-table tr[data-category="essential"] td').nth(1);
  expect(((await row.innerText()).match(/\((\w+)\)/g) ?? []).sort()).toEqual(['(lf_cookie_consent)', '(lf_token)']);
});

test('R6 withdrawing is as easy as giving', async ({ page, context, clarity }) => {
  await visit(page, '/');
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  if (hydratedProject()) {
    await expect.poll(() => clarity.requests).toBe(1);
    await expect.poll(() => cookieNames(context)).toContain('_clck');
  } else {
    // Without JavaScript the tag cannot run; the server now renders it, and the test sets the
    // cookies Clarity would have written.
    expect(await page.locator('script#clarity-loader').count()).toBe(1);
    await context.addCookies(['_clck', '_clsk'].map((name) => ({ name, value: 'stub', domain: '127.0.0.1', path: '/' })));
  }

  const preferences = await openPreferences(page);
  const toggle = preferences.getByRole('switch', { name: 'Analytics & behavioural' });
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  const reload = hydratedProject() ? page.waitForEvent('load') : Promise.resolve();
  await preferences.getByRole('button', { name: 'Save' }).click();
  await reload;

  expect((await storedDecision(context))?.analytics).toBe(false);
  await expect.poll(() => cookieNames(context)).not.toContain('_clck');
  expect(await cookieNames(context)).not.toContain('_clsk');
  expect(await page.locator('script#clarity-loader').count()).toBe(0);
  if (hydratedProject()) {
    expect(clarity.calls).toContainEqual(['consentv2', { ad_Storage: 'denied', analytics_Storage: 'denied' }]);
    expect(await clarityLoaded(page), 'the reload removed the tag').toBe(false);
    expect(clarity.requests).toBe(1);
  }
});

test('R6 the footer opens the preferences on every page in one click', async ({ page }) => {
  for (const path of EVERY_PAGE) {
    await visit(page, path);
    await openPreferences(page);
    if (hydratedProject()) {
      await expect(page).toHaveURL(path);
      await page.keyboard.press('Escape');
      await expect(dialog(page)).toBeHidden();
    }
  }
});

test('R7 the choice is remembered, both ways', async ({ page, context }) => {
  for (const choice of ['Accept', 'Reject']) {
    await context.clearCookies();
    await visit(page, '/');
    await banner(page).getByRole('button', { name: choice, exact: true }).click();
    await expect(banner(page)).toBeHidden();
    await page.reload();
    await expect(banner(page)).toBeHidden();
    for (const path of PAGES.slice(1)) {
      await visit(page, path);
      await expect(banner(page)).toBeHidden();
    }
    expect((await storedDecision(context))?.analytics).toBe(choice === 'Accept');
  }
});

test('R7 the consent cookie is HttpOnly, Lax, site-wide and lasts the configured lifetime', async ({ page, context }) => {
  await visit(page, '/');
  const before = Date.now() / 1000;
  await banner(page).getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const { cookie } = (await storedDecision(context))!;
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Lax');
  expect(cookie.path).toBe('/');
  expect(cookie.value.length).toBeLessThan(200);
  expect(cookie.expires - before).toBeGreaterThan(182 * 86400 - 60);
  expect(cookie.expires - before).toBeLessThan(182 * 86400 + 60);
});

test('R8 a decision on an older policy revision asks again, saying the policy changed', async ({ page, context, clarity }) => {
  await setConsentCookie(context, consentValue({ revision: 1, analytics: true }));
  await visit(page, '/');
  await expect(banner(page)).toBeVisible();
  await expect(banner(page)).toContainText('Our cookie policy has changed since you last chose');
  expect(clarity.requests).toBe(0);
});

test('R8 an expired decision asks again', async ({ page, context, clarity }) => {
  const old = Math.floor(Date.now() / 1000) - 183 * 86400;
  await setConsentCookie(context, consentValue({ decidedAt: old, analytics: true }));
  await visit(page, '/');
  await expect(banner(page)).toBeVisible();
  await expect(banner(page)).not.toContainText('policy has changed');
  expect(clarity.requests).toBe(0);
});

test('R10 no cookie wall: the page is usable without deciding', async ({ page }) => {
  await visit(page, '/');
  await expect(banner(page)).toBeVisible();
  const heading = page.getByRole('heading', { level: 1 });
  await expect(heading).toBeVisible();
  const box = (await heading.boundingBox())!;
  const hit = await page.evaluate(([x, y]) => {
    const element = document.elementFromPoint(x, y);
    return element !== null && element.closest('main') !== null;
  }, [box.x + box.width / 2, box.y + box.height / 2]);
  expect(hit, 'nothing covers the content').toBe(true);
  await page.getByRole('banner').getByRole('link', { name: 'Cookies' }).click();
  await expect(page).toHaveURL('/cookie-notice');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Cookie Notice');
});

for (const path of ['declining in the banner', 'withdrawing in the preferences'] as const) {
  test(`R12 essential cookies survive ${path}`, async ({ page, context }) => {
    // Script-visible, as a session cookie an app sets for its scripts can be: page code could
    // delete it, so the test sees whether it does.
    await context.addCookies([
      { name: 'lf_token', value: 'session-123', domain: '127.0.0.1', path: '/', httpOnly: false },
    ]);
    await visit(page, '/');
    if (path === 'declining in the banner') {
      await banner(page).getByRole('button', { name: 'Reject', exact: true }).click();
      await expect(banner(page)).toBeHidden();
    } else {
      await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
      await expect(banner(page)).toBeHidden();
      await withdraw(page);
    }
    await expect.poll(async () => (await storedDecision(context))?.analytics).toBe(false);
    const token = (await context.cookies()).find((c) => c.name === 'lf_token');
    expect(token?.value).toBe('session-123');
    expect(await page.evaluate(() => document.cookie)).toContain('lf_token=session-123');
  });
}

test.describe('server rendering of the consent state', () => {
  test('the banner is in the first HTML exactly when there is no valid decision', async ({ request }) => {
    const fresh = await (await request.get('/')).text();
    // In place in the document, not in a <template> that only JavaScript would swap in.
    expect(fresh).toMatch(/<section[^>]* class="cookie-banner"/);
    expect(fresh).not.toContain('<template');
    const decided = await (
      await request.get('/', { headers: { Cookie: `lf_cookie_consent=${consentValue({ analytics: false })}` } })
    ).text();
    expect(decided).not.toMatch(/<section[^>]* class="cookie-banner"/);
    expect(decided).not.toContain('clarity.ms');
  });

  test('a returning visitor who granted analytics gets the tag in the server HTML', async ({ request }) => {
    const html = await (
      await request.get('/', { headers: { Cookie: `lf_cookie_consent=${consentValue({ analytics: true })}` } })
    ).text();
    expect(html).toContain('id="clarity-loader"');
    expect(html).toContain(`'${CLARITY_PROJECT}'`);
    expect(html).toContain("analytics_Storage:'granted'");
  });

  const MANGLED: Record<string, () => string> = {
    garbage: () => 'garbage',
    truncated: () => '1.2.3',
    'percent bytes': () => '%00%ff',
    json: () => '{"analytics":true}',
    'trailing byte': () => consentValue({ analytics: true }) + 'x',
    'upper-case id': () => consentValue({ analytics: true }).replace('a1b2', 'A1B2'),
  };
  for (const [name, mangled] of Object.entries(MANGLED)) {
    test(`a mangled cookie shows the banner: ${name}`, async ({ page, context, clarity }) => {
      await setConsentCookie(context, mangled());
      const response = await visit(page, '/');
      expect(response?.status()).toBe(200);
      await expect(banner(page)).toBeVisible();
      expect(clarity.requests).toBe(0);
    });
  }

  test('invalid input to the consent endpoint is refused and changes nothing', async ({ request, baseURL }) => {
    for (const form of [
      { choice: 'maybe', source: 'banner' },
      { choice: 'save', source: 'settings', 'categories[marketing]': 'granted' },
      { choice: 'save', source: 'settings', 'categories[essential]': 'denied' },
      { choice: 'save', source: 'settings', 'categories[analytics]': 'yes' },
    ]) {
      const response = await request.post('/api/consent', { form, headers: { Origin: baseURL! }, maxRedirects: 0 });
      expect(response.status(), JSON.stringify(form)).toBe(400);
      expect(response.headers()['set-cookie'] ?? '').not.toContain('lf_cookie_consent');
    }
  });

  test('a form post without JavaScript returns only to a same-site path', async ({ request, baseURL }) => {
    for (const [returnTo, expected] of [
      ['/privacy', '/privacy'],
      ['https://evil.example/', '/'],
      ['//evil.example/', '/'],
    ]) {
      const response = await request.post('/api/consent', {
        form: { choice: 'reject', source: 'banner', return_to: returnTo },
        headers: { Accept: 'text/html', Origin: baseURL! },
        maxRedirects: 0,
      });
      expect(response.status(), 'See Other: the browser follows with a GET').toBe(303);
      expect(response.headers()['location']).toBe(expected);
    }
  });
});

test.describe('hydrated behaviour', () => {
  test.skip(() => !hydratedProject(), 'needs JavaScript');

  test('Accept loads Clarity at once, without a reload, and signals consent', async ({ page, clarity }) => {
    await visit(page, '/cookie-notice');
    await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
    await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
    await expect.poll(() => clarity.requests).toBe(1);
    await expect.poll(() => clarityLoaded(page)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
    expect(clarity.calls).toContainEqual(['consentv2', { ad_Storage: 'denied', analytics_Storage: 'granted' }]);
    // Saving the same choice again does not load the tag twice.
    await footerSettings(page).click();
    const saved = page.waitForResponse('**/api/consent');
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await expect(dialog(page)).toBeHidden();
    expect((await saved).status()).toBe(200);
    await settled(page);
    expect(clarity.requests).toBe(1);
  });

  test('a failed save says so, keeps the old state and loads nothing', async ({ page, clarity, context, consoleErrors }) => {
    consoleErrors.expect(/status of 500/);
    await page.route('**/api/consent', (route) => route.fulfill({ status: 500, body: 'boom' }));
    await visit(page, '/');
    await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
    await expect(banner(page).getByRole('alert')).toContainText('could not be saved');
    await expect(banner(page)).toBeVisible();
    expect(await storedDecision(context)).toBeUndefined();
    expect(clarity.requests).toBe(0);
  });

  test('keyboard only: Tab reaches the choices, the footer opens the dialog, Escape closes it, focus returns', async ({ page }) => {
    await visit(page, '/');
    const accept = banner(page).getByRole('button', { name: 'Accept', exact: true });
    let reached = false;
    for (let i = 0; i < 8 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await accept.evaluate((el) => el === document.activeElement);
    }
    expect(reached, 'Accept is reachable by Tab').toBe(true);
    await page.keyboard.press('Tab');
    await expect(banner(page).getByRole('button', { name: 'Reject', exact: true })).toBeFocused();

    await footerSettings(page).focus();
    await page.keyboard.press('Enter');
    await expect(dialog(page)).toBeVisible();
    expect(await dialog(page).evaluate((d) => d.contains(document.activeElement))).toBe(true);
    // Focus stays inside the modal dialog.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const inside = await dialog(page).evaluate((d) => d.contains(document.activeElement) || document.activeElement === document.body);
      expect(inside).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect(dialog(page)).toBeHidden();
    await expect(footerSettings(page)).toBeFocused();
  });
});
