#!/usr/bin/env node
// @ts-check
/**
 * tokenguard benchmark. `pnpm bench` builds the packages and runs this file.
 * Method and columns: bench/README.md. Progress goes to stderr; the Markdown report goes to
 * stdout and to bench/results/<date>.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.js';
import { renderChart } from './lib/chart.js';
import { checkScenario, tamperOpaque } from './lib/check.js';
import { coalesceOnce } from './lib/coalesce.js';
import { authorizationsFor, buildRequests, measure, median, prewarm } from './lib/load.js';
import { startServer } from './lib/proc.js';
import {
  coalescingTable,
  environment,
  environmentBlock,
  fmt,
  memoryTable,
  targetRows,
  targetsTable,
  throughputTable,
} from './lib/report.js';
import { forkHelper } from './lib/rpc.js';
import { buildScenarios } from './lib/scenarios.js';

const usage = `usage: node bench/run.js [flags]
  --duration <s>      measured seconds per scenario and round, whole seconds (default 3)
  --warmup <s>        warm-up seconds before each window of round 1 (default 1); later rounds
                      only touch the (still running, warm) servers with 200 requests
  --rounds <n>        rounds, alternating forward/reverse order (default 3)
  --connections <n>   concurrent connections (default 50)
  --only <a,b>        only scenarios whose id contains one of these substrings, e.g.
                      "express:", "tg-jwt", "coalescing", "memory" (baselines come along)
  --quick             1 round, 1 s windows, memory at 10k entries only (a smoke run)
  --profile           run the servers under --cpu-prof; profiles go to bench/results/profiles/
  --bun <path>        also run Hono on Bun (Bun.serve) with this binary: cached, JWT, hono/jwt
  --deno <path>       the same on Deno (Deno.serve)
  --help`;

const started = Date.now();
/** @type {Record<string, any>} */
let args;
try {
  args = parseArgs(process.argv.slice(2), {
    duration: 'number',
    warmup: 'number',
    rounds: 'number',
    connections: 'number',
    only: 'string',
    quick: 'boolean',
    profile: 'boolean',
    bun: 'string',
    deno: 'string',
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
const quick = args.quick === true;
const durationSec = Math.ceil(args.duration ?? (quick ? 1 : 3));
const warmupSec = Math.ceil(args.warmup ?? 1);
const rounds = Math.round(args.rounds ?? (quick ? 1 : 3));
const connections = Math.round(args.connections ?? 50);
const memoryCheckpoints = quick ? [10_000] : [10_000, 100_000];
const filters = args.only
  ?.split(',')
  .map((/** @type {string} */ f) => f.trim().toLowerCase())
  .filter(Boolean);
/** @param {string} id */
const selectedId = (id) =>
  !filters || filters.some((/** @type {string} */ f) => id.toLowerCase().includes(f));

/** @param {string} message */
const log = (message) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);

/** @type {Array<{ stop: () => Promise<void> }>} */
const children = [];
let exitCode = 0;

try {
  log('starting the identity server');
  const identity = await forkHelper('identity.js');
  children.push(identity);
  const idp = identity.info;
  // Other runtimes: the binary and the arguments a server file is started with there.
  /** @type {Record<string, string[]>} */
  const runtimeCommands = {};
  const runtimes = [];
  if (args.bun) {
    runtimeCommands.bun = [args.bun];
    const version = execFileSync(args.bun, ['--version'], { encoding: 'utf8' }).trim();
    runtimes.push({ key: 'bun', name: `Bun ${version}` });
  }
  if (args.deno) {
    runtimeCommands.deno = [args.deno, 'run', '-A'];
    const version = /deno (\S+)/.exec(execFileSync(args.deno, ['--version'], { encoding: 'utf8' }));
    runtimes.push({ key: 'deno', name: `Deno ${version?.[1]}` });
  }
  const all = buildScenarios(idp, runtimes);

  // Selection: matching scenarios, plus the baseline of each framework they run on.
  const picked = all.filter((s) => !s.baseline && selectedId(s.id));
  const frameworksUsed = new Set(picked.map((s) => s.framework));
  const scenarios = all.filter(
    (s) =>
      picked.includes(s) || (s.baseline && (frameworksUsed.has(s.framework) || selectedId(s.id))),
  );
  const coalesceId = (/** @type {import('./lib/scenarios.js').Scenario} */ s) =>
    s.ours ? `coalescing:${s.framework}` : 'coalescing:handwritten';
  const coalesceHosts = all.filter((s) => s.coalesce && selectedId(coalesceId(s)));
  const runMemory = selectedId('memory');

  const perWindow = durationSec + warmupSec / rounds + 0.5;
  const estimate =
    scenarios.length * rounds * perWindow +
    coalesceHosts.length * 2 +
    (runMemory ? (quick ? 10 : 60) : 0) +
    30;
  log(
    `${scenarios.length} scenarios × ${rounds} rounds, ${connections} connections, ` +
      `${warmupSec} s warm-up + ${durationSec} s measured; about ${Math.ceil(estimate / 60)} min`,
  );

  // Tokens, minted by the identity process. Claims of the contract's shape.
  const claims = { sub: 'user-{i}', scope: 'api:read api:write', brand: 'acme' };
  const need = new Set(scenarios.map((s) => s.tokens));
  /** @type {Record<string, string[]>} */
  const tokens = { none: [] };
  if (need.has('opaque1000') || coalesceHosts.length) {
    tokens.opaque1000 = await identity.call('mintTokens', { n: 1000, claims });
  }
  if (need.has('jwt1')) tokens.jwt1 = await identity.call('mintJwts', { n: 1, claims });
  if (need.has('jwt1plain')) {
    // hono/jwt refuses RFC 9068's `typ: at+jwt`: its peer row gets the same JWT typed `JWT`.
    const options = { header: { typ: 'JWT' } };
    tokens.jwt1plain = await identity.call('mintJwts', { n: 1, claims, options });
  }
  if (need.has('jwt1000')) tokens.jwt1000 = await identity.call('mintJwts', { n: 1000, claims });
  const tamperedJwt = [...need].some((t) => t.startsWith('jwt'))
    ? await identity.call('mintBadJwt', { kind: 'tampered-payload', claims: { sub: 'user-0' } })
    : undefined;

  const profileDir = fileURLToPath(new URL('./results/profiles/', import.meta.url));
  // One server process per scenario, up for the whole run (so later rounds find it warm).
  /** @type {Map<string, import('./lib/proc.js').ServerHandle>} */
  const servers = new Map();
  const toStart = [...new Set([...scenarios, ...coalesceHosts])];
  log(`starting ${toStart.length} server processes`);
  for (let i = 0; i < toStart.length; i += 3) {
    await Promise.all(
      toStart.slice(i, i + 3).map(async (s) => {
        const execArgv = args.profile
          ? [
              '--cpu-prof',
              '--cpu-prof-dir',
              profileDir,
              '--cpu-prof-name',
              `${s.id.replace(':', '-')}.cpuprofile`,
            ]
          : [];
        const server = await startServer(s.file, s.config, {
          name: s.id,
          ...(s.runtime ? { runtime: runtimeCommands[s.runtime] } : { execArgv }),
        });
        children.push(server);
        servers.set(s.id, server);
      }),
    );
  }

  // Correctness gate.
  /** @type {Map<string, string[]>} */
  const failed = new Map();
  for (const s of toStart) {
    const set = tokens[s.tokens];
    const check =
      s.check === 'opaque'
        ? { valid: set[0], tampered: tamperOpaque(set[0]) }
        : s.check === 'jwt'
          ? { valid: set[0], tampered: tamperedJwt }
          : {};
    const failures = await checkScenario(/** @type {any} */ (servers.get(s.id)).url, check);
    if (failures.length) {
      failed.set(s.id, failures);
      log(`FAILED correctness: ${s.id}: ${failures.join('; ')}`);
    }
  }
  const runnable = scenarios.filter(
    (s) => !failed.has(s.id) && !failed.has(`${s.framework}:baseline`),
  );

  // Every token through every server once, so cached paths are all hits from the first window.
  for (const s of runnable) {
    if (s.prewarm) {
      await prewarm(
        /** @type {any} */ (servers.get(s.id)).url,
        authorizationsFor(tokens[s.tokens]),
      );
    }
  }
  await identity.call('resetCalls');

  // Rounds: forward, reverse, forward… so no scenario always runs first or last.
  /** @type {Map<string, Array<import('./lib/load.js').Sample>>} */
  const samples = new Map(runnable.map((s) => [s.id, []]));
  const upstreamCalls = () => identity.call('calls');
  const requestLists = new Map(
    runnable.map((s) => [
      s.id,
      buildRequests(
        /** @type {any} */ (servers.get(s.id)).url,
        authorizationsFor(tokens[s.tokens]),
      ),
    ]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? runnable : [...runnable].reverse();
    for (const s of order) {
      const server = /** @type {import('./lib/proc.js').ServerHandle} */ (servers.get(s.id));
      if (s.upstreamDelayMs > 0) {
        await identity.call('injectFault', {
          endpoint: 'introspect',
          fault: { kind: 'delay', ms: s.upstreamDelayMs },
        });
      }
      try {
        const sample = await measure({
          url: server.url,
          requests: /** @type {any} */ (requestLists.get(s.id)),
          connections,
          warmupSec: round === 0 ? warmupSec : 0,
          authorizations: authorizationsFor(tokens[s.tokens]),
          durationSec,
          cpu: server.cpuMicros,
          upstreamCalls,
        });
        /** @type {Array<import('./lib/load.js').Sample>} */ (samples.get(s.id))[round] = sample;
        log(
          `round ${round + 1}/${rounds} ${s.id}: ${fmt(sample.rps)} req/s, ` +
            `${fmt(sample.cpuPerReq, 1)} µs CPU/req${sample.non2xx ? `, ${sample.non2xx} non-2xx` : ''}`,
        );
      } finally {
        if (s.upstreamDelayMs > 0) await identity.call('clearFaults');
      }
    }
  }

  // Per-round pairing with the same framework's baseline, then medians over rounds.
  /** @type {import('./lib/report.js').Row[]} */
  const rows = runnable.map((s) => {
    const mine = /** @type {Array<import('./lib/load.js').Sample>} */ (samples.get(s.id));
    const base = samples.get(`${s.framework}:baseline`) ?? [];
    const ratios = [];
    const added = [];
    for (let r = 0; r < mine.length; r++) {
      const b = base[r];
      if (!b) continue;
      ratios.push(mine[r].rps / b.rps);
      if (mine[r].cpuPerReq !== undefined && b.cpuPerReq !== undefined) {
        added.push(/** @type {number} */ (mine[r].cpuPerReq) - /** @type {number} */ (b.cpuPerReq));
      }
    }
    const non2xx = mine.reduce((n, x) => n + x.non2xx, 0);
    const errors = mine.reduce((n, x) => n + x.errors, 0);
    const jwksFetches = mine.reduce((n, x) => n + x.jwksFetches, 0);
    const warnings = [];
    if (non2xx) warnings.push(`${non2xx} non-2xx`);
    if (errors) warnings.push(`${errors} errors`);
    if (jwksFetches) warnings.push(`${jwksFetches} JWKS fetches`);
    // The headline figure: throughput over the hand-written floor of the same path, on the
    // same framework, in the same round (and, for the one-token JWT row, over the fastest
    // peer library on that framework).
    const floorScenario = runnable.find(
      (f) => s.target !== undefined && f.floor === s.target && f.framework === s.framework,
    );
    const peers = runnable.filter((p) => p.peer && p.framework === s.framework);
    const perRound = (/** @type {(r: number) => number | undefined} */ other) => {
      const out = [];
      for (let r = 0; r < mine.length; r++) {
        const o = other(r);
        if (o !== undefined && o > 0) out.push(mine[r].rps / o);
      }
      return out.length ? median(out) : undefined;
    };
    const floorSamples = floorScenario && samples.get(floorScenario.id);
    const floorRatio = floorSamples ? perRound((r) => floorSamples[r]?.rps) : undefined;
    const peerRatio =
      s.ours && s.tokens === 'jwt1' && s.config.auth === 'tokenguard' && peers.length
        ? perRound((r) => Math.max(...peers.map((p) => samples.get(p.id)?.[r]?.rps ?? 0)))
        : undefined;
    return {
      scenario: s,
      floorRatio,
      peerRatio,
      rps: median(mine.map((x) => x.rps)),
      p50: median(mine.map((x) => x.p50)),
      p99: median(mine.map((x) => x.p99)),
      ratio: median(ratios),
      addedCpu: median(added),
      cpuPerReq: median(mine.map((x) => x.cpuPerReq ?? Number.NaN)),
      upstreamPerReq: median(mine.map((x) => x.upstreamPerReq ?? Number.NaN)),
      warnings,
    };
  });

  // Coalescing.
  const coalescing = [];
  for (const s of coalesceHosts) {
    if (failed.has(s.id)) continue;
    const [token] = await identity.call('mintTokens', { n: 1, claims });
    const result = await coalesceOnce({
      url: /** @type {any} */ (servers.get(s.id)).url,
      concurrency: 500,
      token,
      identity,
      delayMs: 20,
    });
    coalescing.push({ label: /** @type {string} */ (s.coalesce), ours: s.ours, ...result });
    log(
      `coalescing ${s.coalesce}: ${result.upstreamCalls} upstream calls, ${result.ok}/500 answered 200`,
    );
  }

  // Servers are no longer needed; stop them before the memory probe.
  await Promise.all([...servers.values()].map((s) => s.stop()));

  /** @type {Array<{ entries: number, heapDelta: number, bytesPerEntry: number }>} */
  let memory = [];
  const memoryNotes = [];
  if (runMemory) {
    log(`memory probe: ${memoryCheckpoints.join(', ')} entries`);
    const probe = await forkHelper('memory.js', {
      execArgv: ['--expose-gc'],
      config: {
        endpoint: idp.introspectionEndpoint,
        callerToken: idp.callerToken,
        checkpoints: memoryCheckpoints,
      },
      handlers: { mintTokens: (a) => identity.call('mintTokens', a) },
    });
    children.push(probe);
    /** @type {any} */
    const result = await new Promise((resolve, reject) => {
      probe.child.on('message', (/** @type {any} */ m) => m?.type === 'result' && resolve(m));
      probe.child.once('exit', (/** @type {number | null} */ code) =>
        reject(new Error(`memory probe exited with code ${code}`)),
      );
    });
    await probe.stop();
    memory = result.rows;
    const filled = Math.max(...memoryCheckpoints);
    if (result.misses !== filled)
      memoryNotes.push(`⚠ ${result.misses} cache misses for ${filled} new tokens`);
    if (!result.oldestRetained) memoryNotes.push('⚠ the oldest entries were not all still cached');
    for (const r of memory) log(`memory ${r.entries}: ${fmt(r.bytesPerEntry)} B/entry`);
  }

  // Report.
  const env = environment();
  const now = new Date();
  const rerun =
    process.argv.length > 2 ? `node bench/run.js ${process.argv.slice(2).join(' ')}` : 'pnpm bench';
  const seconds = (Date.now() - started) / 1000;
  const sections = [
    `# tokenguard benchmark — ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    environmentBlock(env),
    `- Method: ${rounds} round(s) in alternating order, ${connections} connections, ` +
      `${durationSec} s measured per scenario and round (after a ${warmupSec} s warm-up in round 1, ` +
      'a 200-request touch in later rounds); medians. ' +
      '× baseline and added CPU are paired with the same framework’s baseline in the same round.',
    `- Rerun: \`${rerun}\` (took ${Math.round(seconds)} s)`,
  ];
  if (failed.size) {
    sections.push('', '## Failed the correctness gate (not measured)', '');
    for (const [id, f] of failed) sections.push(`- ${id}: ${f.join('; ')}`);
  }
  if (rows.length)
    sections.push('', '## Throughput and cost per request', '', throughputTable(rows));
  if (coalescing.length) {
    sections.push(
      '',
      '## Coalescing: 500 concurrent requests, one new token, upstream 20 ms',
      '',
      coalescingTable(coalescing),
    );
  }
  if (memory.length) {
    sections.push(
      '',
      '## Memory per cached introspection result',
      '',
      memoryTable(memory),
      ...memoryNotes.map((n) => `\n${n}`),
    );
  }
  const targets = targetRows(rows, coalescing, memory);
  if (targets.length) sections.push('', '## Against the targets', '', targetsTable(targets));
  const markdown = `${sections.join('\n')}\n`;
  process.stdout.write(`\n${markdown}`);
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const stamp = now.toISOString().slice(0, 16).replace(':', '');
  const file = new URL(`${stamp}.md`, dir);
  writeFileSync(file, markdown);
  log(`written to bench/results/${stamp}.md`);
  const bars = rows
    .filter((r) => r.scenario.ours && r.floorRatio !== undefined)
    .map((r) => ({
      framework: r.scenario.framework,
      label: r.scenario.label,
      ratio: /** @type {number} */ (r.floorRatio),
    }));
  if (bars.length) {
    // The chart the docs show above the table: bench/results/<date>.svg, and
    // bench/latest.svg (committed with the table when a run is published).
    const svg = renderChart(bars, {
      title: 'tokenguard’s throughput ÷ the hand-written floor of each path (same run, medians)',
      subtitle: `${now.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${env.cores} cores · Node ${env.node} · commit ${env.commit}`,
    });
    writeFileSync(new URL(`${stamp}.svg`, dir), svg);
    writeFileSync(new URL('./latest.svg', import.meta.url), svg);
    log(`chart written to bench/results/${stamp}.svg and bench/latest.svg`);
  }
  if (args.profile) log('CPU profiles in bench/results/profiles/ (open in Chrome DevTools)');
  if (failed.size) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await Promise.all(children.map((c) => c.stop().catch(() => {})));
}
process.exit(exitCode);
