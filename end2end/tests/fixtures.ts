import { test as base, expect, type BrowserContext, type Page, type Request } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { CONSENT_KEY, CLARITY_PROJECT, POLICY_REVISION } from '../server-env';

/** What the intercepted Clarity tag saw: how often it was requested and what it was told. */
export type ClarityProbe = { requests: number; calls: unknown[][] };

/** Browser console errors; a test that provokes one on purpose says which with `expect`. */
export type ConsoleErrors = { expect: (pattern: RegExp) => void };

type Fixtures = { consoleErrors: ConsoleErrors; clarity: ClarityProbe };

export { CLARITY_PROJECT, POLICY_REVISION };

// Stands in for Clarity's tag: replays the queue the loader built, records every call, and
// writes Clarity's first-party cookies as the real tag does.
const CLARITY_STUB = `(function () {
  var queue = (window.clarity && window.clarity.q) || [];
  window.clarity = function () { window.__clarityRecord(Array.prototype.slice.call(arguments)); };
  for (var i = 0; i < queue.length; i++) window.clarity.apply(null, Array.prototype.slice.call(queue[i]));
  document.cookie = '_clck=stub; Path=/; Max-Age=31536000';
  document.cookie = '_clsk=stub; Path=/; Max-Age=86400';
  window.__clarityLoaded = true;
})();`;

/** The requests each page has in flight, for `settled`. */
const inFlight = new WeakMap<Page, Set<Request>>();

function track(page: Page) {
  const requests = new Set<Request>();
  inFlight.set(page, requests);
  page.on('request', (request) => requests.add(request));
  page.on('requestfinished', (request) => requests.delete(request));
  page.on('requestfailed', (request) => requests.delete(request));
}

/** Resolves once the page has done what it does by itself: loaded, two frames painted, an
 * idle callback run (when the island loader fetches the bundle for a banner), and no request
 * in flight for 500 ms (the quiet Playwright's "network idle" waits for), but those a test
 * holds on purpose (`held`). A check that something did not happen is made after this, never
 * after a fixed sleep. Without JavaScript only the network is waited for. */
export async function settled(page: Page, { held }: { held?: RegExp } = {}) {
  const requests = inFlight.get(page);
  if (!requests) throw new Error('settled() needs a page of the test context');
  await page.waitForLoadState('load');
  if (test.info().project.use.javaScriptEnabled !== false) {
    await page.evaluate(
      () =>
        new Promise<void>((resolve) =>
          requestAnimationFrame(() =>
            requestAnimationFrame(() =>
              window.requestIdleCallback ? requestIdleCallback(() => resolve()) : setTimeout(resolve, 200),
            ),
          ),
        ),
    );
  }
  // Not pending: the browser's own favicon request and, the page being loaded, the main
  // frame's navigations (neither is always reported finished).
  const pending = () =>
    [...requests].filter(
      (request) =>
        !held?.test(request.url()) &&
        !request.url().endsWith('/favicon.svg') &&
        !(request.isNavigationRequest() && request.frame() === page.mainFrame()),
    );
  const deadline = Date.now() + 15_000;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 500) {
    if (pending().length > 0) quietSince = Date.now();
    if (Date.now() > deadline) {
      throw new Error(`requests still in flight after 15 s: ${pending().map((r) => r.url()).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const test = base.extend<Fixtures>({
  // Every test fails on a console error or an uncaught page error: that is how a hydration
  // mismatch or a panic in the WASM shows. The one console error no test need expect is the
  // 404 page's own status (Chromium reports a page that answers 404 as a resource that
  // failed to load); any other 404, a missing file on any page, fails whatever a test expects.
  consoleErrors: [
    async ({ page }, use) => {
      const errors: { text: string; url: string }[] = [];
      const expected: RegExp[] = [];
      track(page);
      page.context().on('page', track);
      const notFoundPages = new Set<string>();
      page.on('response', (response) => {
        const request = response.request();
        if (response.status() === 404 && request.isNavigationRequest() && request.frame() === page.mainFrame()) {
          notFoundPages.add(response.url());
        }
      });
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push({ text: `console: ${msg.text()}`, url: msg.location().url });
      });
      page.on('pageerror', (err) => errors.push({ text: `pageerror: ${err.message}`, url: page.url() }));
      // Nothing may reach the internet from a test.
      await page.context().route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
      await use({ expect: (pattern) => expected.push(pattern) });
      const unexpected = errors
        .filter(({ text, url }) =>
          /status of 404/.test(text) ? !notFoundPages.has(url) : !expected.some((pattern) => pattern.test(text)),
        )
        .map(({ text, url }) => `${text} (${url})`);
      expect(unexpected, 'browser console errors').toEqual([]);
    },
    { auto: true },
  ],
  clarity: [
    async ({ page }, use) => {
      const probe: ClarityProbe = { requests: 0, calls: [] };
      await page.exposeFunction('__clarityRecord', (args: unknown[]) => {
        probe.calls.push(args);
      });
      await page.route('https://www.clarity.ms/**', (route) => {
        probe.requests += 1;
        return route.fulfill({ contentType: 'text/javascript', body: CLARITY_STUB });
      });
      await use(probe);
    },
    { auto: true },
  ],
});

export { expect };

/** The consent banner, the preferences dialog, and "Cookie Settings" in the footer. */
/** The site's pages, and with the 404 page: every footer and banner there is. */
export const PAGES = ['/', '/cookie-notice', '/cookie-settings', '/privacy', '/terms', '/acceptable-use'];
export const EVERY_PAGE = [...PAGES, '/no-such-page'];

export const banner = (page: Page) => page.getByRole('region', { name: 'Cookies on Leadistry' });
export const dialog = (page: Page) => page.getByRole('dialog', { name: 'Cookie preferences' });
export const footerSettings = (page: Page) =>
  page.getByRole('contentinfo').getByRole('link', { name: 'Cookie Settings' });

/** The preferences in one click from the footer: the dialog with JavaScript, the page without. */
export async function openPreferences(page: Page) {
  await footerSettings(page).click();
  if (hydratedProject()) {
    await expect(dialog(page)).toBeVisible();
    return dialog(page);
  }
  await expect(page).toHaveURL(/\/cookie-settings$/);
  return page.getByRole('main');
}

/** Withdraws consent from "Cookie Settings": Reject all, and the reload that removes Clarity. */
export async function withdraw(page: Page) {
  const preferences = await openPreferences(page);
  const reload = hydratedProject() ? page.waitForEvent('load') : Promise.resolve();
  await preferences.getByRole('button', { name: 'Reject all' }).click();
  await reload;
}

/** A consent id as the visitor sees it (a UUID), from the cookie's 32 hex digits. */
export const hyphenated = (id: string) =>
  `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;

/** True in the project that runs with JavaScript on. */
export function hydratedProject(): boolean {
  return test.info().project.name === 'hydrated';
}

/** Opens a page. With JavaScript on and the banner showing, the islands load once the
 * browser is idle: wait for that. Otherwise they load on the first use of a control. */
export async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  if (hydratedProject() && (await page.locator('.cookie-banner').count()) > 0) {
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  }
  return response;
}

/** The requests for the consent islands' bundle (its JS and its WASM) a page makes. */
export function bundleRequests(page: Page) {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (/\/pkg\/[^/]+\.(js|wasm)$/.test(new URL(request.url()).pathname)) urls.push(request.url());
  });
  return urls;
}

/** The consent cookie's value, as the server writes it (see `Decision`'s Display and
 * `cookie::sign`): the decision, then its HMAC-SHA256 under the servers' test key. */
export function consentValue(opts: {
  revision?: number;
  decidedAt?: number;
  analytics: boolean;
  method?: 'b' | 's' | 'f';
}): string {
  const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const at = opts.decidedAt ?? Math.floor(Date.now() / 1000) - 60;
  const payload = `2.${opts.revision ?? POLICY_REVISION}.${at}.${id}.${opts.analytics ? 1 : 0}.${opts.method ?? 'b'}`;
  const mac = createHmac('sha256', Buffer.from(CONSENT_KEY, 'base64'))
    .update(`lf_cookie_consent=${payload}`)
    .digest('base64url');
  return `${payload}.${mac}`;
}

export async function setConsentCookie(context: BrowserContext, value: string) {
  await context.addCookies([
    { name: 'lf_cookie_consent', value, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Lax' },
  ]);
}

/** The decision the browser holds, decoded; undefined when there is none. */
export async function storedDecision(context: BrowserContext) {
  const cookie = (await context.cookies()).find((c) => c.name === 'lf_cookie_consent');
  if (!cookie) return undefined;
  const [version, revision, decidedAt, id, analytics, method] = cookie.value.split('.');
  return { version, revision: Number(revision), decidedAt: Number(decidedAt), id, analytics: analytics === '1', method, cookie };
}

export async function cookieNames(context: BrowserContext) {
  return (await context.cookies()).map((c) => c.name);
}

/** The consent log, as an auditor gets it: the server binary's export command. */
export function exportedReceipts(database = process.env.E2E_DATABASE_URL): Record<string, unknown>[] {
  const out = execFileSync(process.env.LEADISTRY_SERVER_BIN!, ['export', '--format', 'jsonl'], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...process.env, DATABASE_URL: database, RUST_LOG: 'error' },
  }).toString();
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
