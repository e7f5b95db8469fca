// What runs inside the pages, the same in both engines: finding controls by role and name
// (as Playwright's getByRole does, for the few roles the rules need), the error probe, and
// the stand-in for Clarity's tag.

/** Helpers the page-side functions get as their first argument (see `pageFunction`). */
function helpers() {
  const norm = (text) => (text ?? '').replace(/\s+/g, ' ').trim();
  // The accessible name, for the ways these pages name things.
  const name = (el) => {
    const ids = el.getAttribute('aria-labelledby');
    if (ids) return norm(ids.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' '));
    const label = el.getAttribute('aria-label');
    if (label) return norm(label);
    if (el.tagName === 'INPUT') return norm(el.value);
    return norm(el.textContent);
  };
  const ROLES = {
    region: 'section[aria-label], section[aria-labelledby], [role="region"]',
    dialog: 'dialog, [role="dialog"]',
    button: 'button, input[type="submit"], input[type="button"], [role="button"]',
    link: 'a[href], [role="link"]',
    contentinfo: 'footer, [role="contentinfo"]',
  };
  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    if (el.checkVisibility) return el.checkVisibility({ visibilityProperty: true });
    return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const all = (role, scope = document) =>
    [...scope.querySelectorAll(ROLES[role])].filter(
      (el) =>
        role !== 'contentinfo' ||
        el.getAttribute('role') === 'contentinfo' ||
        !el.parentElement.closest('article, aside, main, nav, section'),
    );
  const named = (role, wanted, scope = document) => all(role, scope).filter((el) => name(el) === wanted);
  const one = (role, wanted, scope = document) => {
    const found = named(role, wanted, scope);
    if (found.length > 1) throw new Error(`${found.length} elements of role ${role} named "${wanted}"`);
    return found[0] ?? null;
  };
  const banner = () => one('region', 'Cookies on Leadistry');
  const bannerButton = (wanted) => {
    const region = banner();
    return region && one('button', wanted, region);
  };
  const dialog = () => named('dialog', 'Cookie preferences').find(visible) ?? null;
  const footerSettings = () => {
    const links = all('contentinfo').flatMap((footer) => named('link', 'Cookie Settings', footer));
    if (links.length > 1) throw new Error(`${links.length} "Cookie Settings" links in the footer`);
    return links[0] ?? null;
  };
  return { norm, name, visible, all, named, one, banner, bannerButton, dialog, footerSettings };
}

/** `fn(h, ...args)` as a function of `...args` alone that both drivers can send to a page
 * (each sends a function's source): `h` is `helpers()`. */
export function pageFunction(fn) {
  return new Function('...args', `const h = (${helpers})();\nreturn (${fn}).apply(null, [h, ...args]);`);
}

const ERRORS_KEY = '__enginesErrors';

/** Records what goes wrong in a page in its tab's sessionStorage, so that it outlives reloads
 * and navigation: console errors, uncaught errors and rejections, resources that failed to
 * load, and Content-Security-Policy violations. Runs before any of the page's scripts (a
 * preload script in Firefox; in WebKit the test's proxy puts it first in <head>). */
export const ERROR_PROBE = `(() => {
  let storage;
  try { storage = window.sessionStorage; } catch { return; }
  if (!storage || window.__enginesProbe) return;
  window.__enginesProbe = true;
  const record = (text) => {
    try {
      const list = JSON.parse(storage.getItem(${JSON.stringify(ERRORS_KEY)}) || '[]');
      list.push(text + ' (' + location.pathname + ')');
      storage.setItem(${JSON.stringify(ERRORS_KEY)}, JSON.stringify(list));
    } catch {}
  };
  const error = console.error;
  console.error = function (...args) {
    record('console.error: ' + args.map(String).join(' '));
    return error.apply(this, args);
  };
  addEventListener('error', (e) => {
    const el = e.target;
    if (el && el !== window && (el.src || el.href)) record('failed to load: ' + (el.src || el.href));
    else record('uncaught: ' + e.message);
  }, true);
  addEventListener('unhandledrejection', (e) => record('unhandled rejection: ' + (e.reason && e.reason.stack || e.reason)));
  document.addEventListener('securitypolicyviolation', (e) => record('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));
})();`;

/** The probe's records so far in this tab, as a page function (the page must be on the site). */
export const probeErrors = (h, key) => JSON.parse(sessionStorage.getItem(key) || '[]');
export const ERRORS_STORAGE_KEY = ERRORS_KEY;

/** Stands in for Clarity's tag in Firefox, as end2end/tests/fixtures.ts's does: replays the
 * queue the loader built, records every call (in sessionStorage, which the reload of a
 * withdrawal keeps), and writes Clarity's first-party cookies as the real tag does. */
export const CLARITY_STUB = `(function () {
  var queue = (window.clarity && window.clarity.q) || [];
  var record = function (args) {
    var calls = JSON.parse(sessionStorage.getItem('__clarityCalls') || '[]');
    calls.push(args);
    sessionStorage.setItem('__clarityCalls', JSON.stringify(calls));
  };
  window.clarity = function () { record(Array.prototype.slice.call(arguments)); };
  for (var i = 0; i < queue.length; i++) window.clarity.apply(null, Array.prototype.slice.call(queue[i]));
  document.cookie = '_clck=stub; Path=/; Max-Age=31536000';
  document.cookie = '_clsk=stub; Path=/; Max-Age=86400';
  window.__clarityLoaded = true;
})();`;
