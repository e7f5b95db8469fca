import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { test } from '@playwright/test';
import { SERVER_ENV, listeningLine } from '../server-env';

/** A port nothing listens on now, below the system's range for the local ports of outgoing
 * connections (from 32768): a port picked in it (as port 0 picks) can be taken by a browser's
 * connection before the server binds it. Something else may take it still: `Server.start`
 * then fails rather than test another server. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    const listener = net.createServer();
    const free = await new Promise<boolean>((resolve) =>
      listener.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)),
    );
    if (free) {
      await new Promise((resolve) => listener.close(resolve));
      return port;
    }
  }
}

/** Whether something accepts connections on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server of a test file's own, so that stopping or limiting it disturbs no other test. It
 * takes a free port at its first start and keeps it across restarts. */
export class Server {
  private process: ChildProcess | undefined;
  private port: number | undefined;

  constructor(private readonly env: Record<string, string> = {}) {}

  get origin(): string {
    if (this.port === undefined) throw new Error('the server has not been started');
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server and returns once it answers, failing unless the server answering is
   * this one: it says on stderr that it listens on the port, and is still running. */
  async start() {
    const port = (this.port ??= await freePort());
    // Something else answering there would pass for this server.
    if (await answers(port)) throw new Error(`port ${port} is taken before the server starts`);
    const server = spawn(process.env.LEADISTRY_SERVER_BIN!, [], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: {
        ...process.env,
        ...SERVER_ENV,
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        DATABASE_URL: process.env.E2E_DATABASE_URL,
        ...this.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.process = server;
    let printed = '';
    // Read to the end, so that the server never blocks on a full pipe.
    server.stderr!.on('data', (chunk: Buffer) => {
      if (printed.length < 65_536) printed += stripVTControlCharacters(chunk.toString());
    });
    const listening = listeningLine(port);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not say "${listening}" in 20 s:\n${printed}`)), 20_000);
      server.stderr!.on('data', () => {
        if (printed.includes(listening)) {
          clearTimeout(timer);
          resolve();
        }
      });
      // 'close' comes after the last of its stderr, so the message has all it said.
      server.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${signal ?? code}) before it listened:\n${printed}`));
      });
    });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${this.origin}/`)).ok) break;
      } catch {
        // not accepting yet
      }
      if (i === 99) throw new Error('the server did not answer');
      await new Promise((r) => setTimeout(r, 100));
    }
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`the server exited after it listened:\n${printed}`);
    }
  }

  async stop() {
    const server = this.process;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
}

/**
 * A server of the calling file's own for each of its tests, on a free port, started before
 * the test and stopped after it. `env` is read per test (a fresh database, say). The test's
 * pages are closed before the server stops: a request they make late (the favicon, which
 * Chromium asks for after the page has loaded) must not meet a server that is gone.
 */
export function ownServer(env: () => Record<string, string> = () => ({})) {
  const own = {} as { server: Server; env: Record<string, string> };
  test.beforeEach(async () => {
    test.skip(!process.env.LEADISTRY_SERVER_BIN, 'needs the release binary (scripts/test sets it)');
    own.env = env();
    own.server = new Server(own.env);
    await own.server.start();
  });
  test.afterEach(async ({ context }) => {
    await context.close();
    await own.server?.stop();
  });
  return own;
}
