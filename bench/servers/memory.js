// @ts-check
/**
 * Memory probe: heap per cached entry. Runs with --expose-gc, builds a
 * guard whose cache can hold every entry, fills it through `guard.verify` against the
 * identity server (another process, so its token store is not counted here), and reports the
 * heapUsed growth after full collections divided by the entries added.
 * Tokens come from the parent over IPC (it relays to the identity process), in batches that
 * are dropped before each measurement.
 */
import { createGuard } from '@tokenguard/core';
import { readConfig } from '../lib/child.js';
import { createRpc } from '../lib/rpc.js';

const config = readConfig();
const gc = /** @type {() => void} */ (globalThis.gc);
if (typeof gc !== 'function') throw new Error('run with --expose-gc');

const parent = createRpc(process, {});
/** The claims of a typical token of the contract's shape; `sub` differs per token. */
const claims = { sub: 'user-{i}', scope: 'api:read api:write', brand: 'acme' };
const checkpoints = /** @type {number[]} */ (config.checkpoints);
const largest = Math.max(...checkpoints);

const guard = createGuard({
  introspection: {
    endpoint: config.endpoint,
    clientAuth: { method: 'bearer', token: config.callerToken },
  },
  allowInsecureHttp: true,
  cache: { maxEntries: largest + 1000, maxTtlMs: 3_600_000 },
});

function heapAfterGc() {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * @param {string[]} tokens
 * @param {number} concurrency
 */
async function verifyAll(tokens, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      await guard.verify(token);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** @param {number} n @param {number} offset */
async function fill(n, offset) {
  const batch = 5000;
  for (let done = 0; done < n; done += batch) {
    const size = Math.min(batch, n - done);
    /** @type {string[]} */
    const tokens = await parent.call('mintTokens', { n: size, claims, offset: offset + done });
    await verifyAll(tokens, 64);
  }
}

/** @param {number} n */
const mint = (n) => /** @type {Promise<string[]>} */ (parent.call('mintTokens', { n, claims }));

process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', info: {} });

// Warm the pools and the code paths first; these entries are in the cache on both sides of
// every measurement, so they do not distort the difference.
const warm = await mint(200);
await verifyAll(warm, 64);
const before = heapAfterGc();
const m0 = guard.metrics();
const rows = [];
let entries = 0;
for (const target of [...checkpoints].sort((a, b) => a - b)) {
  await fill(target - entries, 200 + entries);
  entries = target;
  const heap = heapAfterGc();
  rows.push({ entries, heapDelta: heap - before, bytesPerEntry: (heap - before) / entries });
}
const m1 = guard.metrics();
// The oldest entries must still be there (no eviction), and every filled token must have
// been a miss (no entries collapsed); otherwise the figure would be meaningless.
await verifyAll(warm, 8);
const m2 = guard.metrics();
await guard.close();
process.send?.({
  type: 'result',
  rows,
  misses: m1.cacheMisses - m0.cacheMisses,
  oldestRetained:
    m2.cacheHits - m1.cacheHits === warm.length && m2.upstreamCalls === m1.upstreamCalls,
});
