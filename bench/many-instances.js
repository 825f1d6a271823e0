// @ts-check
/**
 * Many instances on one Redis, measured on this machine:
 *
 * 1. local-tier hit vs a plain lru-cache lookup (in process, ns per lookup);
 * 2. Express over HTTP: in-process cache hit, local-tier hit with the Redis store behind it,
 *    and a Redis hit (the local tier kept to one entry, 1,000 tokens) — µs per request;
 * 3. 4 instances behind round-robin × 1,000 tokens: upstream calls with and without Redis;
 * 4. 500 concurrent requests with one new token across 4 instances (50 ms upstream delay):
 *    upstream calls without and with the cross-instance lock.
 *
 * Parts 2–4 run on one redis-server and on a Redis Cluster (3 masters, 3 replicas) side by side.
 *
 * Needs `pnpm build` and `redis-server` on PATH. Usage: node bench/many-instances.js
 * [--seconds 5] [--parts 1,2,3,4] [--topologies single,cluster] [--json out.json]. Callable from
 * bench/run.js: `runManyInstances(options)`.
 */
import { fork } from 'node:child_process';
import { hash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGuard } from '@tokenguard/core';
import { createIdentityServer, startRedisCluster, startRedisServer } from '@tokenguard/testing';
// @ts-expect-error autocannon ships no types.
import autocannon from 'autocannon';
import { LRUCache } from 'lru-cache';

const HMAC_KEY = 'bench-hmac-key-0123456789abcdef0123456789abcdef';
const APP = fileURLToPath(new URL('./servers/many-instances-app.js', import.meta.url));

/**
 * @param {{ seconds?: number, log?: (line: string) => void, parts?: number[], topologies?: ('single' | 'cluster')[] }} [options]
 */
export async function runManyInstances(options = {}) {
  const seconds = options.seconds ?? 5;
  const log = options.log ?? ((line) => console.log(line));
  const parts = new Set(options.parts ?? [1, 2, 3, 4]);
  const topologies = options.topologies ?? ['single', 'cluster'];
  const [idp, redis, cluster] = await Promise.all([
    createIdentityServer({ jwtAlgorithms: ['RS256'] }),
    startRedisServer(),
    topologies.includes('cluster') ? startRedisCluster() : undefined,
  ]);
  /** @type {Record<string, unknown>} */
  const results = {
    machine:
      'shared 2-core machine, other sessions running: noisy, compare ratios within this run only',
  };
  const base = { introspectionEndpoint: idp.introspectionEndpoint, callerToken: idp.callerToken };
  /** The shared tier on each topology, labelled. @type {[string, Record<string, unknown>][]} */
  const tiers = topologies.map((topology) =>
    topology === 'cluster'
      ? [
          'Redis Cluster',
          {
            ...base,
            clusterRootNodes: cluster?.rootNodes.map((n) => ({ url: n.url })),
            hmacKey: HMAC_KEY,
          },
        ]
      : ['Redis', { ...base, redisUrl: redis.url, hmacKey: HMAC_KEY }],
  );
  try {
    // 1. In process: the local tier's hit path vs a bare lru-cache lookup of a hashed key.
    if (parts.has(1)) {
      results.localTierVsPlainLru = await localTierVsPlainLru(idp);
      log(`local-tier hit: ${JSON.stringify(results.localTierVsPlainLru)}`);
    }

    // 2. Over HTTP on Express.
    const one = idp.mintToken({ sub: 'bench' });
    const thousand = Array.from({ length: 1000 }, (_, i) => idp.mintToken({ sub: `u${i}` }));
    const http = {};
    for (const [label, config, tokens] of !parts.has(2)
      ? []
      : /** @type {const} */ ([
          ['in-process cache hit', base, [one]],
          ...tiers.flatMap(([tier, shared]) => [
            [`local-tier hit, ${tier} behind`, shared, [one]],
            [
              `${tier} hit (local tier of 1 entry, 1,000 tokens)`,
              { ...shared, cache: { maxEntries: 1 } },
              thousand,
            ],
          ]),
        ])) {
      const [app] = await startApps(1, config);
      try {
        for (const t of tokens) await get(app.url, t); // warm every tier
        const r = await load(app.url, tokens, seconds);
        const m = await app.call('metrics');
        http[label] = { ...r, sharedHits: m.sharedHits, upstreamCalls: m.upstreamCalls };
        log(`${label}: ${JSON.stringify(http[label])}`);
      } finally {
        await app.stop();
      }
    }
    if (parts.has(2)) results.express = http;

    // 3. 4 instances, round-robin, 1,000 tokens, each token sent to every instance once.
    const roundRobin = {};
    for (const [label, config] of !parts.has(3)
      ? []
      : /** @type {const} */ ([
          ['in-process caches only', base],
          ...tiers.map(([tier, shared]) => [`shared tier on ${tier}`, shared]),
        ])) {
      const tokens = Array.from({ length: 1000 }, (_, i) => idp.mintToken({ sub: `rr${i}` }));
      const apps = await startApps(4, config);
      try {
        idp.resetCalls();
        let wrong = 0;
        for (let round = 0; round < 4; round++) {
          await pool(
            tokens.map(
              (t, i) => () =>
                get(apps[(i + round) % 4].url, t).then((s) => {
                  if (s !== 200) wrong++;
                }),
            ),
            32,
          );
        }
        roundRobin[label] = { requests: 4000, upstreamCalls: idp.calls.introspect, wrong };
        log(`round-robin, ${label}: ${JSON.stringify(roundRobin[label])}`);
      } finally {
        await Promise.all(apps.map((a) => a.stop()));
      }
    }
    results.roundRobin4x1000 = roundRobin;

    // 4. 500 concurrent requests, one new token, 4 instances, 50 ms upstream delay.
    const coalescing = {};
    for (const [label, config] of !parts.has(4)
      ? []
      : /** @type {const} */ ([
          ...tiers.flatMap(([tier, shared]) => [
            [`${tier}, no lock`, shared],
            [`${tier}, lock`, { ...shared, lock: true }],
          ]),
        ])) {
      const apps = await startApps(4, config);
      try {
        const runs = [];
        for (let run = 0; run < 5; run++) {
          const t = idp.mintToken({ sub: `hot-${run}` });
          idp.resetCalls();
          idp.injectFault('introspect', { kind: 'delay', ms: 50 });
          const statuses = await Promise.all(
            Array.from({ length: 500 }, (_, i) => get(apps[i % 4].url, t)),
          );
          idp.clearFaults();
          runs.push({
            upstreamCalls: idp.calls.introspect,
            non200: statuses.filter((s) => s !== 200).length,
          });
        }
        coalescing[label] = runs;
        log(`500 concurrent, ${label}: ${JSON.stringify(runs)}`);
      } finally {
        await Promise.all(apps.map((a) => a.stop()));
      }
    }
    results.coalescing500x4 = coalescing;
  } finally {
    await Promise.all([idp.close(), redis.stop(), cluster?.stop()]);
  }
  return results;
}

/** @param {import('@tokenguard/testing').IdentityServer} idp */
async function localTierVsPlainLru(idp) {
  const guard = createGuard({
    allowInsecureHttp: true,
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
    },
  });
  const token = idp.mintToken();
  await guard.verify(token);
  const lru = new LRUCache({ max: 10_000 });
  lru.set(hash('sha256', `ns\0${token}`, 'base64url'), { kind: 'valid' });
  const N = 300_000;
  const timeIt = async (/** @type {() => unknown} */ fn) => {
    for (let i = 0; i < 20_000; i++) await fn(); // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    return Number(process.hrtime.bigint() - start) / N;
  };
  // Both awaited the same way, so the comparison is of the lookups, not of the await.
  const plain = await timeIt(() => lru.get(hash('sha256', `ns\0${token}`, 'base64url')));
  const ours = await timeIt(() => guard.verify(token));
  await guard.close();
  return { plainLruNsPerLookup: Math.round(plain), guardVerifyHitNsPerCall: Math.round(ours) };
}

/**
 * @param {number} n
 * @param {Record<string, unknown>} config
 * @returns {Promise<{ url: string, call: (op: string) => Promise<any>, stop: () => Promise<void> }[]>}
 */
function startApps(n, config) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const child = fork(APP, [JSON.stringify(config)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      /** @type {Map<number, (v: any) => void>} */
      const pending = new Map();
      let next = 1;
      const port = await new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`bench app exited ${code}`)));
        child.on('message', (/** @type {any} */ m) => {
          if (m.ready) resolve(m.port);
          else pending.get(m.id)?.(m.value);
        });
      });
      return {
        url: `http://127.0.0.1:${port}`,
        call: (/** @type {string} */ op) =>
          new Promise((resolve) => {
            const id = next++;
            pending.set(id, resolve);
            child.send({ id, op });
          }),
        stop: async () => {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.disconnect();
          await exited;
        },
      };
    }),
  );
}

/** @returns {Promise<number>} the status */
function get(/** @type {string} */ url, /** @type {string} */ token) {
  return new Promise((resolve, reject) => {
    // A fresh connection per request: a kept-alive socket closed by the server under load
    // would otherwise surface as "socket hang up" in the load generator, not in the app.
    const req = request(
      url,
      { agent: false, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs the tasks with at most `limit` in flight. @param {(() => Promise<unknown>)[]} tasks */
async function pool(tasks, limit) {
  let i = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (i < tasks.length) await tasks[i++]();
    }),
  );
}

/** autocannon, 10 connections, the tokens in turn. */
function load(
  /** @type {string} */ url,
  /** @type {readonly string[]} */ tokens,
  /** @type {number} */ seconds,
) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: 10,
        duration: seconds,
        requests: tokens.map((t) => ({
          method: 'GET',
          path: '/',
          headers: { authorization: `Bearer ${t}` },
        })),
      },
      (/** @type {Error | null} */ error, /** @type {any} */ r) => {
        if (error) return reject(error);
        resolve({
          requestsPerSec: Math.round(r.requests.average),
          latencyMeanMs: r.latency.mean,
          latencyP99Ms: r.latency.p99,
          non2xx: r.non2xx,
          // Mean server time per request at this concurrency: 1e6 µs / (req/s) × connections.
          usPerRequestAt10Connections: Math.round((1e6 / r.requests.average) * 10),
        });
      },
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      json: { type: 'string' },
      parts: { type: 'string' },
      topologies: { type: 'string' },
    },
  });
  const results = await runManyInstances({
    seconds: values.seconds ? Number(values.seconds) : 5,
    parts: values.parts?.split(',').map(Number),
    topologies: /** @type {('single' | 'cluster')[] | undefined} */ (values.topologies?.split(',')),
  });
  console.log(JSON.stringify(results, null, 2));
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
}
