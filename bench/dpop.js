#!/usr/bin/env node
// @ts-check
/**
 * The added cost of DPoP (RFC 9449): the same Express app and the same validated JWT (a
 * cache hit after the first request), once presented as a bearer token and once as a
 * DPoP-bound token with a fresh proof per request, so the proof is verified every time
 * (signature, htm/htu, iat, jti replay check, ath, RFC 7638 thumbprint against cnf.jkt). Beside
 * it, on the same app, the hand-written floor (a cached bearer verdict, and a proof check with
 * node:crypto, htm/htu/iat and a jti set), and the CPU cost of one bare node:crypto ES256
 * verification measured in the server process in the same run: the target is tokenguard's
 * added CPU over bearer ≤ 2 × that. All in one run, alternating windows.
 * `node bench/dpop.js [--duration 3] [--rounds 2] [--connections 20]` after `pnpm build`.
 * Proofs are signed before each window, never by the load generator.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  createDpopKey,
  createDpopProof,
  createIdentityServer,
  dpopBinding,
} from '@tokenguard/testing';
import { parseArgs } from './lib/args.js';
import { cannon } from './lib/load.js';

const args = parseArgs(process.argv.slice(2), {
  duration: 'number',
  rounds: 'number',
  connections: 'number',
});
const durationSec = args.duration ?? 3;
const rounds = args.rounds ?? 2;
const connections = args.connections ?? 20;

const idp = await createIdentityServer();
const server = fork(fileURLToPath(new URL('./servers/dpop-express.js', import.meta.url)), [], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
server.send({
  issuer: idp.issuer,
  jwksUri: idp.jwksUri,
  publicKeyPem: idp.publicKey().export({ type: 'spki', format: 'pem' }),
});
const [{ port }] = /** @type {[{ port: number }]} */ (await once(server, 'message'));
const url = `http://127.0.0.1:${port}`;

/** A number the server answers over IPC: its user+system CPU in µs, or a bare ES256 verify's. */
async function ask(/** @type {'cpu' | 'es256'} */ what) {
  server.send(what);
  const [micros] = await once(server, 'message');
  return /** @type {number} */ (micros);
}
const cpu = () => ask('cpu');

const key = await createDpopKey('ES256');
const bearerToken = await idp.mintJwt({ scope: 'read' });
const dpopToken = await idp.mintJwt({ scope: 'read', ...dpopBinding(key) });

/** @param {string} path @param {string[]} headerLines */
function raw(path, headerLines) {
  return {
    requestBuffer: Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n${headerLines.join('')}\r\n`,
    ),
  };
}

/** Enough single-use proofs for one window at a generous rate, for `path` (`/` or `/hw`). */
async function dpopRequests(count, path) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const proof = await createDpopProof(key, {
      method: 'GET',
      url: `${url}${path}`,
      accessToken: dpopToken,
    });
    list.push(raw(path, [`authorization: DPoP ${dpopToken}\r\n`, `dpop: ${proof}\r\n`]));
  }
  return list;
}

async function window(kind, requests) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const cpu0 = await cpu();
  const r = await cannon({ url, connections, durationSec, requests });
  const cpu1 = await cpu();
  const total = r.requests.total;
  return {
    kind,
    rps: total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    cpuPerReq: (cpu1 - cpu0) / Math.max(1, total),
    total,
  };
}

const kinds = /** @type {const} */ (['bearer', 'dpop', 'hw-bearer', 'hw-dpop']);
const bearerRequests = {
  '/': [raw('/', [`authorization: Bearer ${bearerToken}\r\n`])],
  '/hw': [raw('/hw', [`authorization: Bearer ${bearerToken}\r\n`])],
};
// Warm both paths of both routes (JIT, key caches, JWKS) before anything is measured.
await cannon({ url, connections, durationSec: 1, requests: bearerRequests['/'] });
await cannon({ url, connections, durationSec: 1, requests: bearerRequests['/hw'] });
for (const path of ['/', '/hw']) {
  await cannon({ url, connections, durationSec: 1, requests: await dpopRequests(3000, path) });
}
/** @type {Array<Awaited<ReturnType<typeof window>>>} */
const samples = [];
const es256 = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? kinds : [...kinds].reverse();
  for (const kind of order) {
    const path = kind.startsWith('hw') ? '/hw' : '/';
    // Fresh proofs per window: a reused proof is a replay and would be refused.
    const requests = kind.endsWith('dpop')
      ? await dpopRequests(Math.ceil(durationSec * 6000) + 2000, path)
      : bearerRequests[path];
    samples.push(await window(kind, requests));
  }
  es256.push(await ask('es256'));
}

const median = (/** @type {number[]} */ xs) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(
  kinds.map((kind) => {
    const mine = samples.filter((s) => s.kind === kind);
    return [
      kind,
      {
        rps: median(mine.map((s) => s.rps)),
        p50: median(mine.map((s) => s.p50)),
        p99: median(mine.map((s) => s.p99)),
        cpuPerReqUs: median(mine.map((s) => s.cpuPerReq)),
        non2xx: mine.reduce((n, s) => n + s.non2xx, 0),
      },
    ];
  }),
);
/** Per round: DPoP's CPU minus bearer's, for one route; then the median. */
const addedOf = (/** @type {string} */ dpopKind, /** @type {string} */ bearerKind) =>
  median(
    Array.from({ length: rounds }, (_, r) => {
      const d = samples.filter((s) => s.kind === dpopKind)[r];
      const b = samples.filter((s) => s.kind === bearerKind)[r];
      return (d?.cpuPerReq ?? Number.NaN) - (b?.cpuPerReq ?? Number.NaN);
    }),
  );
const added = addedOf('dpop', 'bearer');
const floorAdded = addedOf('hw-dpop', 'hw-bearer');
const bare = median(es256);
const f = (/** @type {number} */ n) => n.toFixed(1);
const row = (/** @type {string} */ label, /** @type {keyof typeof summary} */ k) =>
  `| ${label} | ${f(summary[k].rps)} | ${summary[k].p50} | ${summary[k].p99} | ${f(summary[k].cpuPerReqUs)} | ${summary[k].non2xx} |`;
console.log(`| path | req/s | p50 ms | p99 ms | server CPU µs/req | non-2xx |
|---|---|---|---|---|---|
${row('tokenguard, bearer JWT (cached)', 'bearer')}
${row('tokenguard, DPoP JWT (cached) + proof verified', 'dpop')}
${row('hand-written, bearer JWT (cached)', 'hw-bearer')}
${row('hand-written, DPoP JWT (cached) + proof (node:crypto, htm/htu/iat, jti set)', 'hw-dpop')}

DPoP's added CPU over bearer: tokenguard ${f(added)} µs/request, hand-written floor ${f(floorAdded)} µs/request; one bare node:crypto ES256 verification in the server process, same run: ${f(bare)} µs. tokenguard's added CPU = ${(added / bare).toFixed(2)} × a bare ES256 verification (target ≤ 2), ${(added / floorAdded).toFixed(2)} × the hand-written floor's (${connections} connections, ${rounds} × ${durationSec} s windows per path, Node ${process.version}).`);
if (kinds.some((k) => summary[k].non2xx > 0)) {
  console.error('non-2xx answers: the figures are not valid');
  process.exitCode = 1;
}
server.kill();
await idp.close();
