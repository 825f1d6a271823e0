// @ts-check
/** Markdown output of the bench: environment, tables, and the performance targets. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const benchDir = new URL('../', import.meta.url);

/** @param {string} name */
function versionOf(name) {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL(`node_modules/${name}/package.json`, benchDir), 'utf8'),
    );
    return pkg.version;
  } catch {
    return 'not installed';
  }
}

export function environment() {
  const names = [
    '@tokenguard/core',
    'express',
    'koa',
    'fastify',
    'hono',
    'express-oauth2-jwt-bearer',
    'express-jwt',
    'jwks-rsa',
    'koa-jwt',
    '@fastify/jwt',
    'lru-cache',
    'undici',
    'autocannon',
  ];
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {}
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    commit,
    versions: Object.fromEntries(names.map((n) => [n, versionOf(n)])),
  };
}

/** @param {number | undefined} v @param {number} [digits] */
export const fmt = (v, digits = 0) =>
  v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** @param {number | undefined} v */
const signed = (v) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : `${v >= 0 ? '+' : ''}${fmt(v, 0)}`;

/**
 * @typedef {object} Row
 * @property {import('./scenarios.js').Scenario} scenario
 * @property {number | undefined} rps
 * @property {number | undefined} p50
 * @property {number | undefined} p99
 * @property {number | undefined} ratio
 * @property {number | undefined} [floorRatio] req/s over the hand-written floor's, same round
 * @property {number | undefined} [peerRatio] req/s over the fastest peer's on the framework
 * @property {number | undefined} addedCpu
 * @property {number | undefined} cpuPerReq
 * @property {number | undefined} upstreamPerReq
 * @property {string[]} warnings
 */

/** @param {Row[]} rows */
export function throughputTable(rows) {
  const lines = [
    '| Framework | Scenario | req/s | p50 ms | p99 ms | × baseline | added CPU µs/req | upstream calls/req |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const s = r.scenario;
    const warn = r.warnings.length ? ` ⚠ ${r.warnings.join('; ')}` : '';
    lines.push(
      `| ${s.framework} | ${s.label}${warn} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ` +
        `${s.baseline ? '1.00' : fmt(r.ratio, 2)} | ` +
        `${s.baseline ? `(${fmt(r.cpuPerReq, 0)} µs/req)` : signed(r.addedCpu)} | ` +
        `${s.baseline ? '—' : fmt(r.upstreamPerReq, 2)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * @param {Array<{ label: string, requests: number, ok: number, statuses: Record<string, number>, upstreamCalls: number }>} rows
 */
export function coalescingTable(rows) {
  const lines = [
    '| Server | concurrent requests | answers | upstream calls |',
    '|---|---:|---|---:|',
  ];
  for (const r of rows) {
    const answers = Object.entries(r.statuses)
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ');
    lines.push(`| ${r.label} | ${r.requests} | ${answers} | ${r.upstreamCalls} |`);
  }
  return lines.join('\n');
}

/** @param {Array<{ entries: number, heapDelta: number, bytesPerEntry: number }>} rows */
export function memoryTable(rows) {
  const lines = ['| Cached entries | heap growth | bytes per entry |', '|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${fmt(r.entries)} | ${fmt(r.heapDelta / 2 ** 20, 1)} MiB | ${fmt(r.bytesPerEntry)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * @typedef {{ path: string, where: string, headline?: string, measured: string, floor?: string, target: string, met: boolean | undefined }} TargetRow
 * @param {TargetRow[]} rows
 */
export function targetsTable(rows) {
  const lines = [
    '| Path | Where | tokenguard ÷ floor (req/s, same round) | Added CPU (median) | Hand-written floor, same run | Target | Met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const met = r.met === undefined ? 'n/a' : r.met ? 'yes' : '**no**';
    lines.push(
      `| ${r.path} | ${r.where} | ${r.headline ?? '—'} | ${r.measured} | ${r.floor ?? '—'} | ${r.target} | ${met} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Checks the figures against the performance targets (cached paths at the framework's own
 * cost, JWTs at node:crypto's speed, the miss path below the hand-written undici middleware).
 * @param {Row[]} rows
 * @param {Array<{ label: string, ours: boolean, upstreamCalls: number, ok: number, requests: number }>} coalescing
 * @param {Array<{ entries: number, bytesPerEntry: number }>} memory
 * @returns {TargetRow[]}
 */
export function targetRows(rows, coalescing, memory) {
  /** @type {TargetRow[]} */
  const out = [];
  /** The hand-written floor of a target on a framework, as "+N µs/req" with our distance to it. */
  const floorOf = (/** @type {Row} */ r) => {
    const floor = rows.find(
      (f) =>
        f.scenario.floor === r.scenario.target && f.scenario.framework === r.scenario.framework,
    );
    if (floor?.addedCpu === undefined || r.addedCpu === undefined) return undefined;
    return `${signed(floor.addedCpu)} µs/req (tokenguard ${signed(r.addedCpu - floor.addedCpu)})`;
  };
  /** @type {Record<string, string>} */
  const paths = {
    'introspection-hit': 'cached introspection, 1,000 tokens',
    'jwt-hit': 'cached JWT, 1,000 tokens',
    'jwt-nocache': 'JWT verified every time, 1,000 tokens',
    'introspection-miss': 'introspection miss (upstream 0 ms)',
  };
  for (const r of rows) {
    const s = r.scenario;
    if (s.ours && s.tokens === 'jwt1' && r.peerRatio !== undefined) {
      out.push({
        path: 'one cached JWT against the fastest peer',
        where: s.framework,
        headline: `${fmt(r.peerRatio, 2)}× the peer`,
        measured: `${signed(r.addedCpu)} µs/req`,
        target: '≥ 2× the fastest peer',
        met: r.peerRatio >= 2,
      });
    }
    if (!s.ours || !s.target) continue;
    out.push({
      path: paths[s.target] ?? s.target,
      where: s.framework,
      headline: r.floorRatio === undefined ? undefined : fmt(r.floorRatio, 2),
      measured: `${signed(r.addedCpu)} µs/req, ${fmt(r.ratio, 2)} of baseline`,
      floor: floorOf(r),
      target: '≥ 0.90 of the floor',
      met: r.floorRatio === undefined ? undefined : r.floorRatio >= 0.9,
    });
  }
  for (const c of coalescing) {
    if (!c.ours) continue;
    out.push({
      path: 'coalescing, 500 concurrent, one new token',
      where: c.label,
      measured: `${c.upstreamCalls} upstream call(s), ${c.ok}/${c.requests} answered 200`,
      target: 'exactly 1',
      met: c.upstreamCalls === 1 && c.ok === c.requests,
    });
  }
  const big = memory.find((m) => m.entries === 100_000);
  if (big) {
    out.push({
      path: 'memory per cached entry',
      where: '100k entries',
      measured: `${fmt(big.bytesPerEntry)} B`,
      target: '≤ 1 KiB',
      met: big.bytesPerEntry <= 1024,
    });
  }
  return out;
}

/** @param {ReturnType<typeof environment>} env */
export function environmentBlock(env) {
  const versions = Object.entries(env.versions)
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');
  return [
    `- Machine: ${env.cores} cores (${env.cpuModel}), ${env.memoryGiB} GiB, ${env.platform}`,
    `- Node ${env.node}; commit ${env.commit}`,
    `- Packages: ${versions}`,
  ].join('\n');
}
