import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
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
