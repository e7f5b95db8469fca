import { defineConfig } from '@playwright/test';
import os from 'node:os';
import path from 'node:path';
import { SERVER_ENV } from './server-env';

const port = Number(process.env.E2E_PORT ?? 3100);
const targetDir = process.env.CARGO_TARGET_DIR ?? path.resolve(__dirname, '..', 'target');
// The test script builds a release and says which binary to run; default to that build.
const server = process.env.LEADISTRY_SERVER_BIN ?? path.join(targetDir, 'release', 'leadistry');
// The consent log of the server under test: PostgreSQL when E2E_DATABASE_URL says so.
process.env.E2E_DATABASE_URL ??= `sqlite://${path.join(os.tmpdir(), `leadistry-e2e-${port}.sqlite`)}?mode=rwc`;
process.env.LEADISTRY_SERVER_BIN ??= server;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
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
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
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
