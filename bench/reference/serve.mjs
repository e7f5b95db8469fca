// Serves the reference page, a page of "another site" for the bench to arrive from (at
// /elsewhere, to be opened as http://localhost:<port>), and vanilla-cookieconsent's dist files from end2end/node_modules,
// on 127.0.0.1 only. Each file is compressed once at start-up (brotli 11, gzip 9), so byte
// counts compare with a server that sends precompressed assets.
// Usage: node bench/reference/serve.mjs [port]   (default 3330; run `npm ci` in end2end/ first)
import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';

const port = Number(process.argv[2] ?? 3330);
const here = (name) => new URL(name, import.meta.url);
const dist = (name) => new URL(`../../end2end/node_modules/vanilla-cookieconsent/dist/${name}`, import.meta.url);
const HTML = 'text/html; charset=utf-8', CSS = 'text/css; charset=utf-8', JS = 'text/javascript; charset=utf-8';

const routes = {
  '/': [here('index.html'), HTML],
  '/elsewhere': [here('elsewhere.html'), HTML],
  '/site.css': [here('site.css'), CSS],
  '/cc/cookieconsent.css': [dist('cookieconsent.css'), CSS],
  '/cc/cookieconsent.umd.js': [dist('cookieconsent.umd.js'), JS],
};
const assets = new Map(Object.entries(routes).map(([path, [file, type]]) => {
  const identity = fs.readFileSync(file);
  const br = zlib.brotliCompressSync(identity, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: identity.length } });
  return [path, { type, br, gzip: zlib.gzipSync(identity, { level: 9 }), identity }];
}));

// True if the Accept-Encoding header lists the coding without q=0.
const accepts = (header = '', coding) => header.split(',').some((part) => {
  const [name, ...params] = part.split(';').map((s) => s.trim());
  return name.toLowerCase() === coding && !params.some((p) => /^q=0(\.0*)?$/.test(p));
});

http.createServer((req, res) => {
  const asset = assets.get(req.url.split('?')[0]);
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405, { Allow: 'GET, HEAD' }).end();
  if (!asset) return res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
  const coding = ['br', 'gzip'].find((c) => accepts(req.headers['accept-encoding'], c)) ?? 'identity';
  const body = asset[coding];
  res.writeHead(200, {
    'Content-Type': asset.type,
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    Vary: 'Accept-Encoding',
    ...(coding === 'identity' ? {} : { 'Content-Encoding': coding }),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}).listen(port, '127.0.0.1', () => console.log(`reference page on http://127.0.0.1:${port}/`));
