#!/usr/bin/env node
// The consent rules R1, R2, R6, R7 and R12 in the engines of Firefox and Safari: Firefox ESR
// (WebDriver BiDi) and WebKitGTK (WebKitWebDriver and MiniBrowser), Debian's packages, with
// nothing downloaded at run time. Run from anywhere:
//
//   LEADISTRY_SERVER_BIN=…/release/leadistry node end2end/engines/run.mjs
//
// ENGINES=firefox or ENGINES=webkit runs one engine. Each engine's tests run in a process of
// their own, the two engines side by side. Exits non-zero on any failure, and ends with a
// list of what failed in which engine.
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import { serverBinary } from './lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const known = ['firefox', 'webkit'];
const engines = (process.env.ENGINES ?? known.join(',')).split(',').filter(Boolean);
for (const engine of engines) {
  if (!known.includes(engine)) {
    console.error(`unknown engine "${engine}" in ENGINES (known: ${known.join(', ')})`);
    process.exit(2);
  }
}

// One clear message rather than one failure per test.
try {
  serverBinary();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const started = Date.now();
const failed = [];
let passed = 0;
const stream = run({
  files: engines.map((engine) => path.join(here, `${engine}.test.mjs`)),
  concurrency: engines.length,
});
const skipped = [];
stream.on('test:pass', (event) => {
  if (event.details?.type === 'suite') return;
  if (event.skip !== undefined) skipped.push(`${event.name}\n      ${event.skip}`);
  else passed += 1;
});
stream.on('test:fail', (event) => {
  if (event.details?.type === 'suite') return;
  const error = event.details?.error;
  const cause = error?.cause ?? error;
  failed.push(`${event.name}\n      ${String(cause?.message ?? cause).split('\n').join('\n      ')}`);
});
const report = stream.compose(new spec());
report.pipe(process.stdout, { end: false });
report.on('end', () => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed.length) {
    console.log(`\nconsent rules in other engines: FAILED\n  ${failed.join('\n  ')}`);
  }
  if (skipped.length) console.log(`\nskipped:\n  ${skipped.join('\n  ')}`);
  console.log(`\nconsent rules in ${engines.join(' and ')}: ${seconds} s`);
  // The closing line the project's CI reads.
  console.log(`engines: ${passed} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
  process.exitCode = failed.length || passed === 0 ? 1 : 0;
});
