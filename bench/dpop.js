#!/usr/bin/env node
// @ts-check
/**
 * The added cost of DPoP (RFC 9449): the same Express app and the same validated JWT (a
 * cache hit after the first request), once presented as a bearer token and once as a
 * DPoP-bound token with a fresh proof per request, so the proof is verified every time
 * (signature, htm/htu, iat, jti replay check, ath, RFC 7638 thumbprint). Both in one run,
 * alternating windows. `node bench/dpop.js [--duration 3] [--rounds 2] [--connections 20]`
 * after `pnpm build`. Proofs are signed before each window, never by the load generator.
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
server.send({ issuer: idp.issuer, jwksUri: idp.jwksUri });
const [{ port }] = /** @type {[{ port: number }]} */ (await once(server, 'message'));
const url = `http://127.0.0.1:${port}`;

/** The server's user+system CPU in µs, asked over IPC. */
async function cpu() {
  server.send('cpu');
  const [micros] = await once(server, 'message');
  return /** @type {number} */ (micros);
}

const key = await createDpopKey('ES256');
const bearerToken = await idp.mintJwt({ scope: 'read' });
const dpopToken = await idp.mintJwt({ scope: 'read', ...dpopBinding(key) });

/** @param {string[]} headerLines */
function raw(headerLines) {
  return {
    requestBuffer: Buffer.from(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n${headerLines.join('')}\r\n`,
    ),
  };
}

/** Enough single-use proofs for one window at a generous rate. */
async function dpopRequests(count) {
  const list = [];
  for (let i = 0; i < count; i++) {
    const proof = await createDpopProof(key, {
      method: 'GET',
      url: `${url}/`,
      accessToken: dpopToken,
    });
    list.push(raw([`authorization: DPoP ${dpopToken}\r\n`, `dpop: ${proof}\r\n`]));
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

const bearerRequests = [raw([`authorization: Bearer ${bearerToken}\r\n`])];
// Warm both paths (JIT, key cache, JWKS) before anything is measured.
await cannon({ url, connections, durationSec: 1, requests: bearerRequests });
const samples = [];
for (let round = 0; round < rounds; round++) {
  samples.push(await window('bearer', bearerRequests));
  // Fresh proofs per window: a reused proof is a replay and would be refused.
  const proofs = await dpopRequests(Math.ceil(durationSec * 6000) + 2000);
  samples.push(await window('dpop', proofs));
}

const median = (/** @type {number[]} */ xs) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.fromEntries(
  ['bearer', 'dpop'].map((kind) => {
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
const f = (/** @type {number} */ n) => n.toFixed(1);
console.log(`| path | req/s | p50 ms | p99 ms | server CPU µs/req | non-2xx |
|---|---|---|---|---|---|
| bearer JWT (cached) | ${f(summary.bearer.rps)} | ${summary.bearer.p50} | ${summary.bearer.p99} | ${f(summary.bearer.cpuPerReqUs)} | ${summary.bearer.non2xx} |
| DPoP JWT (cached) + proof verified | ${f(summary.dpop.rps)} | ${summary.dpop.p50} | ${summary.dpop.p99} | ${f(summary.dpop.cpuPerReqUs)} | ${summary.dpop.non2xx} |

Added cost of DPoP: ${f(summary.dpop.cpuPerReqUs - summary.bearer.cpuPerReqUs)} µs server CPU per request (${connections} connections, ${rounds} × ${durationSec} s windows per path, Node ${process.version}).`);
if (summary.bearer.non2xx > 0 || summary.dpop.non2xx > 0) {
  console.error('non-2xx answers: the figures are not valid');
  process.exitCode = 1;
}
server.kill();
await idp.close();
