import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from '@playwright/test';
import { SERVER_ENV } from '../server-env';

/** A server of a test file's own, so that stopping or limiting it disturbs no other test. */
export class Server {
  private process: ChildProcess | undefined;

  constructor(
    readonly origin: string,
    private readonly env: Record<string, string> = {},
  ) {}

  async start() {
    this.process = spawn(process.env.LEADISTRY_SERVER_BIN!, [], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: {
        ...process.env,
        ...SERVER_ENV,
        LEPTOS_SITE_ADDR: this.origin.replace('http://', ''),
        DATABASE_URL: process.env.E2E_DATABASE_URL,
        ...this.env,
      },
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${this.origin}/`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the server did not start');
  }

  async stop() {
    const server = this.process;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
}

/**
 * A server of the calling file's own for each of its tests, on the project's port, started
 * before the test and stopped after it. `env` is read per test (a fresh database, say).
 */
export function ownServer(ports: { hydrated: number; ssr: number }, env: () => Record<string, string> = () => ({})) {
  const own = {} as { server: Server; env: Record<string, string> };
  test.beforeEach(async () => {
    test.skip(!process.env.LEADISTRY_SERVER_BIN, 'needs the release binary (scripts/test sets it)');
    own.env = env();
    own.server = new Server(`http://127.0.0.1:${ports[test.info().project.name as keyof typeof ports]}`, own.env);
    await own.server.start();
  });
  test.afterEach(() => own.server?.stop());
  return own;
}
