// @ts-check
/**
 * Load generation with autocannon (as a library, in the bench's own process) and the
 * measurement of one window: throughput, latency, and the server's CPU and upstream calls
 * during that window only.
 *
 * Requests are pre-built once as raw HTTP/1.1 buffers and shared by every connection.
 * autocannon would otherwise deep-clone and rebuild the whole request list per connection
 * (seconds of work for 1,000 tokens × 50 connections), and its per-request `setupRequest`
 * path costs tens of µs of load-generator CPU per request on this machine: either would
 * distort the figures.
 */
// @ts-expect-error autocannon ships no types; the options used here are documented in its README.
import autocannon from 'autocannon';

/**
 * @typedef {{ requestBuffer: Buffer, onResponse?: (status: number) => void }} SharedRequest
 */

/**
 * Raw `GET /` requests, one per Authorization header value (`undefined`: no header), as
 * autocannon itself would write them.
 * @param {string} url
 * @param {Array<string | undefined>} authorizations
 * @param {(i: number) => ((status: number) => void) | undefined} [onResponse]
 * @returns {SharedRequest[]}
 */
export function buildRequests(url, authorizations, onResponse) {
  const host = new URL(url).host;
  return authorizations.map((authorization, i) => {
    const auth = authorization === undefined ? '' : `authorization: ${authorization}\r\n`;
    const requestBuffer = Buffer.from(
      `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n${auth}\r\n`,
      'utf8',
    );
    return { requestBuffer, onResponse: onResponse?.(i) };
  });
}

/**
 * The Authorization headers for a token set (one `Bearer` header per token), or a single
 * request without one.
 * @param {string[] | undefined} tokens
 */
export function authorizationsFor(tokens) {
  if (!tokens || tokens.length === 0) return [undefined];
  return tokens.map((t) => `Bearer ${t}`);
}

/**
 * Runs autocannon over shared pre-built requests. Each connection starts at its own offset
 * in the list, so the connections do not send the same token at the same moment.
 * @param {{ url: string, connections: number, durationSec: number, requests: SharedRequest[],
 *   timeoutSec?: number, onStart?: () => void, onError?: (error: Error) => void }} o
 * @returns {Promise<any>}
 */
export function cannon(o) {
  let k = 0;
  const step = Math.max(1, Math.floor(o.requests.length / o.connections));
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        duration: o.durationSec,
        timeout: o.timeoutSec ?? 10,
        // A placeholder autocannon builds once per connection; setupClient swaps in the list.
        requests: [{ method: 'GET', path: '/' }],
        setupClient: (/** @type {any} */ client) => {
          const it = client.requestIterator;
          if (!it || !Array.isArray(it.requests)) {
            throw new Error('autocannon internals changed: requestIterator.requests not found');
          }
          const offset = (k++ * step) % o.requests.length;
          it.requests = o.requests;
          it.currentRequestIndex = offset;
          it.currentRequest = o.requests[offset];
        },
      },
      (/** @type {Error | null} */ err, /** @type {any} */ result) =>
        err ? reject(err) : resolve(result),
    );
    if (o.onError) instance.on('reqError', o.onError);
    o.onStart?.();
  });
}

/**
 * @typedef {object} Sample
 * @property {number} requests completed in the measured window
 * @property {number} seconds length of the window
 * @property {number} rps
 * @property {number} p50 latency, ms
 * @property {number} p99 latency, ms
 * @property {number} non2xx
 * @property {number} errors connection errors + timeouts
 * @property {number | undefined} cpuMicros server user+system CPU in the window
 * @property {number | undefined} cpuPerReq
 * @property {number | undefined} upstreamPerReq introspection calls per request
 * @property {number} jwksFetches JWKS fetches during the window (expected 0: keys are cached)
 */

/**
 * Warm-up, then one measured window. autocannon ends a run on its next whole-second tick, so
 * durations are whole seconds. With `warmupSec` 0 (servers already warm from an earlier
 * round), the server is only touched with 200 requests so connections and caches are live.
 * @param {{ url: string, requests: SharedRequest[], authorizations: Array<string | undefined>,
 *   connections: number, warmupSec: number,
 *   durationSec: number, cpu: () => number | undefined,
 *   upstreamCalls?: () => Promise<{ introspect: number, jwks: number }> }} o
 * @returns {Promise<Sample>}
 */
export async function measure(o) {
  const base = { url: o.url, connections: o.connections, requests: o.requests };
  if (o.warmupSec > 0) await cannon({ ...base, durationSec: Math.ceil(o.warmupSec) });
  else await prewarm(o.url, o.authorizations.slice(0, 200));
  // autocannon stops without waiting for requests in flight: let the server finish them, so
  // their CPU and upstream calls are not charged to the measured window.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const calls0 = o.upstreamCalls ? await o.upstreamCalls() : undefined;
  const cpu0 = o.cpu();
  const r = await cannon({ ...base, durationSec: Math.ceil(o.durationSec) });
  const cpu1 = o.cpu();
  const calls1 = o.upstreamCalls ? await o.upstreamCalls() : undefined;
  const requests = r.requests.total;
  const cpuMicros = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
  return {
    requests,
    seconds: r.duration,
    rps: requests / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuMicros,
    cpuPerReq: cpuMicros !== undefined && requests > 0 ? cpuMicros / requests : undefined,
    upstreamPerReq:
      calls0 !== undefined && calls1 !== undefined && requests > 0
        ? (calls1.introspect - calls0.introspect) / requests
        : undefined,
    jwksFetches: calls0 !== undefined && calls1 !== undefined ? calls1.jwks - calls0.jwks : 0,
  };
}

/**
 * Sends each Authorization header once (16 at a time): before the first round, so that a
 * cache under test holds every token; before later windows, as a short warm touch.
 * @param {string} url
 * @param {Array<string | undefined>} authorizations
 */
export async function prewarm(url, authorizations) {
  const { Pool } = await import('undici');
  const pool = new Pool(url, { connections: Math.min(16, authorizations.length) });
  try {
    let next = 0;
    const worker = async () => {
      while (next < authorizations.length) {
        const authorization = authorizations[next++];
        const res = await pool.request({
          method: 'GET',
          path: '/',
          headers: authorization === undefined ? {} : { authorization },
        });
        await res.body.dump();
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, authorizations.length) }, worker));
  } finally {
    await pool.close();
  }
}

/**
 * @param {number[]} values
 * @returns {number | undefined}
 */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
