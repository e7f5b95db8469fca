import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test, expect, hydratedProject, storedDecision, banner } from './fixtures';

// A server of this file's own, so that stopping it disturbs no other test.
const PORTS = { hydrated: 3101, ssr: 3102 } as const;

test.describe.configure({ mode: 'serial' });

let server: ChildProcess | undefined;

function origin() {
  return `http://127.0.0.1:${PORTS[test.info().project.name as keyof typeof PORTS]}`;
}

async function start() {
  const bin = process.env.LEADISTRY_SERVER_BIN!;
  server = spawn(bin, [], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: origin().replace('http://', ''),
      RUST_LOG: 'warn',
      LEADISTRY_CLARITY_PROJECT_ID: 'e2etest123',
      DATABASE_URL: process.env.E2E_DATABASE_URL,
    },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${origin()}/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}

async function stop() {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server!.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}

test.beforeEach(async () => {
  test.skip(!process.env.LEADISTRY_SERVER_BIN, 'needs the release binary (scripts/test sets it)');
  await start();
});
test.afterEach(stop);

test('restarting the server during a visit loses nothing', async ({ page, context, consoleErrors }) => {
  // A late request (the favicon, say) may meet the server while it is down.
  consoleErrors.expect(/ERR_CONNECTION_REFUSED/);
  await page.goto(`${origin()}/`);
  if (hydratedProject()) await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page)).toBeHidden();
  const saved = await storedDecision(context);
  await stop();
  await start();
  await page.goto(`${origin()}/cookie-notice`);
  await expect(banner(page)).toBeHidden();
  expect((await storedDecision(context))?.id).toBe(saved?.id);
  await expect(page.locator('script#clarity-loader')).toHaveCount(1);
});

test('a save while the server is down says so, keeps the old state and loads nothing', async ({ page, context, clarity, consoleErrors }) => {
  test.skip(!hydratedProject(), 'without JavaScript the browser shows its own error page');
  consoleErrors.expect(/ERR_CONNECTION_REFUSED|Failed to fetch|Failed to load resource/);
  await page.goto(`${origin()}/`);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await stop();
  await banner(page).getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(banner(page).getByRole('alert')).toContainText('could not be saved');
  await expect(banner(page)).toBeVisible();
  expect(await storedDecision(context)).toBeUndefined();
  expect(clarity.requests).toBe(0);
});
