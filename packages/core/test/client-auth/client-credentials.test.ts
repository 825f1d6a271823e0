import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIdentityServer, type Fault, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServerError, UpstreamUnavailableError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { applied, authenticator, introspectWith, rejection } from './helpers.js';

let idp: IdentityServer;
let http: HttpClient;

beforeAll(async () => {
  idp = await createIdentityServer({ jwtAlgorithms: ['ES256'], accessTokenTtlSec: 60 });
  http = createHttpClient({ timeoutMs: 2000, maxResponseBytes: 65_536 });
});
afterEach(() => {
  idp.clearFaults();
  vi.useRealTimers();
});
afterAll(async () => {
  await http.close();
  await idp.close();
});

function clientCredentials(extra: Record<string, unknown> = {}, server = idp, client = http) {
  return authenticator(
    { method: 'client_credentials', ...server.defaultClient, ...extra },
    client,
    server.tokenEndpoint,
  );
}

/** Token requests the identity server received during `fn`. */
async function tokenCallsDuring(fn: () => Promise<unknown>, server = idp): Promise<number> {
  const before = server.calls.token;
  await fn();
  return server.calls.token - before;
}

describe('client_credentials: caching and single flight', () => {
  it('RFC 6749 §4.4: the token is fetched once and reused while fresh', async () => {
    const { auth, tokenRequests } = clientCredentials();
    let first = '';
    let second = '';
    const calls = await tokenCallsDuring(async () => {
      first = (await applied(auth)).headers.authorization!;
      second = (await applied(auth)).headers.authorization!;
    });
    expect(calls).toBe(1);
    expect(tokenRequests()).toBe(1);
    expect(second).toBe(first);
    expect(first).toMatch(/^Bearer /);
  });

  it('exactly ONE token request however many (200) concurrent introspections wait', async () => {
    const { auth, tokenRequests } = clientCredentials();
    // Hold the answer back so that all 200 callers are surely waiting on it.
    idp.injectFault('token', { kind: 'delay', ms: 100 }, 1);
    let headers: string[] = [];
    const calls = await tokenCallsDuring(async () => {
      const results = await Promise.all(Array.from({ length: 200 }, () => applied(auth)));
      headers = results.map((r) => r.headers.authorization!);
    });
    expect(calls).toBe(1);
    expect(tokenRequests()).toBe(1);
    expect(new Set(headers).size).toBe(1);
    const answer = await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken());
    expect(answer.status).toBe(200);
  });

  it('a failed refresh is not cached: 50 waiters share the failure, the next call tries again', async () => {
    const { auth } = clientCredentials();
    idp.injectFault('token', { kind: 'status', status: 503 }, 1);
    const calls = await tokenCallsDuring(async () => {
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => applied(auth)));
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(UpstreamUnavailableError);
      }
    });
    expect(calls).toBe(1);
    expect(await tokenCallsDuring(() => applied(auth))).toBe(1);
    expect(await tokenCallsDuring(() => applied(auth))).toBe(0);
  });

  it('the token endpoint is resolved lazily, and a failed resolution is retried', async () => {
    let resolutions = 0;
    const { auth } = authenticator(
      { method: 'client_credentials', ...idp.defaultClient },
      http,
      async () => {
        resolutions += 1;
        if (resolutions === 1) throw new UpstreamUnavailableError({ message: 'discovery failed' });
        return new URL(idp.tokenEndpoint);
      },
    );
    expect(resolutions).toBe(0);
    expect(await rejection(() => applied(auth))).toBeInstanceOf(UpstreamUnavailableError);
    expect((await applied(auth)).headers.authorization).toMatch(/^Bearer /);
    expect(resolutions).toBe(2);
  });
});

describe('client_credentials: expiry and refresh (only Date is faked)', () => {
  let shortLived: IdentityServer;
  beforeAll(async () => {
    shortLived = await createIdentityServer({ jwtAlgorithms: ['ES256'], accessTokenTtlSec: 2 });
  });
  afterAll(() => shortLived.close());

  it('refreshes at expires_in − refreshSkewSec (60 − 30 s by default)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { auth } = clientCredentials();
    const first = (await applied(auth)).headers.authorization;
    vi.setSystemTime(t0 + 29_999);
    expect(
      await tokenCallsDuring(async () =>
        expect((await applied(auth)).headers.authorization).toBe(first),
      ),
    ).toBe(0);
    vi.setSystemTime(t0 + 30_000);
    const before = idp.calls.token;
    const refreshed = (await applied(auth)).headers.authorization;
    expect(idp.calls.token - before).toBe(1);
    expect(refreshed).not.toBe(first);
    expect(
      (await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken())).status,
    ).toBe(200);
  });

  it('a short expires_in (2 s) with skew 0 is reused for its whole life, then refreshed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { auth } = clientCredentials({ refreshSkewSec: 0 }, shortLived);
    const first = (await applied(auth)).headers.authorization;
    vi.setSystemTime(t0 + 1999);
    expect(await tokenCallsDuring(() => applied(auth), shortLived)).toBe(0);
    vi.setSystemTime(t0 + 2000);
    const before = shortLived.calls.token;
    const refreshed = (await applied(auth)).headers.authorization;
    expect(shortLived.calls.token - before).toBe(1);
    expect(refreshed).not.toBe(first);
    const answer = await introspectWith(
      http,
      auth,
      shortLived.introspectionEndpoint,
      shortLived.mintToken(),
    );
    expect(answer.status).toBe(200);
  });

  it('a lifetime shorter than twice the skew is refreshed at half its life, never per request', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { auth } = clientCredentials({}, shortLived);
    await applied(auth);
    vi.setSystemTime(t0 + 999);
    expect(await tokenCallsDuring(() => applied(auth), shortLived)).toBe(0);
    vi.setSystemTime(t0 + 1000);
    expect(await tokenCallsDuring(() => applied(auth), shortLived)).toBe(1);
  });

  it('RFC 6749 §5.1: without expires_in the token lives 300 s (refreshed at 270 s); token_type is case-insensitive', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const body = JSON.stringify({ access_token: 'no-expiry-token', token_type: 'BEARER' });
    idp.injectFault('token', { kind: 'status', status: 200, body }, 1);
    const { auth } = clientCredentials();
    expect((await applied(auth)).headers.authorization).toBe('Bearer no-expiry-token');
    vi.setSystemTime(t0 + 269_999);
    expect(await tokenCallsDuring(() => applied(auth))).toBe(0);
    vi.setSystemTime(t0 + 270_000);
    expect(await tokenCallsDuring(() => applied(auth))).toBe(1);
  });

  it('expires_in sent as a decimal string is accepted', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const body = JSON.stringify({
      access_token: 'string-expiry',
      token_type: 'Bearer',
      expires_in: '100',
    });
    idp.injectFault('token', { kind: 'status', status: 200, body }, 1);
    const { auth } = clientCredentials();
    await applied(auth);
    vi.setSystemTime(t0 + 69_999);
    expect(await tokenCallsDuring(() => applied(auth))).toBe(0);
  });
});

describe('client_credentials: our token refused by the introspection endpoint (401)', () => {
  it('invalidate() drops the cached token and answers true; exactly one refresh follows', async () => {
    const { auth } = clientCredentials();
    const first = (await applied(auth)).headers.authorization;
    expect(auth.invalidate()).toBe(true);
    const before = idp.calls.token;
    const second = (await applied(auth)).headers.authorization;
    expect(idp.calls.token - before).toBe(1);
    expect(second).not.toBe(first);
    expect(await tokenCallsDuring(() => applied(auth))).toBe(0);
  });

  it('recovers after a forced 401: the revoked token is refreshed once and the retry succeeds', async () => {
    const { auth } = clientCredentials();
    const first = (await applied(auth)).headers.authorization!;
    idp.revoke(first.slice('Bearer '.length));
    const refused = await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken());
    expect(refused.status).toBe(401);
    expect(auth.invalidate(refused.sent)).toBe(true);
    const retried = await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken());
    expect(retried.status).toBe(200);
    expect(retried.sent.authorization).not.toBe(first);
  });

  it('200 requests refused together cause one refresh, even when some report it after it finished', async () => {
    const { auth } = clientCredentials();
    const old = (await applied(auth)).headers;
    idp.revoke(old.authorization!.slice('Bearer '.length));
    let fresh: string[] = [];
    const calls = await tokenCallsDuring(async () => {
      const retry = async () => {
        auth.invalidate(old);
        return (await applied(auth)).headers.authorization!;
      };
      // Half report the 401 while the refresh is in flight, half after it has finished.
      const early = await Promise.all(Array.from({ length: 100 }, retry));
      const late = await Promise.all(Array.from({ length: 100 }, retry));
      fresh = [...early, ...late];
    });
    expect(calls).toBe(1);
    expect(new Set(fresh).size).toBe(1);
    expect(fresh[0]).not.toBe(old.authorization);
    const answer = await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken());
    expect(answer.status).toBe(200);
  });
});

describe('client_credentials: token endpoint failures', () => {
  const outages: [string, Fault][] = [
    ['HTTP 503', { kind: 'status', status: 503 }],
    ['HTTP 500', { kind: 'status', status: 500 }],
    ['HTTP 429', { kind: 'status', status: 429 }],
    ['a redirect (never followed)', { kind: 'redirect', location: 'http://127.0.0.1:1/elsewhere' }],
    ['a connection reset', { kind: 'reset' }],
    ['an HTML page', { kind: 'html' }],
    ['invalid JSON', { kind: 'non-json' }],
    ['wrong types', { kind: 'wrong-types' }],
    ['an oversized body', { kind: 'oversized', bytes: 70_000 }],
  ];
  it.each(outages)('%s → UpstreamUnavailableError (503)', async (_name, fault) => {
    idp.injectFault('token', fault, 1);
    const error = await rejection(() => applied(clientCredentials().auth));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(503);
  });

  it('a hanging token endpoint → UpstreamUnavailableError after the timeout', async () => {
    const quick = createHttpClient({ timeoutMs: 200, maxResponseBytes: 65_536 });
    try {
      idp.injectFault('token', { kind: 'hang' }, 1);
      const error = await rejection(() => applied(clientCredentials({}, idp, quick).auth));
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error.message).toMatch(/timed out/);
    } finally {
      await quick.close();
    }
  });

  it('a token endpoint that is down (connection refused) → UpstreamUnavailableError', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { auth } = authenticator(
      { method: 'client_credentials', ...idp.defaultClient },
      http,
      `http://127.0.0.1:${port}/oauth/token`,
    );
    expect(await rejection(() => applied(auth))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('RFC 6749 §5.2: a wrong secret (invalid_client) → ServerError (500) naming the code, not the secret', async () => {
    const secret = 'Wrong-Secret-4711';
    const { auth } = authenticator(
      { method: 'client_credentials', clientId: idp.defaultClient.clientId, clientSecret: secret },
      http,
      idp.tokenEndpoint,
    );
    const error = await rejection(() => applied(auth));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(500);
    expect(error.message).toContain('HTTP 401');
    expect(error.message).toContain("'invalid_client'");
    expect(error.message).not.toContain(secret);
  });

  it.each([400, 403])('HTTP %i from the token endpoint → ServerError', async (status) => {
    idp.injectFault('token', { kind: 'status', status }, 1);
    expect(await rejection(() => applied(clientCredentials().auth))).toBeInstanceOf(ServerError);
  });

  const badAnswers: [string, Record<string, unknown>][] = [
    ['no access_token', { token_type: 'Bearer', expires_in: 60 }],
    [
      'an access_token that cannot be a header value',
      { access_token: 'a b\r\nx: y', token_type: 'Bearer' },
    ],
    ['an empty access_token', { access_token: '', token_type: 'Bearer' }],
    ['no token_type', { access_token: 'abc', expires_in: 60 }],
    ['token_type DPoP', { access_token: 'abc', token_type: 'DPoP', expires_in: 60 }],
    ['expires_in 0', { access_token: 'abc', token_type: 'Bearer', expires_in: 0 }],
    ['a negative expires_in', { access_token: 'abc', token_type: 'Bearer', expires_in: -5 }],
    ['expires_in "soon"', { access_token: 'abc', token_type: 'Bearer', expires_in: 'soon' }],
  ];
  it.each(badAnswers)(
    'RFC 6749 §5.1: a 200 with %s → UpstreamUnavailableError, nothing cached',
    async (_name, body) => {
      idp.injectFault('token', { kind: 'status', status: 200, body: JSON.stringify(body) }, 1);
      const { auth } = clientCredentials();
      expect(await rejection(() => applied(auth))).toBeInstanceOf(UpstreamUnavailableError);
      expect(await tokenCallsDuring(() => applied(auth))).toBe(1);
    },
  );
});
