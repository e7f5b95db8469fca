// Firefox ESR through WebDriver BiDi (puppeteer-core, which launches the browser given and
// never downloads one). Requests are intercepted: the site's own pass, Clarity's tag gets a
// stub, anything else is recorded and aborted: nothing reaches the internet.
import puppeteer from 'puppeteer-core';
import { CLARITY_STUB, ERROR_PROBE, pageFunction, probeErrors, ERRORS_STORAGE_KEY } from './page.mjs';

const FIREFOX = process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr';

/** The run's browser, launched at the first session; each session has a browser context
 * of its own (cookies and storage of its own), closed when the session closes. */
let launched;
function browser() {
  launched ??= puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    protocol: 'webDriverBiDi',
    headless: true,
    // A profile of its own, as puppeteer makes one; no prefetching of links or DNS.
    extraPrefsFirefox: {
      'network.dns.disablePrefetch': true,
      'network.prefetch-next': false,
      'network.http.speculative-parallel-limit': 0,
    },
  });
  return launched;
}

export const firefox = {
  id: 'firefox',
  name: 'Firefox ESR',
  version: null,

  /** A browser context of the test's own, on a page ready to visit `origin`. */
  async open(origin) {
    const shared = await browser();
    firefox.version ??= (await shared.version()).replace(/^firefox\//i, '');
    const context = await shared.createBrowserContext();
    try {
      const page = await context.newPage();
      // The focus, which the newest tab has anyway: without it, Firefox activates no button
      // by keyboard (Enter or Space on a focused <button> does nothing).
      await page.bringToFront();
      await page.setViewport({ width: 1280, height: 800 });
      return await FirefoxSession.create(context, page, origin);
    } catch (error) {
      await context.close().catch(() => {});
      throw error;
    }
  },

  /** Closes the browser (after the last session). */
  async shutdown() {
    if (!launched) return;
    const done = launched;
    launched = undefined;
    await (await done.catch(() => null))?.close();
  },
};

class FirefoxSession {
  /** Clarity's tag loads (the stub answers for it). */
  tagLoads = true;
  external = [];
  clarityTagRequests = 0;
  #errors = [];

  constructor(context, page, origin) {
    this.context = context;
    this.page = page;
    this.origin = origin;
  }

  async #setUp() {
    const { page, origin } = this;
    page.on('console', (message) => {
      if (message.type() === 'error') this.#errors.push(`console: ${message.text()} (${message.location()?.url ?? page.url()})`);
    });
    page.on('pageerror', (error) => this.#errors.push(`pageerror: ${error.message} (${page.url()})`));
    page.on('response', (response) => {
      if (response.url().startsWith(`${origin}/`) && response.status() >= 400) {
        this.#errors.push(`HTTP ${response.status()} for ${response.url()}`);
      }
    });
    page.on('requestfailed', (request) => {
      const reason = request.failure()?.errorText;
      // NS_BINDING_ABORTED: the browser dropped it itself, as it drops a page's favicon
      // still loading when the test moves on to the next page.
      if (request.url().startsWith(`${origin}/`) && reason !== 'NS_BINDING_ABORTED') {
        this.#errors.push(`request failed: ${request.url()} (${reason})`);
      }
    });
    await page.evaluateOnNewDocument(ERROR_PROBE);
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.isInterceptResolutionHandled()) return;
      const url = request.url();
      if (url.startsWith(`${origin}/`) || /^(data|blob|about):/.test(url)) return request.continue();
      this.external.push(url);
      if (/^https:\/\/www\.clarity\.ms\/tag\//.test(url)) {
        this.clarityTagRequests += 1;
        return request.respond({ status: 200, contentType: 'text/javascript', body: CLARITY_STUB });
      }
      return request.abort();
    });
  }

  static async create(context, page, origin) {
    const session = new FirefoxSession(context, page, origin);
    await session.#setUp();
    return session;
  }

  async goto(path) {
    await this.page.goto(`${this.origin}${path}`, { waitUntil: 'load' });
  }

  async reload() {
    await this.page.reload({ waitUntil: 'load' });
  }

  evaluate(fn, ...args) {
    return this.page.evaluate(pageFunction(fn), ...args);
  }

  /** An element a page function finds (null when it finds none). */
  async element(fn, ...args) {
    const handle = await this.page.evaluateHandle(pageFunction(fn), ...args);
    if (handle.asElement()) return handle.asElement();
    await handle.dispose();
    return null;
  }

  async click(element) {
    await element.click();
  }

  async pressEnter() {
    await this.page.keyboard.press('Enter');
  }

  async pressEscape() {
    await this.page.keyboard.press('Escape');
  }

  async cookies() {
    return (await this.context.cookies()).map(({ name, value, httpOnly }) => ({ name, value, httpOnly }));
  }

  async setCookie(name, value) {
    await this.context.setCookie({ name, value, domain: '127.0.0.1', path: '/' });
  }

  /** What went wrong in the pages: the driver's console and error events, failed and
   * erroneous requests to the site, and the probe's records. */
  async errors() {
    let probed = [];
    try {
      if (this.page.url().startsWith(this.origin)) probed = await this.evaluate(probeErrors, ERRORS_STORAGE_KEY);
    } catch (error) {
      probed = [`the probe could not be read: ${error.message}`];
    }
    return [...this.#errors, ...probed];
  }

  /** The calls the Clarity stub recorded in this tab (the queue it took over, and after). */
  claritySignals() {
    return this.evaluate(() => JSON.parse(sessionStorage.getItem('__clarityCalls') || '[]'));
  }

  /** The stub records in sessionStorage: nothing to keep before a reload. */
  async beforeReload() {}

  /** Closes the test's pages with their context. */
  async close() {
    await this.context.close();
  }
}

