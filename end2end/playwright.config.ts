import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { SERVER_ENV, listeningLine } from './server-env';

// The port of the server under test: E2E_PORT, or one free now, below the range of outgoing
// connections' ports (tests/server.ts, freePort). Kept in the environment so that the test
// workers, which load this file again, use the same one.
process.env.E2E_PORT ??= execFileSync(process.execPath, [
  '-e',
  `const net = require('net');
   const pick = () => { const port = 20000 + Math.floor(Math.random() * 12768);
     const s = net.createServer().once('error', pick)
       .listen(port, '127.0.0.1', () => { process.stdout.write(String(port)); s.close(); }); };
   pick();`,
]).toString();
const port = Number(process.env.E2E_PORT);
const targetDir = process.env.CARGO_TARGET_DIR ?? path.resolve(__dirname, '..', 'target');
// The test script builds a release and says which binary to run; default to that build.
const server = process.env.LEADISTRY_SERVER_BIN ?? path.join(targetDir, 'release', 'leadistry');
// The consent log of the server under test: PostgreSQL when E2E_DATABASE_URL says so.
process.env.E2E_DATABASE_URL ??= `sqlite://${path.join(os.tmpdir(), `leadistry-e2e-${port}.sqlite`)}?mode=rwc`;
process.env.LEADISTRY_SERVER_BIN ??= server;

export default defineConfig({
  testDir: './tests',
  // The slow-link tests time what a visitor sees on a throttled link, so they run alone, in a
  // pass of their own (E2E_SLOW_LINK=1, one worker), as scripts/test runs them.
  testIgnore: process.env.E2E_SLOW_LINK ? [] : ['**/slowlink.spec.ts'],
  fullyParallel: true,
  // A stray test.only would narrow every run without a word.
  forbidOnly: true,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 7_500 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    { name: 'ssr', use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: server,
    cwd: path.resolve(__dirname, '..'),
    // Ready when the server started here says it listens on the port: a server that was
    // already there cannot pass for it (this one then fails to bind and exits). No `url`:
    // Playwright takes whichever comes first, the URL answering or the line.
    wait: { stderr: new RegExp(listeningLine(port).replace(/[.]/g, '\\.') + '$', 'm') },
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      ...SERVER_ENV,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: process.env.E2E_DATABASE_URL,
    },
  },
});
