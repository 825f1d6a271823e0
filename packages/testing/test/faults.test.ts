import { createIdentityServer, type Fault, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { basic, json } from './helpers.js';

let server: IdentityServer;

beforeAll(async () => {
  server = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
});
afterEach(() => server.clearFaults());
afterAll(() => server.close());

function introspect(signal?: AbortSignal): Promise<Response> {
  return fetch(server.introspectionEndpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.callerToken}` },
    body: new URLSearchParams({ token: server.mintToken() }),
    signal: signal ?? null,
  });
}

describe('fault injection on the introspection endpoint', () => {
  it('delay: answers normally, not before the delay', async () => {
    server.injectFault('introspect', { kind: 'delay', ms: 150 });
    const started = performance.now();
    const res = await introspect();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect((await json(res)).active).toBe(true);
  });

  it('hang: never answers (the client times out)', async () => {
    server.injectFault('introspect', { kind: 'hang' });
    await expect(introspect(AbortSignal.timeout(150))).rejects.toThrow();
  });

  it('drip: 200 with a JSON content type, bytes keep coming, the body never ends', async () => {
    server.injectFault('introspect', { kind: 'drip', intervalMs: 5 });
    const controller = new AbortController();
    const res = await introspect(controller.signal);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 4) {
      const chunk = await reader.read();
      expect(chunk.done).toBe(false);
      received += chunk.value!.length;
    }
    controller.abort();
  });

  it('reset: the connection is destroyed without an answer', async () => {
    server.injectFault('introspect', { kind: 'reset' });
    await expect(introspect()).rejects.toThrow();
  });

  it.each([500, 502, 401, 403])(
    'status %i: answers that status with an OAuth error body',
    async (status) => {
      server.injectFault('introspect', { kind: 'status', status });
      const res = await introspect();
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(typeof (await json(res)).error).toBe('string');
    },
  );

  it('status with a custom body and content type', async () => {
    server.injectFault('introspect', {
      kind: 'status',
      status: 503,
      body: 'down',
      contentType: 'text/plain',
    });
    const res = await introspect();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('down');
  });

  it('html: 200 text/html', async () => {
    server.injectFault('introspect', { kind: 'html' });
    const res = await introspect();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<html/);
  });

  it('non-json: 200 application/json that does not parse', async () => {
    server.injectFault('introspect', { kind: 'non-json' });
    const res = await introspect();
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('wrong-types: active is the string "true" and exp a string', async () => {
    server.injectFault('introspect', { kind: 'wrong-types' });
    expect(await json(await introspect())).toEqual({ active: 'true', exp: 'soon' });
  });

  it('expired-active: active true with an exp in the past', async () => {
    server.injectFault('introspect', { kind: 'expired-active' });
    const body = await json(await introspect());
    expect(body.active).toBe(true);
    expect(body.exp).toBeLessThan(Math.floor(Date.now() / 1000));
  });

  it('oversized: a JSON body of exactly the requested size', async () => {
    server.injectFault('introspect', { kind: 'oversized', bytes: 200_000 });
    const res = await introspect();
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(Buffer.byteLength(text)).toBe(200_000);
    expect(JSON.parse(text).active).toBe(true);
  });

  it('redirect: 302 (or the given status) to the location', async () => {
    server.injectFault('introspect', { kind: 'redirect', location: 'http://127.0.0.1:1/x' });
    const res = await fetch(server.introspectionEndpoint, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:1/x');
    server.injectFault('introspect', { kind: 'redirect', location: '/elsewhere', status: 307 });
    const res2 = await fetch(server.introspectionEndpoint, { method: 'POST', redirect: 'manual' });
    expect(res2.status).toBe(307);
  });
});

describe('fault lifecycle', () => {
  it('times limits the fault to that many requests, then answers normally', async () => {
    server.injectFault('introspect', { kind: 'status', status: 500 }, 2);
    expect((await introspect()).status).toBe(500);
    expect((await introspect()).status).toBe(500);
    expect((await introspect()).status).toBe(200);
  });

  it('without times the fault lasts until clearFaults()', async () => {
    server.injectFault('introspect', { kind: 'status', status: 502 });
    for (let i = 0; i < 3; i++) expect((await introspect()).status).toBe(502);
    server.clearFaults();
    expect((await introspect()).status).toBe(200);
  });

  it('faulted requests are counted', async () => {
    server.resetCalls();
    server.injectFault('introspect', { kind: 'status', status: 500 }, 1);
    await introspect();
    await introspect();
    expect(server.calls.introspect).toBe(2);
  });

  it('faults apply before authentication (an unauthenticated call still gets the fault)', async () => {
    server.injectFault('introspect', { kind: 'status', status: 502 }, 1);
    const res = await fetch(server.introspectionEndpoint, { method: 'POST' });
    expect(res.status).toBe(502);
  });

  it.each<[string, Fault, number | undefined]>([
    ['an unknown kind', { kind: 'explode' } as unknown as Fault, undefined],
    ['a negative delay', { kind: 'delay', ms: -1 }, undefined],
    ['a status outside 200–599', { kind: 'status', status: 99 }, undefined],
    ['times of 0', { kind: 'hang' }, 0],
  ])('injecting %s throws a TypeError', (_n, fault, times) => {
    expect(() => server.injectFault('introspect', fault, times)).toThrow(TypeError);
  });
});

describe('faults on the other endpoints', () => {
  it('token endpoint: status 503', async () => {
    server.injectFault('token', { kind: 'status', status: 503 }, 1);
    const res = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: basic(server.defaultClient.clientId, server.defaultClient.clientSecret),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(503);
    expect(server.calls.token).toBeGreaterThan(0);
  });

  it('token endpoint: wrong-types gives a token response of the wrong shape', async () => {
    server.injectFault('token', { kind: 'wrong-types' }, 1);
    const res = await fetch(server.tokenEndpoint, { method: 'POST' });
    expect((await json(res)).expires_in).toBe('soon');
  });

  it('jwks: non-json', async () => {
    server.injectFault('jwks', { kind: 'non-json' }, 1);
    const text = await (await fetch(server.jwksUri)).text();
    expect(() => JSON.parse(text)).toThrow();
    expect((await json(await fetch(server.jwksUri))).keys).toHaveLength(1);
  });

  it("'metadata' covers both well-known documents", async () => {
    server.injectFault('metadata', { kind: 'status', status: 500 });
    expect((await fetch(`${server.url}/.well-known/oauth-authorization-server`)).status).toBe(500);
    expect((await fetch(`${server.url}/.well-known/openid-configuration`)).status).toBe(500);
    server.clearFaults();
    expect((await fetch(`${server.url}/.well-known/openid-configuration`)).status).toBe(200);
  });
});

describe('close()', () => {
  it('ends hung and dripping answers and resolves', async () => {
    const local = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
    const post = (signal?: AbortSignal) =>
      fetch(local.introspectionEndpoint, { method: 'POST', signal: signal ?? null });
    const arrived = async (n: number) => {
      while (local.calls.introspect < n) await new Promise((r) => setTimeout(r, 5));
    };
    local.injectFault('introspect', { kind: 'hang' }, 1);
    const hung = post().then(
      () => 'answered',
      () => 'failed',
    );
    // Wait until the hang has taken its request so the next fault cannot replace it first.
    await arrived(1);
    local.injectFault('introspect', { kind: 'drip', intervalMs: 5 }, 1);
    const dripping = await post();
    const drained = dripping.text().then(
      () => 'finished',
      () => 'failed',
    );
    await local.close();
    expect(await hung).toBe('failed');
    expect(await drained).toBe('failed');
    await expect(post()).rejects.toThrow();
  });

  it('is idempotent', async () => {
    const local = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
    await Promise.all([local.close(), local.close()]);
    await local.close();
  });
});
