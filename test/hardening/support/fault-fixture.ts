/**
 * The fixture of the upstream fault matrix, shared by the core run and the adapter run: one
 * identity server behind a counting proxy (which is also the issuer's address, so discovery,
 * JWKS and token requests all go through it), a redirect target that answers validly
 * everywhere and must never be reached, the four upstreams as guard options, and the cells.
 */
import { createGuard, type GuardOptions, type TokenGuardLogger } from '@tokenguard/core';
import {
  createIdentityServer,
  type Fault,
  type FaultEndpoint,
  type IdentityServer,
} from '@tokenguard/testing';
import { vi } from 'vitest';
import type { TableRow } from './error-table.js';
import {
  type CountingProxy,
  startCountingProxy,
  startTinyServer,
  type TinyServer,
} from './loopback.js';

export const TIMEOUT_MS = 300;
/** The one timing assertion allowed: a fault is answered within the timeout plus this. */
export const SLACK_MS = 100;
/**
 * JWKS and discovery remember an outage for 2 s (a burst gets one fetch and a quick 503; see
 * create-remote-key-set.ts and create-discovery.ts). Recovery is checked just past that window,
 * by moving only `Date` forward (STYLE: fake only Date), so the suite does not sleep.
 */
export const REMEMBERED_OUTAGE_MS = 2000;

export type UpstreamName = 'introspection' | 'token endpoint' | 'JWKS' | 'discovery metadata';

/** What is known about an upstream before any server starts (test names are built from it). */
export interface UpstreamKind {
  readonly name: UpstreamName;
  readonly endpoint: FaultEndpoint;
  /** What 401/403 from this upstream means: our credentials (500) or an outage (503). */
  readonly refusedCredentials: TableRow;
  /** Whether an outage is remembered briefly (recovery is checked past that window). */
  readonly remembersOutage: boolean;
}

export const UPSTREAM_KINDS: readonly UpstreamKind[] = [
  {
    name: 'introspection',
    endpoint: 'introspect',
    refusedCredentials: 500,
    remembersOutage: false,
  },
  { name: 'token endpoint', endpoint: 'token', refusedCredentials: 500, remembersOutage: false },
  // Public documents: no credentials of ours are involved, so a refusal is an outage.
  { name: 'JWKS', endpoint: 'jwks', refusedCredentials: 503, remembersOutage: true },
  {
    name: 'discovery metadata',
    endpoint: 'metadata',
    refusedCredentials: 503,
    remembersOutage: true,
  },
];

/** The cells that apply to an upstream. */
export function cellsFor(kind: UpstreamKind): Cell[] {
  return CELLS.filter((cell) => cell.only === undefined || cell.only.includes(kind.endpoint));
}

export interface Upstream extends UpstreamKind {
  /** Options of a guard whose only way to this upstream is the counting proxy. */
  guardOptions(logger: TokenGuardLogger): GuardOptions;
  /** A token this upstream's guard accepts when everything is healthy. */
  token(sub: string): Promise<string>;
  /** Requests this upstream has received. */
  calls(): number;
  /** The path a redirect points to on the target (where a valid answer would be). */
  readonly redirectPath: string;
}

export interface Cell {
  readonly name: string;
  /** The fault to inject; `refused` stops the proxy instead. */
  readonly fault: Fault | 'refused' | ((target: string) => Fault);
  readonly row: (upstream: UpstreamKind) => TableRow;
  /**
   * Guard connections that may stay open (idle, pooled) afterwards: 0 when the exchange never
   * completed, else one per completed request.
   */
  readonly socketsAfter: (upstream: UpstreamKind) => number;
  readonly only?: readonly FaultEndpoint[];
}

const none = () => 0;
const one = () => 1;
/** Discovery falls back to OpenID metadata after a 4xx (RFC 8414 §3): two completed requests. */
const perRequest = (u: UpstreamKind) => (u.endpoint === 'metadata' ? 2 : 1);

export const CELLS: readonly Cell[] = [
  { name: 'hang', fault: { kind: 'hang' }, row: () => 503, socketsAfter: none },
  {
    name: 'slow drip past the timeout',
    fault: { kind: 'drip', intervalMs: 20 },
    row: () => 503,
    socketsAfter: none,
  },
  { name: 'connection reset', fault: { kind: 'reset' }, row: () => 503, socketsAfter: none },
  { name: 'connection refused', fault: 'refused', row: () => 503, socketsAfter: none },
  { name: 'HTTP 500', fault: { kind: 'status', status: 500 }, row: () => 503, socketsAfter: one },
  { name: 'HTTP 503', fault: { kind: 'status', status: 503 }, row: () => 503, socketsAfter: one },
  { name: 'HTML with 200', fault: { kind: 'html' }, row: () => 503, socketsAfter: one },
  {
    name: 'JSON with wrong types',
    fault: { kind: 'wrong-types' },
    row: () => 503,
    socketsAfter: one,
  },
  {
    name: 'active:true with exp in the past (a verdict, not a fault)',
    fault: { kind: 'expired-active' },
    row: () => 401,
    socketsAfter: one,
    only: ['introspect'],
  },
  {
    name: 'a 10 MiB body',
    fault: { kind: 'oversized', bytes: 10 * 1024 * 1024 },
    row: () => 503,
    socketsAfter: none,
  },
  {
    name: 'a redirect to another server (never followed)',
    fault: (target) => ({ kind: 'redirect', location: target }),
    row: () => 503,
    socketsAfter: one,
  },
  {
    name: 'HTTP 401 to our credentials',
    fault: { kind: 'status', status: 401 },
    row: (u) => u.refusedCredentials,
    socketsAfter: perRequest,
  },
  {
    name: 'HTTP 403 to our credentials',
    fault: { kind: 'status', status: 403 },
    row: (u) => u.refusedCredentials,
    socketsAfter: perRequest,
  },
];

export interface FaultFixture {
  readonly idp: IdentityServer;
  readonly proxy: CountingProxy;
  /** The redirect target; `requests` must stay 0. */
  readonly target: TinyServer;
  readonly upstreams: readonly Upstream[];
  /** Injects `cell`'s fault on `upstream` (or stops the proxy). */
  inject(upstream: Upstream, cell: Cell): Promise<void>;
  /** Clears faults and makes sure the proxy listens. */
  heal(): Promise<void>;
  close(): Promise<void>;
}

export async function createFaultFixture(): Promise<FaultFixture> {
  let idpPort = 0;
  const proxy = await startCountingProxy(() => idpPort);
  const idp = await createIdentityServer({ issuer: proxy.url, jwtAlgorithms: ['ES256'] });
  idpPort = Number(new URL(idp.url).port);
  // Answers validly at every path a redirect points to: reaching it would be accepted.
  const target = await startTinyServer((req, res) => {
    const now = Math.floor(Date.now() / 1000);
    const documents: Record<string, unknown> = {
      '/v1/oauth/introspect': { active: true, sub: 'redirected', exp: now + 3600 },
      '/oauth/token': { access_token: 'redirected', token_type: 'Bearer', expires_in: 3600 },
      '/.well-known/jwks.json': idp.jwks(),
      '/.well-known/oauth-authorization-server': {
        issuer: idp.issuer,
        introspection_endpoint: idp.introspectionEndpoint,
      },
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(documents[req.url ?? ''] ?? {}));
  });

  const base = (logger: TokenGuardLogger) => ({
    realm: 'hardening',
    allowInsecureHttp: true,
    logger,
  });
  const bearerAuth = () => ({ method: 'bearer' as const, token: idp.callerToken });

  const kind = (name: UpstreamName) => UPSTREAM_KINDS.find((k) => k.name === name) as UpstreamKind;
  const upstreams: Upstream[] = [
    {
      ...kind('introspection'),
      guardOptions: (logger) => ({
        ...base(logger),
        introspection: {
          endpoint: `${proxy.url}/v1/oauth/introspect`,
          clientAuth: bearerAuth(),
          http: { timeoutMs: TIMEOUT_MS },
          breakerThreshold: 0,
        },
      }),
      token: async (sub) => idp.mintToken({ sub }),
      calls: () => idp.calls.introspect,
      redirectPath: '/v1/oauth/introspect',
    },
    {
      ...kind('token endpoint'),
      guardOptions: (logger) => ({
        ...base(logger),
        introspection: {
          endpoint: `${proxy.url}/v1/oauth/introspect`,
          clientAuth: {
            method: 'client_credentials',
            tokenEndpoint: `${proxy.url}/oauth/token`,
            clientId: idp.defaultClient.clientId,
            clientSecret: idp.defaultClient.clientSecret,
          },
          http: { timeoutMs: TIMEOUT_MS },
          breakerThreshold: 0,
        },
      }),
      token: async (sub) => idp.mintToken({ sub }),
      calls: () => idp.calls.token,
      redirectPath: '/oauth/token',
    },
    {
      ...kind('JWKS'),
      guardOptions: (logger) => ({
        ...base(logger),
        strategy: 'jwt',
        jwt: {
          jwksUri: `${proxy.url}/.well-known/jwks.json`,
          issuer: idp.issuer,
          audience: 'api',
          http: { timeoutMs: TIMEOUT_MS },
        },
      }),
      token: (sub) => idp.mintJwt({ sub }, { alg: 'ES256' }),
      calls: () => idp.calls.jwks,
      redirectPath: '/.well-known/jwks.json',
    },
    {
      ...kind('discovery metadata'),
      guardOptions: (logger) => ({
        ...base(logger),
        issuer: idp.issuer,
        introspection: { clientAuth: bearerAuth(), breakerThreshold: 0 },
        // Discovery is sent under the guard's own bounds.
        http: { timeoutMs: TIMEOUT_MS },
      }),
      token: async (sub) => idp.mintToken({ sub }),
      calls: () => idp.calls.oauthMetadata + idp.calls.openidMetadata,
      redirectPath: '/.well-known/oauth-authorization-server',
    },
  ];

  // Warm every code path once (undici pools, jose key import, discovery), so the first fault
  // cell does not pay module start-up inside its timeout + 100 ms budget.
  const quiet = { warn() {}, error() {} };
  for (const upstream of upstreams) {
    const guard = createGuard(upstream.guardOptions(quiet));
    await guard.authenticate({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${await upstream.token('warm-up')}` },
    });
    await guard.close();
  }

  return {
    idp,
    proxy,
    target,
    upstreams,
    async inject(upstream, cell) {
      if (cell.fault === 'refused') {
        await proxy.stop();
        return;
      }
      const fault =
        typeof cell.fault === 'function'
          ? cell.fault(`${target.url}${upstream.redirectPath}`)
          : cell.fault;
      idp.injectFault(upstream.endpoint, fault);
    },
    async heal() {
      idp.clearFaults();
      await proxy.start();
    },
    async close() {
      await target.close();
      await idp.close();
      await proxy.stop();
    },
  };
}

/** Runs `fn` with `Date` moved past the remembered-outage window (real time keeps flowing). */
export async function pastRememberedOutage<T>(fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({
    toFake: ['Date'],
    now: Date.now() + REMEMBERED_OUTAGE_MS + 500,
    shouldAdvanceTime: true,
  });
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}
