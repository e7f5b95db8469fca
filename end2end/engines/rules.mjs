// The consent rules R1, R2, R6, R7 and R12 of the auditor's list, as end2end/tests/consent.spec.ts
// holds them in Chromium, held in another engine: the same rule code for each (an engine is
// lib/firefox.mjs or lib/webkit.mjs). Every test starts a server of its own and opens a
// browser of its own (a new context of the run's Firefox, with its own cookies and storage; a
// new MiniBrowser), and stops the server only after closing it. Any console error, uncaught
// error, failed resource or CSP violation in a page fails the test that caused it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { Server } from './lib/server.mjs';

const PAGES = ['/', '/cookie-notice', '/cookie-settings', '/privacy', '/terms', '/acceptable-use'];
const GRANTED = ['consentv2', { ad_Storage: 'denied', analytics_Storage: 'granted' }];
const DENIED = ['consentv2', { ad_Storage: 'denied', analytics_Storage: 'denied' }];

/** Polls `fn` until it returns something truthy; fails after `timeout` ms saying what it
 * waited for (and the last error, if the page was between documents). */
async function waitFor(what, fn, timeout = 7_500) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) {
      throw new Error(`waited ${timeout} ms for ${what}${last instanceof Error ? ` (last: ${last.message})` : ''}`);
    }
    await sleep(100);
  }
}

/** The decision in the browser's consent cookie (see `consentValue` in tests/fixtures.ts). */
async function decision(s) {
  const cookie = (await s.cookies()).find((c) => c.name === 'lf_cookie_consent');
  if (!cookie) return undefined;
  const [, , , , analytics] = cookie.value.split('.');
  return { analytics: analytics === '1' };
}

async function cookieNames(s) {
  return (await s.cookies()).map((c) => c.name);
}

const bannerShows = (s) => s.evaluate((h) => h.visible(h.banner()));
const dialogShows = (s) => s.evaluate((h) => h.dialog() !== null);
const clarityScripts = (s) =>
  s.evaluate(() => document.querySelectorAll('script#clarity-loader, script#clarity-early, script[src*="clarity"]').length);

/** Opens a page, as tests/fixtures.ts's `visit` does: with the banner showing, the islands
 * load once the browser is idle, and the page is ready when they have hydrated. */
async function visit(s, path) {
  await s.goto(path);
  assert.equal(await s.evaluate(() => window.__enginesProbe === true), true, `the error probe runs in ${path}`);
  if (await s.evaluate((h) => h.banner() !== null)) {
    await waitFor(`the islands to hydrate ${path}`, () =>
      s.evaluate(() => document.documentElement.getAttribute('data-hydrated') === 'true'),
    );
  }
}

/** The essential cookie a visitor's session holds, script-visible as an app's can be: page
 * code could delete it, so the test sees whether it does. */
async function setToken(s) {
  await s.setCookie('lf_token', 'session-123');
}

async function tokenSurvives(s, when) {
  const token = (await s.cookies()).find((c) => c.name === 'lf_token');
  assert.equal(token?.value, 'session-123', `R12: lf_token is still there after ${when}`);
  assert.match(await s.evaluate(() => document.cookie), /(^|; )lf_token=session-123(;|$)/, `R12: the page still sees lf_token after ${when}`);
}

/** The banner stays away on a reload and on every other page (R7). */
async function remembered(s, choice) {
  await s.reload();
  assert.equal(await bannerShows(s), false, `R7: no banner on reload after ${choice}`);
  for (const path of PAGES) {
    await visit(s, path);
    assert.equal(await bannerShows(s), false, `R7: no banner on ${path} after ${choice}`);
  }
}

export function defineRules(engine) {
  describe(engine.name, () => {
    after(() => engine.shutdown());

    let versionSaid = false;
    /** A test with a server and a browser of its own; it fails on any error in the pages. */
    const rule = (title, body) =>
      test(`${engine.name}: ${title}`, { timeout: 60_000 }, async (t) => {
        const server = new Server();
        await server.start();
        let s;
        try {
          s = await engine.open(server.origin);
          let failure;
          try {
            await body(s, server);
          } catch (error) {
            failure = error;
          }
          const errors = await s.errors();
          if (failure) {
            if (errors.length) failure.message += `\nerrors in the pages:\n  ${errors.join('\n  ')}`;
            throw failure;
          }
          assert.deepEqual(errors, [], 'no console error, uncaught error, failed resource or CSP violation');
          if (!versionSaid) t.diagnostic(`${engine.name} ${engine.version}`);
          versionSaid = true;
        } finally {
          await s?.close();
          await server.stop();
        }
      });

    rule('R1 nothing non-essential before consent, on any page', async (s, server) => {
      for (const path of PAGES) {
        const html = await (await fetch(`${server.origin}${path}`)).text();
        // (The island loader's own code names `clarity-early`, the element it would add after
        // a grant: no element of that name is in the page.)
        assert.ok(!/clarity\.ms/.test(html), `R1: the HTML of ${path} names no Clarity host`);
        assert.ok(!/clarity-loader/.test(html), `R1: the HTML of ${path} holds no Clarity loader`);
        assert.ok(!/<script\b[^>]*clarity/i.test(html), `R1: the HTML of ${path} holds no Clarity <script>`);
        assert.ok(!/type="text\/plain"/.test(html), `R1: the HTML of ${path} holds no script parked as text/plain`);
        await visit(s, path);
        assert.equal(await bannerShows(s), true, `the banner asks on ${path}`);
        assert.equal(await clarityScripts(s), 0, `R1: no Clarity script in the page ${path}`);
        const dom = await s.evaluate(() => document.documentElement.outerHTML);
        assert.ok(!/clarity\.ms/.test(dom), `R1: ${path} as the browser holds it names no Clarity host`);
      }
      await sleep(300);
      const clarity = s.external.filter((request) => /(^|[./])clarity\.ms(:|\/|$)/.test(request));
      assert.deepEqual(clarity, [], 'R1: no request for a clarity.ms host before consent');
      assert.deepEqual(s.external, [], 'R1: no request left the site before consent');
      const names = await cookieNames(s);
      for (const name of ['_clck', '_clsk', 'lf_cookie_consent']) assert.ok(!names.includes(name), `R1: no ${name} cookie before consent`);
    });

    rule('R2 Reject: a <button> like Accept, one click declines; R7 remembered; R12 lf_token kept', async (s) => {
      await visit(s, '/');
      await setToken(s);
      const shape = await s.evaluate((h) => {
        const out = {};
        for (const name of ['Accept', 'Reject']) {
          const button = h.bannerButton(name);
          if (!button) return { missing: name };
          const box = button.getBoundingClientRect();
          const style = getComputedStyle(button);
          out[name] = {
            tag: button.tagName,
            className: button.className,
            visible: h.visible(button),
            box: { x: box.x, y: box.y, width: box.width, height: box.height },
            look: [style.backgroundColor, style.color, style.fontSize, style.fontWeight, style.borderColor].join('|'),
          };
        }
        return out;
      });
      assert.equal(shape.missing, undefined, `R2: the banner has a control named "${shape.missing}"`);
      const { Accept: a, Reject: r } = shape;
      assert.equal(a.tag, 'BUTTON', 'R2: Accept is a <button>');
      assert.equal(r.tag, 'BUTTON', 'R2: Reject is a <button>');
      assert.ok(a.visible && r.visible, 'R2: both show in the first layer');
      assert.ok(a.className !== '', 'R2: Accept has a style class');
      assert.equal(r.className, a.className, 'R2: same style class');
      assert.equal(r.look, a.look, 'R2: same computed look');
      const sizes = `Accept ${JSON.stringify(a.box)}, Reject ${JSON.stringify(r.box)}`;
      assert.ok(Math.abs(a.box.width - r.box.width) <= 2, `R2: same width within 2 px: ${sizes}`);
      assert.ok(Math.abs(a.box.height - r.box.height) <= 2, `R2: same height within 2 px: ${sizes}`);
      assert.ok(Math.abs(a.box.y - r.box.y) <= 2, `R2: side by side (same row): ${sizes}`);
      const apart = a.box.x + a.box.width <= r.box.x + 2 || r.box.x + r.box.width <= a.box.x + 2;
      assert.ok(apart, `R2: side by side (not overlapping): ${sizes}`);

      await s.click(await s.element((h) => h.bannerButton('Reject')));
      await waitFor('the banner to go after one click on Reject', async () => !(await bannerShows(s)));
      const decided = await waitFor('the decision to be stored', () => decision(s));
      assert.equal(decided.analytics, false, 'R2: Reject declined analytics');
      await tokenSurvives(s, 'declining in the banner');

      await remembered(s, 'Reject');
      await tokenSurvives(s, 'declining and browsing on');
      assert.equal((await decision(s))?.analytics, false, 'R7: the refusal is kept');
      assert.equal(s.clarityTagRequests, 0, 'no Clarity after Reject');
      assert.deepEqual(s.external, [], 'no request left the site after Reject');
      assert.equal(await clarityScripts(s), 0, 'no Clarity script after Reject');
    });

    rule("R2 Accept: one click, no reload, Clarity's loader runs; R7 remembered; R6 footer on every page, withdrawal; R12 lf_token kept", async (s) => {
      await visit(s, '/cookie-notice');
      await setToken(s);
      await s.evaluate(() => {
        window.__samePage = true;
      });
      await s.click(await s.element((h) => h.bannerButton('Accept')));
      await waitFor('the banner to go after one click on Accept', async () => !(await bannerShows(s)));
      const decided = await waitFor('the decision to be stored', () => decision(s));
      assert.equal(decided.analytics, true, 'R2: Accept granted analytics');
      await waitFor("Clarity's loader to run on the page", async () => (await clarityScripts(s)) > 0);
      await waitFor("the loader's request for Clarity's tag", () => s.clarityTagRequests >= 1);
      assert.equal(s.clarityTagRequests, 1, 'the tag is requested once');
      assert.equal(await s.evaluate(() => window.__samePage === true), true, 'Accept works without a reload');
      assert.equal(await s.evaluate(() => typeof window.clarity), 'function', 'window.clarity is defined');
      if (s.tagLoads) await waitFor("Clarity's tag (the stub) to run", () => s.evaluate(() => window.__clarityLoaded === true));
      const signal = await waitFor('the consent signal', async () => (await s.claritySignals()).find((call) => call[0] === 'consentv2'));
      assert.deepEqual(signal, GRANTED, 'Clarity is told analytics is granted');

      await remembered(s, 'Accept');
      assert.equal((await decision(s))?.analytics, true, 'R7: the grant is kept');

      // R6: "Cookie Settings" in the footer of every page opens the preferences in one click.
      for (const path of PAGES) {
        await visit(s, path);
        const link = await s.element((h) => h.footerSettings());
        assert.ok(link, `R6: a "Cookie Settings" link in the footer of ${path}`);
        await s.click(link);
        await waitFor(`R6: the preferences dialog to open on ${path} in one click`, () => dialogShows(s));
        assert.equal(await s.evaluate(() => location.pathname), path, `R6: the dialog opens in place on ${path}`);
        await s.pressEscape();
        await waitFor(`the dialog on ${path} to close on Escape`, async () => !(await dialogShows(s)));
      }

      // R6: withdrawing from there, on the last page: Clarity stops, is told, and its cookies go.
      if (s.tagLoads) {
        await waitFor("Clarity's cookies, as its tag writes them", async () => (await cookieNames(s)).includes('_clsk'));
      } else {
        // The real tag cannot load here to write them: they are set as it would.
        await s.setCookie('_clck', 'tag');
        await s.setCookie('_clsk', 'tag');
      }
      const names = await cookieNames(s);
      assert.ok(names.includes('_clck') && names.includes('_clsk'), "Clarity's cookies are there before the withdrawal");
      const tagRequests = s.clarityTagRequests;
      await s.beforeReload();
      await s.evaluate(() => {
        window.__beforeWithdrawal = true;
      });
      await s.click(await s.element((h) => h.footerSettings()));
      await waitFor('R6: the preferences dialog to open', () => dialogShows(s));
      const rejectAll = await s.element((h) => h.one('button', 'Reject all', h.dialog()));
      assert.ok(rejectAll, 'R6: the dialog has "Reject all"');
      await s.click(rejectAll);
      await waitFor('the reload that removes Clarity', () =>
        s.evaluate(() => window.__beforeWithdrawal === undefined && document.readyState === 'complete' && window.__enginesProbe === true),
      );
      await waitFor('R6: the withdrawal to be stored', async () => (await decision(s))?.analytics === false);
      const left = await cookieNames(s);
      assert.ok(!left.includes('_clck') && !left.includes('_clsk'), `R6: _clck and _clsk are deleted (cookies now: ${left.join(', ')})`);
      await tokenSurvives(s, 'withdrawing in the preferences');
      assert.equal(await clarityScripts(s), 0, 'R6: no Clarity script after the withdrawal');
      assert.equal(await s.evaluate(() => typeof window.clarity), 'undefined', 'R6: Clarity no longer runs');
      assert.equal(await s.evaluate(() => window.__clarityLoaded === true), false, 'R6: the tag is gone');
      assert.ok(
        (await s.claritySignals()).some((call) => isDeepStrictEqual(call, DENIED)),
        `R6: Clarity was sent the denied signal (it got: ${JSON.stringify(await s.claritySignals())})`,
      );
      assert.equal(await bannerShows(s), false, 'R7: no banner after the withdrawal either');
      await sleep(300);
      assert.equal(s.clarityTagRequests, tagRequests, 'R6: no request for the tag after the withdrawal');
      assert.deepEqual(
        s.external.filter((request) => !/^(www\.clarity\.ms:443|https:\/\/www\.clarity\.ms\/tag\/)/.test(request)),
        [],
        "no request left the site but for Clarity's tag",
      );
    });

    rule('R2 Accept from the keyboard (focus, Enter) decides', async (s) => {
      await visit(s, '/');
      // First a plain <button> of the test's own, outside the site's code: does this driver's
      // Enter activate a focused button at all? If not, the harness is at fault, not the site
      // (Firefox, for one, activates nothing by keyboard in a tab that lacks the focus).
      const control = await s.element(() => {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'control';
        button.addEventListener('click', () => (button.dataset.clicked = 'yes'));
        document.body.append(button);
        return button;
      });
      await s.evaluate((h, button) => button.focus(), control);
      await s.pressEnter();
      await waitFor('a plain <button> to take Enter (if not, the driver cannot test the keyboard: not a fault of the site)', () =>
        s.evaluate((h, button) => button.dataset.clicked === 'yes', control),
      2_000);
      await s.evaluate((h, button) => button.remove(), control);

      const accept = await s.element((h) => h.bannerButton('Accept'));
      await s.evaluate((h, button) => button.focus(), accept);
      assert.equal(await s.evaluate((h, button) => document.activeElement === button, accept), true, 'Accept has the focus');
      await s.pressEnter();
      await waitFor('the banner to go after Enter on Accept', async () => !(await bannerShows(s)));
      const decided = await waitFor('the decision to be stored', () => decision(s));
      assert.equal(decided.analytics, true, 'Enter on Accept granted analytics');
      await waitFor("the loader's request for Clarity's tag", () => s.clarityTagRequests === 1);
    });
  });
}
