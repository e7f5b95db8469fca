import {
  test,
  expect,
  visit,
  hydratedProject,
  storedDecision,
  consentValue,
  setConsentCookie,
  banner,
  footerSettings,
  EVERY_PAGE,
} from './fixtures';
import type { Page } from '@playwright/test';
import { createHash } from 'node:crypto';

const ATTACKER = 'http://127.0.0.1:3999';

/** Records CSP violations as they happen (the console also reports them as errors). */
async function watchViolations(page: Page) {
  await page.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __violations: string[] }).__violations = []);
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}

test('a forged consent from another origin is refused and changes nothing', async ({ page, context, baseURL, consoleErrors }) => {
  consoleErrors.expect(/status of 403/);
  await visit(page, '/');
  await banner(page).getByRole('button', { name: 'Reject', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const before = await storedDecision(context);
  expect(before?.analytics).toBe(false);

  // Same site (ports do not count), so the browser even sends the Lax cookies: only the
  // server's origin check stands between this page and a forged "yes".
  await page.route(`${ATTACKER}/**`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>Win a prize</title>
        <form id="forge" method="post" action="${baseURL}/api/consent">
          <input type="hidden" name="choice" value="accept">
          <input type="hidden" name="source" value="banner">
          <button>Claim</button>
        </form>
        <script>document.getElementById('forge').submit()</script>`,
    }),
  );
  await page.goto(`${ATTACKER}/prize`);
  if (!hydratedProject()) await page.getByRole('button', { name: 'Claim' }).click();
  await expect(page).toHaveURL(`${baseURL}/api/consent`);
  await expect(page.locator('body')).toContainText('Cross-site request refused');
  const after = await storedDecision(context);
  expect(after?.id).toBe(before?.id);
  expect(after?.analytics).toBe(false);
});

for (const state of ['undecided', 'refused', 'granted'] as const) {
  test(`no CSP violation for a visitor who is ${state}, before and after accepting`, async ({ page, context, clarity }) => {
    const violations = await watchViolations(page);
    if (state !== 'undecided') await setConsentCookie(context, consentValue({ analytics: state === 'granted' }));
    const response = await visit(page, '/');
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toMatch(/script-src 'self'( 'sha256-[\w+/=]+')+ 'wasm-unsafe-eval'/);
    expect(csp).not.toContain('nonce');
    expect(csp.includes('clarity.ms')).toBe(state !== 'refused');
    if (state === 'granted' && hydratedProject()) await expect.poll(() => clarity.requests).toBe(1);
    if (hydratedProject()) {
      await footerSettings(page).click();
      const load = state === 'refused' ? page.waitForEvent('load') : Promise.resolve();
      await page.getByRole('dialog').getByRole('button', { name: 'Accept all' }).click();
      await load;
      await expect.poll(() => clarity.requests).toBeGreaterThanOrEqual(1);
      await expect(page.locator('script#clarity-loader')).toHaveCount(1);
    }
    expect(await violations()).toEqual([]);
  });
}

test('cookies other apps set on the parent domain never refuse a page or an asset', async ({ request }) => {
  const js = (await (await request.get('/')).text()).match(/"(\/pkg\/leadistry\.[\w-]+\.js)"/)![1];
  const cookies = [
    // UTF-8 bytes, as a browser sends another app's cookie.
    `lang=${Buffer.from('español').toString('latin1')}`,
    `lf_token=abc; sso=${'x'.repeat(9 * 1024)}`,
    `wide=${'y'.repeat(16 * 1024 - 10)}`,
    `lf_cookie_consent=${consentValue({ analytics: false })}; lf_cookie_consent=set-by-a-sibling-app`,
  ];
  for (const cookie of cookies) {
    for (const path of ['/', '/cookie-settings', '/favicon.svg', js]) {
      const response = await request.get(path, { headers: { Cookie: cookie } });
      expect(response.status(), `${path} with ${cookie.slice(0, 40)}`).toBe(200);
    }
  }
});

test('pages, assets and server function responses carry the security headers', async ({ request, baseURL }) => {
  const html = await (await request.get('/')).text();
  const js = html.match(/"(\/pkg\/leadistry\.[\w-]+\.js)"/)![1];
  const responses = [
    await request.get('/'),
    await request.get(js),
    await request.get('/favicon.svg'),
    await request.post('/api/consent', {
      form: { choice: 'reject', source: 'banner' },
      headers: { Origin: baseURL! },
    }),
  ];
  for (const response of responses) {
    const h = response.headers();
    const csp = Object.fromEntries(
      h['content-security-policy'].split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources.join(' ')]),
    );
    // The inline sources by hash, the same in every response (see the test below).
    const scripts = csp['script-src'].match(/^'self'((?: 'sha256-[\w+/=]+')+) 'wasm-unsafe-eval'/)?.[1];
    const styles = csp['style-src'].match(/^'self'((?: 'sha256-[\w+/=]+')+)$/)?.[1];
    expect(scripts, response.url()).toBeTruthy();
    expect(styles, response.url()).toBeTruthy();
    expect(csp, response.url()).toEqual({
      'default-src': "'self'",
      'script-src': `'self'${scripts} 'wasm-unsafe-eval' https://www.clarity.ms https://scripts.clarity.ms`,
      'connect-src': "'self' https://*.clarity.ms https://c.bing.com",
      'img-src': "'self' data: https://*.clarity.ms https://c.bing.com",
      'style-src': `'self'${styles}`,
      'object-src': "'none'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
      'form-action': "'self'",
    });
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(h['cross-origin-opener-policy']).toBe('same-origin');
    expect(h['permissions-policy']).toBe(
      'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()',
    );
  }
});

test('every inline script and style of every page is named by its hash in the page\'s policy, none by a nonce', async ({ request, baseURL }) => {
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const accepted = await request.post('/api/consent', {
    form: { choice: 'accept', source: 'banner' },
    headers: { Origin: baseURL!, Accept: 'application/json' },
  });
  // The Clarity loader a save's answer carries for the island loader to run.
  const answer = await accepted.json();
  expect(answer.clarity_loader).toContain('clarity.ms/tag/');
  for (const state of ['undecided', 'granted', 'refused'] as const) {
    const cookie = state === 'undecided' ? {} : { Cookie: `lf_cookie_consent=${consentValue({ analytics: state === 'granted' })}` };
    for (const path of [...EVERY_PAGE]) {
      const response = await request.get(path, { headers: cookie });
      const html = await response.text();
      const csp = response.headers()['content-security-policy'];
      const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `))!;
      const inline = [...html.matchAll(/<(script|style)(\s[^>]*)?>([\s\S]*?)<\/\1>/g)]
        .filter(([, , attributes]) => !/\ssrc=/.test(attributes ?? ''));
      expect(inline.length, `${state} ${path}`).toBeGreaterThanOrEqual(3);
      for (const [, tag, attributes, text] of inline) {
        // Leptos's own closing scripts carry an empty one (leptos_axum always sets one).
        expect(attributes ?? '', `${state} ${path}: ${tag} without a nonce`).not.toMatch(/nonce="[^"]/);
        expect(directive(tag === 'script' ? 'script-src' : 'style-src'), `${state} ${path}: ${tag} ${text.slice(0, 40)}`).toContain(hash(text));
      }
      if (state !== 'refused') expect(directive('script-src')).toContain(hash(answer.clarity_loader));
      expect(csp).not.toContain('unsafe-inline');
    }
  }
});
