#!/usr/bin/env node
// @ts-check
/**
 * Soak test: mixed good and bad traffic at 200 concurrent connections against each
 * adapter while the identity service flaps (503s, then hangs), checking every answer.
 *
 * Pass (per adapter; the exit code is non-zero if any adapter fails):
 *  - no wrong answer: 200 only for a valid token, a valid token never refused (401/403/400);
 *  - no 5xx other than 503, and 503 only while the upstream is down (or recovering: the
 *    guard's timeout plus the breaker's cooldown);
 *  - no request left unanswered (client timeouts, connection errors);
 *  - server RSS at the end within 10% of its RSS after the warm-up.
 * Loopback only; every loop is bounded and the run stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from './lib/args.js';
import { buildRequests, cannon, median, prewarm } from './lib/load.js';
import { startServer } from './lib/proc.js';
import { forkHelper } from './lib/rpc.js';

const usage = `usage: node bench/soak.js [--seconds 60] [--warmup <s>] [--connections 200] [--only express,koa,fastify,hono]`;
/** @type {Record<string, any>} */
let args;
try {
  args = parseArgs(process.argv.slice(2), {
    seconds: 'number',
    warmup: 'number',
    connections: 'number',
    only: 'string',
    help: 'boolean',
  });
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const seconds = args.seconds ?? 60;
const connections = Math.round(args.connections ?? 200);
const adapters = ['express', 'koa', 'fastify', 'hono'].filter(
  (a) => !args.only || String(args.only).split(',').includes(a),
);

// Guard settings for the soak: upstream timeouts short enough that outages are answered
// quickly, long enough that a busy (not down) identity service on two cores is not one.
const timeoutMs = 1000;
const breakerCooldownMs = 1000;
// Outage schedule: down for 1 s every 5 s, alternating 503 answers and hangs, on the
// introspection endpoint and the JWKS together. The first outage falls inside the warm-up.
const downMs = 1000;
const periodMs = 5000;
const firstOutageMs = 1000;
// 503s are expected while the upstream is down and until the guard has noticed recovery.
const graceMs = timeoutMs + breakerCooldownMs + 500;
// The load runs for warm-up + `seconds`; every answer is checked throughout, and the RSS
// baseline is taken when the warm-up ends (V8 sizes its heap during the first seconds).
// `--warmup` lengthens it: on a short run V8 may still be growing the heap towards its
// working size under this allocation rate, which is not a leak.
const warmupMs = args.warmup !== undefined ? args.warmup * 1000 : Math.max(10_000, seconds * 250);
const totalMs = warmupMs + seconds * 1000;
const rssGrowthLimit = 0.1;

const started = Date.now();
/** @param {string} m */
const log = (m) =>
  process.stderr.write(`[soak ${((Date.now() - started) / 1000).toFixed(0)}s] ${m}\n`);

/** A deterministic shuffle (mulberry32), so every run sends the same mix in the same order. */
function rng(seed = 0x7f4a7c15) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @typedef {{ kind: string, valid: boolean, header: string | undefined }} Probe
 */

/** @param {{ call: (op: string, args?: unknown) => Promise<any> }} identity */
async function buildProbes(identity) {
  const claims = { sub: 'user-{i}', scope: 'api:read', brand: 'acme' };
  /** @type {Record<string, { weight: number, valid: boolean, headers: Array<string | undefined> }>} */
  const kinds = {
    'valid opaque': { weight: 20, valid: true, headers: [] },
    'valid JWT': { weight: 20, valid: true, headers: [] },
    'unknown opaque': { weight: 15, valid: false, headers: [] },
    'expired opaque': { weight: 5, valid: false, headers: [] },
    'expired JWT': { weight: 5, valid: false, headers: [] },
    'unknown-kid JWT': { weight: 5, valid: false, headers: [] },
    'wrong-key JWT': { weight: 5, valid: false, headers: [] },
    'tampered JWT': { weight: 5, valid: false, headers: [] },
    'alg none JWT': { weight: 3, valid: false, headers: [] },
    'garbage header': { weight: 12, valid: false, headers: [] },
    'no header': { weight: 5, valid: false, headers: [undefined] },
  };
  const bearer = (/** @type {string} */ t) => `Bearer ${t}`;
  kinds['valid opaque'].headers = (await identity.call('mintTokens', { n: 100, claims })).map(
    bearer,
  );
  kinds['valid JWT'].headers = (await identity.call('mintJwts', { n: 100, claims })).map(bearer);
  kinds['unknown opaque'].headers = Array.from({ length: 500 }, () =>
    bearer(randomBytes(24).toString('base64url')),
  );
  kinds['expired opaque'].headers = (
    await identity.call('mintTokens', { n: 50, claims: { ...claims, expiresInSec: -60 } })
  ).map(bearer);
  /** @param {string} kind @param {number} n */
  const bad = async (kind, n) => {
    const out = [];
    for (let i = 0; i < n; i++)
      out.push(bearer(await identity.call('mintBadJwt', { kind, claims: { sub: `user-${i}` } })));
    return out;
  };
  kinds['expired JWT'].headers = await bad('expired', 20);
  kinds['unknown-kid JWT'].headers = await bad('unknown-kid', 20);
  kinds['wrong-key JWT'].headers = await bad('wrong-key', 20);
  kinds['tampered JWT'].headers = await bad('tampered-payload', 20);
  kinds['alg none JWT'].headers = await bad('alg-none', 10);
  kinds['garbage header'].headers = [
    'Basic dXNlcjpwYXNz',
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'Bearer a,b',
    'Bearer ===',
    'Bearer %%%',
    'Bearer\tabc',
    'Token abc',
    '',
    `Bearer ${'a'.repeat(9000)}`,
    'Bearer é',
    'BEARER    ',
    'Bearer ..',
  ];
  // 2,000 requests drawn by weight, then shuffled; autocannon cycles through them.
  const random = rng();
  const total = Object.values(kinds).reduce((n, k) => n + k.weight, 0);
  /** @type {Probe[]} */
  const probes = [];
  /** @type {Record<string, number>} */
  const next = {};
  for (const [kind, k] of Object.entries(kinds)) {
    const count = Math.round((k.weight / total) * 2000);
    for (let i = 0; i < count; i++) {
      next[kind] = ((next[kind] ?? -1) + 1) % k.headers.length;
      probes.push({ kind, valid: k.valid, header: k.headers[next[kind]] });
    }
  }
  for (let i = probes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [probes[i], probes[j]] = [probes[j], probes[i]];
  }
  return probes;
}

/**
 * @param {string} adapter
 * @param {any} identity
 * @param {Probe[]} probes
 */
async function soakOne(adapter, identity, probes) {
  const idp = identity.info;
  const server = await startServer(
    `${adapter}.js`,
    {
      auth: 'tokenguard',
      options: {
        issuer: idp.issuer,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
          breakerCooldownMs,
        },
        jwt: { jwksUri: idp.jwksUri, audience: 'api' },
        http: { timeoutMs },
        // Short lives, so that valid and invalid tokens keep going upstream during the run
        // and the outages are felt (with the defaults everything would be cached).
        cache: { maxTtlMs: 3000, inactiveTtlMs: 1000 },
        allowInsecureHttp: true,
      },
    },
    { name: `soak:${adapter}` },
  );
  try {
    await identity.call('clearFaults');
    // Every probe once, healthy upstream: JIT, pools and JWKS are ready and valid tokens are
    // cached before the load and the outages start, as in a service that has been running.
    await prewarm(server.url, [...new Set(probes.map((p) => p.header))]);
    const calls0 = await identity.call('calls');

    /** @type {Array<{ start: number, end: number | undefined }>} */
    const outages = [];
    const inWindow = (/** @type {number} */ t) =>
      outages.some((o) => t >= o.start && (o.end === undefined || t <= o.end + graceMs));
    /** @type {Record<string, Record<string, number>>} */
    const byKind = {};
    /** @type {Record<string, number>} */
    const statuses = {};
    const failures = { wrong: 0, unexpected5xx: 0, late503: 0 };
    /** @type {string[]} */
    const examples = [];
    let expected503 = 0;
    /** @type {Record<string, number>} */
    const clientErrors = {};
    const record = (/** @type {Probe} */ p, /** @type {number} */ status) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (!byKind[p.kind]) byKind[p.kind] = {};
      const k = byKind[p.kind];
      k[status] = (k[status] ?? 0) + 1;
      /** @type {string | undefined} */
      let problem;
      if (status === 503) {
        if (inWindow(Date.now())) expected503++;
        else {
          failures.late503++;
          problem = '503 while the upstream was up';
        }
      } else if (status >= 500) {
        failures.unexpected5xx++;
        problem = `${status}`;
      } else if (p.valid ? status !== 200 : status === 200 || (status !== 400 && status !== 401)) {
        failures.wrong++;
        problem = `wrong answer ${status}`;
      }
      if (problem && examples.length < 10) examples.push(`${p.kind}: ${problem}`);
    };
    const requests = buildRequests(
      server.url,
      probes.map((p) => p.header),
      (i) => (status) => record(probes[i], status),
    );

    /** @type {NodeJS.Timeout[]} */
    const timers = [];
    /** @type {Array<{ t: number, rss: number | undefined }>} */
    const rss = [];
    let t0 = 0;
    /** @type {NodeJS.Timeout | undefined} */
    let sampler;
    // The flapping identity service, on a bounded schedule from the moment the load starts.
    // Outage bounds are recorded when the timers fire (before the IPC round trip), so the
    // window in which 503s are expected opens early and closes late, never the reverse.
    const startSchedule = () => {
      t0 = Date.now();
      sampler = setInterval(() => rss.push({ t: Date.now() - t0, rss: server.rssBytes() }), 250);
      for (let k = 0, at = firstOutageMs; at + downMs + graceMs <= totalMs; k++, at += periodMs) {
        const fault = k % 2 === 0 ? { kind: 'status', status: 503 } : { kind: 'hang' };
        /** @type {{ start: number, end: number | undefined }} */
        const outage = { start: 0, end: undefined };
        timers.push(
          setTimeout(() => {
            outage.start = Date.now();
            outages.push(outage);
            identity.call('injectFault', { endpoint: 'introspect', fault });
            identity.call('injectFault', { endpoint: 'jwks', fault });
          }, at),
          setTimeout(() => {
            identity.call('clearFaults').then(() => {
              outage.end = Date.now();
            });
          }, at + downMs),
        );
      }
    };

    const result = await cannon({
      url: server.url,
      connections,
      durationSec: totalMs / 1000,
      requests,
      onStart: startSchedule,
      onError: (error) => {
        const code = /** @type {any} */ (error).code ?? error.message;
        clientErrors[code] = (clientErrors[code] ?? 0) + 1;
      },
    });
    clearInterval(sampler);
    for (const t of timers) clearTimeout(t);
    await identity.call('clearFaults');
    const calls1 = await identity.call('calls');

    // RSS after warm-up: medians of the first second after the warm-up and of the last second.
    const values = (/** @type {number} */ from, /** @type {number} */ to) =>
      rss
        .filter((s) => s.t >= from && s.t < to && s.rss !== undefined)
        .map((s) => /** @type {number} */ (s.rss));
    const rssStart = median(values(warmupMs, warmupMs + 1000));
    const rssEnd = median(values(totalMs - 1000, totalMs + 1000));
    const growth = rssStart && rssEnd ? rssEnd / rssStart - 1 : undefined;
    const errors = result.errors;
    const passed =
      failures.wrong === 0 &&
      failures.unexpected5xx === 0 &&
      failures.late503 === 0 &&
      errors === 0 &&
      growth !== undefined &&
      growth < rssGrowthLimit;
    // Ten evenly spaced RSS readings, to tell a plateau from steady growth.
    const trace = Array.from({ length: 10 }, (_, i) => {
      const at = ((i + 1) * totalMs) / 10;
      const near = rss.filter((s) => s.rss !== undefined && Math.abs(s.t - at) <= 500);
      return median(near.map((s) => /** @type {number} */ (s.rss)));
    });
    return {
      adapter,
      trace,
      requests: result.requests.total,
      statuses,
      byKind,
      errors,
      clientErrors,
      timeouts: result.timeouts,
      expected503,
      failures,
      examples,
      outages: outages.length,
      upstream: {
        introspect: calls1.introspect - calls0.introspect,
        jwks: calls1.jwks - calls0.jwks,
      },
      rssStart,
      rssEnd,
      growth,
      passed,
    };
  } finally {
    await server.stop();
  }
}

/** @type {Array<{ stop: () => Promise<void> }>} */
const children = [];
let exitCode = 0;
try {
  log(`${adapters.join(', ')}: ${seconds} s each at ${connections} connections`);
  const identity = await forkHelper('identity.js');
  children.push(identity);
  const probes = await buildProbes(identity);
  /** @type {Array<Awaited<ReturnType<typeof soakOne>>>} */
  const results = [];
  for (const adapter of adapters) {
    const r = await soakOne(adapter, identity, probes);
    results.push(r);
    log(`${adapter}: ${r.requests} requests, ${r.passed ? 'PASS' : 'FAIL'}`);
  }
  const mib = (/** @type {number | undefined} */ b) =>
    b === undefined ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`;
  const lines = [
    `# tokenguard soak — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- ${warmupMs / 1000} s warm-up + ${seconds} s per adapter, ${connections} connections, ${probes.length} requests cycled ` +
      `(valid, invalid, expired, unknown-kid, forged JWTs, garbage headers, no header)`,
    `- Identity service down ${downMs / 1000} s every ${periodMs / 1000} s (503 answers and hangs in ` +
      `turn, introspection and JWKS); guard timeout ${timeoutMs} ms, breaker cooldown ${breakerCooldownMs} ms`,
    `- Guard cache: positive entries 3 s, negative 1 s (so traffic reaches the upstream); ` +
      `every answer checked, RSS compared from the end of the warm-up; rerun: \`node bench/soak.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
    '',
    '| Adapter | requests | status counts | expected 503 | wrong answers | other 5xx | 503 while up | client errors | upstream calls (introspect / JWKS) | RSS start → end | result |',
    '|---|---:|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  const errorText = (/** @type {(typeof results)[number]} */ r) =>
    r.errors === 0
      ? '0'
      : `${r.errors} (${Object.entries(r.clientErrors)
          .map(([c, n]) => `${c}: ${n}`)
          .join(', ')})`;
  for (const r of results) {
    const counts = Object.entries(r.statuses)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    const growth =
      r.growth === undefined ? 'n/a' : `${r.growth >= 0 ? '+' : ''}${(r.growth * 100).toFixed(1)}%`;
    lines.push(
      `| ${r.adapter} | ${r.requests} | ${counts} | ${r.expected503} | ${r.failures.wrong} | ` +
        `${r.failures.unexpected5xx} | ${r.failures.late503} | ${errorText(r)} | ` +
        `${r.upstream.introspect} / ${r.upstream.jwks} | ${mib(r.rssStart)} → ${mib(r.rssEnd)} (${growth}) | ` +
        `${r.passed ? 'pass' : '**FAIL**'} |`,
    );
  }
  lines.push('', '## Answers by token kind', '');
  lines.push('| Adapter | kind | answers |', '|---|---|---|');
  for (const r of results) {
    for (const [kind, counts] of Object.entries(r.byKind)) {
      const c = Object.entries(counts)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      lines.push(`| ${r.adapter} | ${kind} | ${c} |`);
    }
  }
  lines.push('', '## Server RSS at each tenth of the run (MiB)', '');
  for (const r of results) {
    lines.push(
      `- ${r.adapter}: ${r.trace.map((b) => (b === undefined ? 'n/a' : (b / 2 ** 20).toFixed(0))).join(', ')}`,
    );
  }
  const problems = results.filter((r) => r.examples.length);
  if (problems.length) {
    lines.push('', '## First problems seen', '');
    for (const r of problems) lines.push(`- ${r.adapter}: ${r.examples.join('; ')}`);
  }
  const markdown = `${lines.join('\n')}\n`;
  process.stdout.write(`\n${markdown}`);
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
  writeFileSync(new URL(`soak-${stamp}.md`, dir), markdown);
  if (!results.every((r) => r.passed)) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await Promise.all(children.map((c) => c.stop().catch(() => {})));
}
process.exit(exitCode);
