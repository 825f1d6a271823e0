// @ts-check
/**
 * The stand-in identity service for the bench, in its own process so that its CPU is not
 * charged to the server under test. Driven by the parent over IPC (see lib/rpc.js).
 */
import { createIdentityServer } from '@tokenguard/testing';
import { createRpc } from '../lib/rpc.js';

// RS256 only: the bench never signs with another algorithm, and key generation is slow.
const idp = await createIdentityServer({ port: 0, jwtAlgorithms: ['RS256'] });

/**
 * `{i}` in a string claim becomes the token's index, so bulk tokens can differ (e.g. `sub`).
 * @param {Record<string, unknown> | undefined} claims
 * @param {number} i
 */
function claimsFor(claims, i) {
  if (!claims) return undefined;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(claims)) {
    out[k] = typeof v === 'string' ? v.replaceAll('{i}', String(i)) : v;
  }
  return out;
}

createRpc(process, {
  /** @param {{ n: number, claims?: Record<string, unknown>, offset?: number }} a */
  mintTokens: ({ n, claims, offset = 0 }) =>
    Array.from({ length: n }, (_, i) => idp.mintToken(claimsFor(claims, offset + i))),
  /** @param {{ n: number, claims?: Record<string, unknown>, options?: object }} a */
  mintJwts: async ({ n, claims, options }) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await idp.mintJwt(claimsFor(claims, i), options));
    return out;
  },
  /** @param {{ kind: import('@tokenguard/testing').BadJwtKind, claims?: Record<string, unknown> }} a */
  mintBadJwt: ({ kind, claims }) => idp.mintBadJwt(kind, claims),
  /** @param {{ endpoint: import('@tokenguard/testing').FaultEndpoint, fault: import('@tokenguard/testing').Fault, times?: number }} a */
  injectFault: ({ endpoint, fault, times }) => {
    idp.injectFault(endpoint, fault, times);
    return null;
  },
  clearFaults: () => {
    idp.clearFaults();
    return null;
  },
  calls: () => ({ ...idp.calls }),
  resetCalls: () => {
    idp.resetCalls();
    return null;
  },
});

process.on('disconnect', async () => {
  await idp.close();
  process.exit(0);
});

process.send?.({
  type: 'ready',
  info: {
    url: idp.url,
    issuer: idp.issuer,
    introspectionEndpoint: idp.introspectionEndpoint,
    jwksUri: idp.jwksUri,
    callerToken: idp.callerToken,
    publicKeyPem: idp.publicKey('RS256').export({ type: 'spki', format: 'pem' }),
  },
});
