import fs from 'node:fs';
import path from 'node:path';
import { test, expect, visit, hydratedProject } from './fixtures';

const PAGES = [
  { path: '/', title: 'Inbound leads, captured and routed · Leadistry', h1: /Every inbound lead/ },
  { path: '/cookie-notice', title: 'Cookie Notice · Leadistry', h1: 'Cookie Notice' },
  { path: '/cookie-settings', title: 'Cookie Settings · Leadistry', h1: 'Cookie Settings' },
  { path: '/privacy', title: 'Privacy Notice · Leadistry', h1: 'Privacy Notice' },
  { path: '/terms', title: 'Terms of Service · Leadistry', h1: 'Terms of Service' },
  { path: '/acceptable-use', title: 'Acceptable Use Policy · Leadistry', h1: 'Acceptable Use Policy' },
];

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

test.describe('pages', () => {
  for (const p of PAGES) {
    test(`${p.path} answers 200 with its title in the server HTML`, async ({ request }) => {
      const response = await request.get(p.path);
      expect(response.status()).toBe(200);
      const html = await response.text();
      expect(html).toContain(`<title>${p.title}</title>`);
      expect(response.headers()['content-type']).toContain('text/html');
    });

    test(`${p.path} renders inside the site layout`, async ({ page }) => {
      await visit(page, p.path);
      await expect(page).toHaveTitle(p.title);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(p.h1);
      await expect(page.getByRole('banner').getByRole('link', { name: 'Leadistry' })).toBeVisible();
      const footer = page.getByRole('contentinfo');
      await expect(footer.getByRole('link', { name: 'Cookie Settings' })).toBeVisible();
      for (const name of ['Cookie Notice', 'Privacy Notice', 'Terms of Service', 'Acceptable Use Policy']) {
        await expect(footer.getByRole('link', { name })).toBeVisible();
      }
    });
  }

  test('an unknown path is a real 404 page inside the layout', async ({ page, request }) => {
    const response = await request.get('/no-such-page');
    expect(response.status()).toBe(404);
    expect(await response.text()).toContain('<title>Page not found · Leadistry</title>');
    const navigated = await page.goto('/no-such-page');
    expect(navigated?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
    await expect(page.getByRole('contentinfo')).toBeVisible();
  });

  test('the related documents say they are to be supplied by Leadistry', async ({ page }) => {
    for (const slug of ['privacy', 'terms', 'acceptable-use']) {
      await visit(page, `/${slug}`);
      await expect(page.getByRole('main')).toContainText('maintained by Leadistry and is to be supplied');
    }
  });
});

test.describe('cookie notice', () => {
  const seed = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'cookie-notice.txt'), 'utf8');

  test('contains every sentence of the Cookie Notice', async ({ page }) => {
    await visit(page, '/cookie-notice');
    const text = squash(await page.getByRole('main').innerText());
    const prose = seed.split('\n').filter((line) => line.trim() && !line.startsWith('|'));
    expect(prose.length).toBeGreaterThan(10);
    for (const line of prose) {
      for (const sentence of line.split(/(?<=[.?])\s+/)) {
        expect(text, 'notice text').toContain(squash(sentence));
      }
    }
    await expect(page.getByText('Last updated: March 2026.')).toBeVisible();
  });

  test('its table has one row per catalog category, with the notice cells', async ({ page }) => {
    await visit(page, '/cookie-notice');
    const rows = page.locator('.cookie-table tbody tr');
    await expect(rows).toHaveCount(2);
    const seedRows = seed
      .split('\n')
      .filter((l) => l.startsWith('|') && !l.startsWith('|---') && !l.includes('Cookie type'))
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(seedRows).toHaveLength(2);
    for (const [i, cells] of seedRows.entries()) {
      const rendered = rows.nth(i).locator('th, td');
      await expect(rendered).toHaveText(cells);
    }
    await expect(rows.nth(0)).toHaveAttribute('data-category', 'essential');
    await expect(rows.nth(1)).toHaveAttribute('data-category', 'analytics');
  });

  test('has proper headings', async ({ page }) => {
    await visit(page, '/cookie-notice');
    await expect(page.getByRole('main').getByRole('heading', { level: 2 })).toHaveText([
      'What are cookies?',
      'How Leadistry uses cookies',
      'Microsoft Clarity',
      'Essential cookies',
      'Your choices',
      'Browser settings',
      'Changes to this notice',
      'Related',
    ]);
  });
});

test.describe('navigation', () => {
  test('every page is reachable by links, with or without JavaScript', async ({ page }) => {
    await visit(page, '/');
    const footer = page.getByRole('contentinfo');
    for (const [name, url, h1] of [
      ['Cookie Notice', '/cookie-notice', 'Cookie Notice'],
      ['Privacy Notice', '/privacy', 'Privacy Notice'],
      ['Terms of Service', '/terms', 'Terms of Service'],
      ['Acceptable Use Policy', '/acceptable-use', 'Acceptable Use Policy'],
    ]) {
      await footer.getByRole('link', { name }).click();
      await expect(page).toHaveURL(url);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(h1);
    }
    await page.getByRole('banner').getByRole('link', { name: 'Leadistry' }).click();
    await expect(page).toHaveURL('/');
  });

  test('the page hydrates: client code marks <html>', async ({ page }) => {
    test.skip(!hydratedProject(), 'needs JavaScript');
    await visit(page, '/');
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  });

  test('without JavaScript nothing is marked hydrated', async ({ page }) => {
    test.skip(hydratedProject(), 'checks the JavaScript-off project');
    await page.goto('/');
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  });
});

test.describe('server', () => {
  test('the stylesheet is in the page; the bundle is hashed, compressed and cached for a long time', async ({ request }) => {
    const html = await (await request.get('/')).text();
    expect(html, 'no stylesheet request holds the first paint back').toMatch(/<style>:root\{/);
    expect(html).not.toContain('rel="stylesheet"');
    const js = html.match(/"(\/pkg\/leadistry\.[\w-]+\.js)"/)?.[1];
    const wasm = html.match(/"(\/pkg\/leadistry\.[\w-]+\.wasm)"/)?.[1];
    expect(js, 'the loader names the bundle').toBeTruthy();
    expect(wasm, 'the loader names the bundle').toBeTruthy();
    for (const asset of [js!, wasm!]) {
      const response = await request.get(asset, { headers: { 'Accept-Encoding': 'br, gzip' } });
      expect(response.status()).toBe(200);
      expect(response.headers()['content-encoding']).toMatch(/br|gzip/);
      expect(response.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  });

  test('pages are private to the visitor and compressed', async ({ request }) => {
    const response = await request.get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(response.headers()['cache-control']).toBe('private, no-cache');
    expect(response.headers()['content-encoding']).toBe('gzip');
  });
});
