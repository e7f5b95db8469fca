// A server of a test's own, as end2end/tests/server.ts starts one: a free port, the
// environment of end2end/server-env.ts, its consent log in a temporary SQLite file, and ready
// only once it says on stderr that it listens on that port (so that no other server can pass
// for it).
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** end2end/server-env.ts, the one source of the servers' environment. It is plain
 * JavaScript but for its parameters' types (`(port: number)`), which are dropped here: Node
 * runs no TypeScript. */
async function loadServerEnv() {
  const file = path.join(ROOT, 'end2end', 'server-env.ts');
  const js = readFileSync(file, 'utf8').replace(/\(\s*(\w+)\s*:\s*[\w.[\]| ]+\)/g, '($1)');
  try {
    return await import(`data:text/javascript,${encodeURIComponent(js)}`);
  } catch (error) {
    throw new Error(`could not read ${file} as JavaScript once its parameter types are dropped: ${error.message}`);
  }
}
export const { SERVER_ENV, CLARITY_PROJECT, listeningLine } = await loadServerEnv();

/** The release binary under test: LEADISTRY_SERVER_BIN, as scripts/test exports it, or the
 * default of end2end/playwright.config.ts. */
export function serverBinary() {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target');
  const bin = process.env.LEADISTRY_SERVER_BIN ?? path.join(targetDir, 'release', 'leadistry');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`no server binary at ${bin}: build it (cargo leptos build --release) and set LEADISTRY_SERVER_BIN`);
  }
  return bin;
}

/** A port nothing listens on now: the system's pick for a listener on port 0, closed again. */
export async function freePort() {
  const listener = net.createServer();
  await new Promise((resolve, reject) => listener.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

function answers(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes this test file started, ended if it exits before stopping them itself. */
const children = new Set();
const endChildren = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};
process.on('exit', endChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    endChildren();
    process.exit(1);
  });
}
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export class Server {
  origin = '';
  #process;
  #dir;

  async start() {
    const bin = serverBinary();
    const port = await freePort();
    if (await answers(port)) throw new Error(`port ${port} is taken before the server starts`);
    this.#dir = mkdtempSync(path.join(os.tmpdir(), 'leadistry-engines-'));
    const server = track(
      spawn(bin, [], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...SERVER_ENV,
          LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
          DATABASE_URL: `sqlite://${path.join(this.#dir, 'consent.sqlite')}?mode=rwc`,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    this.#process = server;
    let printed = '';
    server.stderr.on('data', (chunk) => {
      if (printed.length < 65_536) printed += stripVTControlCharacters(chunk.toString());
    });
    const listening = listeningLine(port);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not say "${listening}" in 20 s:\n${printed}`)), 20_000);
      server.stderr.on('data', () => {
        if (printed.includes(listening)) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${signal ?? code}) before it listened:\n${printed}`));
      });
    });
    this.origin = `http://127.0.0.1:${port}`;
    this.printed = () => printed;
  }

  /** SIGTERM, and wait for the exit; then the consent log goes. */
  async stop() {
    const server = this.#process;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
