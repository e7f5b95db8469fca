// WebKitGTK: WebKitWebDriver (classic W3C WebDriver over HTTP, through selenium-webdriver
// given the driver's URL, so that nothing is looked up or fetched) driving MiniBrowser on an
// X server of the run's own (Xvfb).
//
// Classic WebDriver intercepts no request and reports no console message (MiniBrowser's
// automation sessions are ephemeral, and WebKit writes no console message of an ephemeral
// page to stdout). So every request of the browser goes through a proxy the test runs:
// - to the site under test, it is passed on, and each page gets the error probe (page.mjs)
//   first in its <head>, as a same-origin script the page's CSP allows ('self');
// - to any other host (a CONNECT to www.clarity.ms:443, say), it is recorded and refused:
//   nothing reaches the internet, and the record says what the page asked for.
// The proxy is set with MiniBrowser's own --proxy, not with the W3C `proxy` capability: given
// that, WebKitGTK 2.50 sends plain http to the proxy but opens https with a TLS handshake to
// the proxy itself instead of a CONNECT naming the host ("An unexpected TLS packet was
// received"), so the proxy could not tell which host an https request was for.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Builder, Key } from 'selenium-webdriver';
import { CLARITY_PROJECT, freePort, track } from './server.mjs';
import { ERROR_PROBE, ERRORS_STORAGE_KEY, pageFunction, probeErrors } from './page.mjs';

const PROBE_PATH = '/__engines-error-probe.js';

function miniBrowser() {
  if (process.env.MINIBROWSER_BIN) return process.env.MINIBROWSER_BIN;
  for (const lib of ['/usr/lib', ...readdirSync('/usr/lib').map((dir) => path.join('/usr/lib', dir))]) {
    let dirs = [];
    try {
      dirs = readdirSync(lib).filter((dir) => /^webkit2?gtk-[\d.]+$/.test(dir));
    } catch {
      continue;
    }
    for (const dir of dirs) {
      const bin = path.join(lib, dir, 'MiniBrowser');
      if (existsSync(bin)) return bin;
    }
  }
  throw new Error('no MiniBrowser: install Debian\'s webkit2gtk-driver (scripts/setup.sh test)');
}

/** The run's X server and WebDriver service, started at the first session. */
let shared;
async function service() {
  shared ??= (async () => {
    const xvfb = track(
      spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      }),
    );
    let xvfbSaid = '';
    xvfb.stderr.on('data', (chunk) => (xvfbSaid += chunk));
    const display = await new Promise((resolve, reject) => {
      xvfb.stdio[3].once('data', (data) => resolve(`:${data.toString().trim()}`));
      xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${xvfbSaid}`)));
      xvfb.once('error', reject);
    });
    const port = await freePort();
    const driver = track(
      spawn('WebKitWebDriver', [`--port=${port}`, '--host=local'], {
        env: { ...process.env, DISPLAY: display },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let driverSaid = '';
    driver.stderr.on('data', (chunk) => (driverSaid += chunk));
    driver.once('error', (error) => (driverSaid += error.message));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/status`)).ok) break;
      } catch {
        // not listening yet
      }
      if (driver.exitCode !== null || i === 100) throw new Error(`WebKitWebDriver did not start: ${driverSaid}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { xvfb, driver, url };
  })();
  return shared;
}

export const webkit = {
  id: 'webkit',
  name: 'WebKitGTK',
  version: null,

  async open(origin) {
    const { url } = await service();
    const proxy = await Proxy.start(origin);
    let driver;
    try {
      driver = await new Builder()
        .usingServer(url)
        .disableEnvironmentOverrides()
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': {
            binary: miniBrowser(),
            args: ['--automation', `--proxy=http://127.0.0.1:${proxy.port}`],
          },
        })
        .build();
      webkit.version ??= (await driver.getCapabilities()).get('browserVersion');
      await driver.manage().window().setRect({ width: 1280, height: 800 });
    } catch (error) {
      await driver?.quit().catch(() => {});
      await proxy.close();
      throw error;
    }
    return new WebKitSession(driver, proxy, origin);
  },

  /** Ends the X server and the driver service (after the last session). */
  async shutdown() {
    if (!shared) return;
    const { xvfb, driver } = await shared.catch(() => ({}));
    shared = undefined;
    for (const child of [driver, xvfb]) {
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  },
};

/** The proxy every request of a session goes through (see the top of this file). */
class Proxy {
  /** Hosts other than the site's that were asked for, in order ("www.clarity.ms:443"). */
  external = [];
  errors = [];

  static async start(origin) {
    const proxy = new Proxy();
    const site = new URL(origin);
    proxy.server = http.createServer((request, response) => {
      let url;
      try {
        url = new URL(request.url);
      } catch {
        proxy.errors.push(`the proxy got a request it cannot place: ${request.method} ${request.url}`);
        response.writeHead(400).end();
        return;
      }
      if (url.origin !== origin) {
        proxy.external.push(url.host);
        response.writeHead(502).end();
        return;
      }
      if (url.pathname === PROBE_PATH) {
        response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(ERROR_PROBE);
        return;
      }
      proxy.#forward(site, url, request, response);
    });
    proxy.server.on('connect', (request, socket) => {
      proxy.external.push(request.url);
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = proxy.server.address().port;
    return proxy;
  }

  #forward(site, url, request, response) {
    const headers = { ...request.headers };
    // Uncompressed, so that the probe can go into pages; no hop-by-hop headers.
    for (const name of ['accept-encoding', 'proxy-connection', 'proxy-authorization', 'connection', 'keep-alive']) delete headers[name];
    const upstream = http.request(
      { host: site.hostname, port: site.port, method: request.method, path: url.pathname + url.search, headers },
      (answer) => {
        if (answer.statusCode >= 400) this.errors.push(`HTTP ${answer.statusCode} for ${url.href}`);
        const out = { ...answer.headers };
        delete out.connection;
        delete out['keep-alive'];
        if (!String(answer.headers['content-type'] ?? '').startsWith('text/html')) {
          response.writeHead(answer.statusCode, out);
          answer.pipe(response);
          return;
        }
        const chunks = [];
        answer.on('data', (chunk) => chunks.push(chunk));
        answer.on('end', () => {
          let injected = false;
          const html = Buffer.concat(chunks)
            .toString('utf8')
            .replace(/<head(\s[^>]*)?>/i, (head) => {
              injected = true;
              return `${head}<script src="${PROBE_PATH}"></script>`;
            });
          if (!injected && request.method !== 'HEAD') this.errors.push(`no <head> to put the error probe in: ${url.href}`);
          delete out['transfer-encoding'];
          out['content-length'] = Buffer.byteLength(html);
          response.writeHead(answer.statusCode, out).end(request.method === 'HEAD' ? undefined : html);
        });
      },
    );
    upstream.on('error', (error) => {
      this.errors.push(`the site did not answer ${url.href}: ${error.message}`);
      response.destroy();
    });
    request.pipe(upstream);
  }

  async close() {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** What the failing Clarity tag leaves in the error probe: refused on purpose (the real tag
 * cannot load without the internet), so the one expected record. */
const TAG_LOAD_FAILURE = `failed to load: https://www.clarity.ms/tag/${CLARITY_PROJECT} (`;

class WebKitSession {
  /** Clarity's tag cannot load (the proxy refuses every host but the site). */
  tagLoads = false;

  constructor(driver, proxy, origin) {
    this.driver = driver;
    this.proxy = proxy;
    this.origin = origin;
  }

  get external() {
    return this.proxy.external;
  }

  /** Requests for Clarity's tag: CONNECTs to its host (the only way https goes out). */
  get clarityTagRequests() {
    return this.proxy.external.filter((host) => host === 'www.clarity.ms:443').length;
  }

  async goto(path) {
    await this.driver.get(`${this.origin}${path}`);
  }

  async reload() {
    await this.driver.navigate().refresh();
  }

  evaluate(fn, ...args) {
    return this.driver.executeScript(pageFunction(fn), ...args);
  }

  async element(fn, ...args) {
    return (await this.evaluate(fn, ...args)) ?? null;
  }

  /** A user's click: scrolled to first. WebKitWebDriver scrolls an element into view itself,
   * but the site scrolls smoothly (`scroll-behavior: smooth`), and the driver checks that the
   * element is in view before the animation has brought it there: a link below the fold
   * (the footer's) is then "not interactable". */
  async click(element) {
    await this.driver.executeScript((el) => el.scrollIntoView({ block: 'center', behavior: 'instant' }), element);
    await element.click();
  }

  async pressEnter() {
    await this.driver.actions({ async: true }).sendKeys(Key.ENTER).perform();
  }

  async pressEscape() {
    await this.driver.actions({ async: true }).sendKeys(Key.ESCAPE).perform();
  }

  async cookies() {
    return (await this.driver.manage().getCookies()).map(({ name, value, httpOnly }) => ({ name, value, httpOnly }));
  }

  /** A host-only cookie of the site (the page must be on it). */
  async setCookie(name, value) {
    await this.driver.manage().addCookie({ name, value, path: '/' });
  }

  async errors() {
    let probed = [];
    try {
      if ((await this.driver.getCurrentUrl()).startsWith(this.origin)) probed = await this.evaluate(probeErrors, ERRORS_STORAGE_KEY);
    } catch (error) {
      probed = [`the probe could not be read: ${error.message}`];
    }
    return [...this.proxy.errors, ...probed.filter((text) => !text.startsWith(TAG_LOAD_FAILURE))];
  }

  /** Clarity's queue as the loader builds it (the tag, which would take it over, cannot load
   * here), with what `beforeReload` kept of it from the page before. */
  claritySignals() {
    return this.evaluate(() => [
      ...JSON.parse(sessionStorage.getItem('__clarityQueue') || '[]'),
      ...Array.from((window.clarity && window.clarity.q) || [], (call) => Array.from(call)),
    ]);
  }

  /** Keeps Clarity's queue past the page's unloading (a withdrawal reloads the page). */
  async beforeReload() {
    await this.evaluate(() =>
      addEventListener('pagehide', () =>
        sessionStorage.setItem(
          '__clarityQueue',
          JSON.stringify(Array.from((window.clarity && window.clarity.q) || [], (call) => Array.from(call))),
        ),
      ),
    );
  }

  async close() {
    try {
      await this.driver.quit();
    } finally {
      await this.proxy.close();
    }
  }
}
