// @ts-check
/**
 * Coalescing: 500 requests opened at once with one token the server
 * has never seen, the identity service answering after 20 ms. A guard with single-flight
 * makes one upstream call; code without it makes up to one per request.
 */
import { Pool } from 'undici';

/**
 * @param {{ url: string, concurrency: number, token: string,
 *   identity: { call: (op: string, args?: unknown) => Promise<any> }, delayMs: number }} o
 * @returns {Promise<{ requests: number, ok: number, statuses: Record<string, number>, upstreamCalls: number }>}
 */
export async function coalesceOnce(o) {
  const pool = new Pool(o.url, { connections: o.concurrency, pipelining: 1 });
  try {
    // Open every connection first (answers without a token need no upstream call), so the
    // measured burst is `concurrency` requests arriving together, not a trickle of connects.
    await Promise.all(
      Array.from({ length: o.concurrency }, () =>
        pool.request({ method: 'GET', path: '/' }).then((r) => r.body.dump()),
      ),
    );
    await o.identity.call('injectFault', {
      endpoint: 'introspect',
      fault: { kind: 'delay', ms: o.delayMs },
    });
    await o.identity.call('resetCalls');
    const authorization = `Bearer ${o.token}`;
    const responses = await Promise.all(
      Array.from({ length: o.concurrency }, () =>
        pool
          .request({ method: 'GET', path: '/', headers: { authorization }, headersTimeout: 30_000 })
          .then(async (r) => {
            await r.body.dump();
            return r.statusCode;
          }),
      ),
    );
    const calls = await o.identity.call('calls');
    /** @type {Record<string, number>} */
    const statuses = {};
    for (const s of responses) statuses[s] = (statuses[s] ?? 0) + 1;
    return {
      requests: responses.length,
      ok: statuses[200] ?? 0,
      statuses,
      upstreamCalls: calls.introspect,
    };
  } finally {
    await o.identity.call('clearFaults');
    await pool.close();
  }
}
