// Slow-client bench, against a running server (ADDR, PID): holds HELD connections that each
// sent half a request, loads pages meanwhile, then sends SIGTERM and times the exit.
import net from 'node:net';
import fs from 'node:fs';

const [host, port] = (process.env.ADDR ?? '127.0.0.1:3340').split(':');
const pid = Number(process.env.PID);
const HELD = Number(process.env.HELD ?? 1000);
const PAGES = Number(process.env.PAGES ?? 200);

const connect = () =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) }, () => resolve(socket));
    socket.on('error', reject);
  });

/** One page on a fresh connection: milliseconds until the whole response arrived. */
async function page() {
  const started = performance.now();
  const socket = await connect();
  socket.write(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  let head = '';
  await new Promise((resolve) => {
    socket.on('data', (chunk) => (head ||= chunk.toString().split('\r\n')[0]));
    socket.on('end', resolve);
    socket.on('error', resolve);
  });
  if (!head.startsWith('HTTP/1.1 200')) throw new Error(`page answered ${head}`);
  return performance.now() - started;
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const rss = () => Math.round(Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024);

const quiet = [];
for (let i = 0; i < PAGES; i++) quiet.push(await page());
const rssBefore = rss();
const held = [];
for (let i = 0; i < HELD; i++) {
  const socket = await connect();
  socket.on('error', () => {});
  socket.write(`GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nX-Slow: 1\r\n`);
  held.push(socket);
}
await new Promise((r) => setTimeout(r, 500));
const loud = [];
for (let i = 0; i < PAGES; i++) loud.push(await page());
const rssHeld = rss();
const stopping = performance.now();
process.kill(pid, 'SIGTERM');
while (fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/status`, 'utf8').includes('zombie')) {
  await new Promise((r) => setTimeout(r, 20));
}
const exit = performance.now() - stopping;
held.forEach((s) => s.destroy());

const ms = (x) => `${x.toFixed(2)} ms`;
console.log(`| measure (${PAGES} pages each, one at a time) | value |`);
console.log('|---|---|');
console.log(`| page p50 / p99, no slow clients | ${ms(quantile(quiet, 0.5))} / ${ms(quantile(quiet, 0.99))} |`);
console.log(`| page p50 / p99, ${HELD} half-sent requests open | ${ms(quantile(loud, 0.5))} / ${ms(quantile(loud, 0.99))} |`);
console.log(`| server RSS without / with them | ${rssBefore} / ${rssHeld} MiB |`);
console.log(`| SIGTERM → exit, shutdown-timeout-secs ${process.env.SHUTDOWN} | ${(exit / 1000).toFixed(2)} s |`);
