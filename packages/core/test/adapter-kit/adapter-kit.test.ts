/**
 * The adapter kit's own rules, without a framework (the conformance suite runs them through
 * every adapter over HTTP): option split and checks, the passed 5xx view, onError, views.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { createIdentityServer } from '@tokenguard/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAdapter,
  fetchRequestView,
  hasFormBody,
  kAdapter,
  kGuard,
  nodeRequestView,
} from '../../src/adapter-kit/index.js';
import { createGuard } from '../../src/create-guard.js';
import {
  InvalidRequestError,
  MissingTokenError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
} from '../../src/errors.js';
import type { TokenGuard } from '../../src/guard-types.js';
import type { GuardOptions } from '../../src/options/types.js';
import { extractBearerToken } from '../../src/token/extract-bearer-token.js';
import type { AuthContext } from '../../src/types.js';

const quiet = { warn() {}, error() {} };
const options: GuardOptions = {
  logger: quiet,
  introspection: {
    endpoint: 'https://idp.example/introspect',
    clientAuth: { method: 'bearer', token: 'caller' },
  },
};
const guards: TokenGuard[] = [];
afterEach(async () => {
  await Promise.all(guards.splice(0).map((g) => g.close()));
});
const adapterFor = (...args: Parameters<typeof createAdapter>) => {
  const adapter = createAdapter(...args);
  guards.push(adapter.guard);
  return adapter;
};
const view = nodeRequestView('GET', '/', { headers: {}, rawHeaders: [] }, undefined);

describe('createAdapter: options split and checked once', () => {
  it('adapter keys are taken out before the guard sees the options; the guard is owned', () => {
    const adapter = adapterFor({ ...options, passErrors: true, requestProperty: 'user' });
    expect(adapter).toMatchObject({ owned: true, passErrors: true, property: 'user' });
  });

  it('a prebuilt guard is shared, not owned, and close() leaves it open', async () => {
    const guard = createGuard(options);
    guards.push(guard);
    const adapter = createAdapter(guard, { passErrors: false });
    expect(adapter).toMatchObject({ guard, owned: false, property: 'auth' });
    await adapter.close();
    expect(() => guard.metrics()).not.toThrow();
  });

  it.each([
    [{ passErrors: 'yes' }, 'passErrors'],
    [{ onError: 'problem' }, 'onError'],
    [{ requestProperty: '__proto__' }, 'requestProperty'],
    [{ requestProperty: 'a-b' }, 'requestProperty'],
    [{ requestProperty: 7 }, 'requestProperty'],
  ])('a bad adapter option %j throws naming %s', (bad, option) => {
    expect(() => createAdapter({ ...options, ...bad } as never)).toThrow(
      expect.objectContaining({ name: 'TokenGuardConfigError', option }),
    );
  });

  it('{ guard } cannot be combined with guard options; framework keys come back apart', () => {
    const guard = createGuard(options);
    guards.push(guard);
    expect(() => createAdapter({ guard, realm: 'x' })).toThrow(TokenGuardConfigError);
    const adapter = createAdapter(
      { guard, hook: 'onRequest', prefix: '/x' },
      {},
      ['hook'],
      ['prefix'],
    );
    expect(adapter.frameworkOptions).toEqual({ hook: 'onRequest' });
  });

  it('tags a request with the guard and the adapter under Symbol.for keys', () => {
    const adapter = adapterFor(options);
    const req = {};
    adapter.tag(req);
    expect(Object.keys(req)).toEqual([]);
    expect((req as Record<symbol, unknown>)[kGuard]).toBe(adapter.guard);
    expect((req as Record<symbol, unknown>)[kAdapter]).toBe(adapter);
    expect(kGuard).toBe(Symbol.for('tokenguard.guard'));
  });
});

describe('answers and passed errors', () => {
  it('the default answer: the guard status and challenge, a JSON body', async () => {
    const adapter = adapterFor({ ...options, realm: 'r' });
    const refusal = await Promise.resolve(adapter.guard.authenticate(view)).catch((e) => e);
    const answer = adapter.answer(refusal, view);
    expect(answer.status).toBe(401);
    expect(answer.headers).toMatchObject({
      'www-authenticate': 'Bearer realm="r"',
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'missing_token' });
  });

  it('RFC 9457: onError chooses the body and type; status and challenge stay the guard’s', () => {
    const adapter = adapterFor({
      ...options,
      onError: (error: TokenGuardError) => ({
        contentType: 'application/problem+json',
        body: { title: error.description, status: error.status, code: error.code },
      }),
    });
    const answer = adapter.answer(new InvalidRequestError('two tokens'), view);
    expect(answer.status).toBe(400);
    expect(answer.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toEqual({
      title: 'two tokens',
      status: 400,
      code: 'invalid_request',
    });
  });

  it('an onError that throws or returns junk falls back to the default body, logged', () => {
    const logged: string[] = [];
    const adapter = adapterFor({
      ...options,
      logger: { warn() {}, error: (m: string) => logged.push(m) },
      onError: () => {
        throw new Error('formatter bug');
      },
    });
    const answer = adapter.answer(new MissingTokenError(), view);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'missing_token' });
    expect(logged).toHaveLength(1);
  });

  it('a passed 5xx: message is the public description, detail hidden, expose false', () => {
    const adapter = adapterFor(options);
    const original = new UpstreamUnavailableError({ message: 'introspection endpoint timed out' });
    const passed = adapter.passed(original) as TokenGuardError & { detail: string };
    expect(passed).toBeInstanceOf(TokenGuardError);
    expect(passed).toMatchObject({ status: 503, code: 'temporarily_unavailable', expose: false });
    expect(passed.message).toBe(original.description);
    expect(passed.detail).toBe('introspection endpoint timed out');
    expect(Object.keys(passed)).not.toContain('detail');
    expect(passed.stack).not.toContain('timed out');
    expect(original.message).toBe('introspection endpoint timed out');
    const client = new MissingTokenError();
    expect(adapter.passed(client)).toBe(client);
    expect(client.expose).toBe(true);
  });
});

describe('request views', () => {
  const settings = { allowQueryToken: false, allowBodyToken: false, maxHeaderBytes: 8192 };

  it('RFC 9110 §5.3 / RFC 6750 §2: two Authorization fields joined by Fetch Headers → 400', () => {
    const headers = new Headers();
    headers.append('authorization', 'Bearer a');
    headers.append('authorization', 'Bearer b');
    const fetchView = fetchRequestView(new Request('http://x.test/p?q=1', { headers }));
    expect(fetchView).toMatchObject({ url: '/p?q=1', combinedHeaders: true });
    expect(() => extractBearerToken(fetchView, settings)).toThrow(InvalidRequestError);
    const other = new Headers();
    other.append('authorization', 'Basic dXNlcjpwYXNz');
    other.append('authorization', 'Bearer b');
    expect(() =>
      extractBearerToken(
        fetchRequestView(new Request('http://x.test/', { headers: other })),
        settings,
      ),
    ).toThrow('more than one Authorization header');
  });

  it('a single Fetch Authorization field reads as in Node; another scheme’s commas are its own', () => {
    const one = new Request('http://x.test/', { headers: { authorization: 'Bearer abc' } });
    expect(extractBearerToken(fetchRequestView(one), settings)).toBe('abc');
    const digest = new Request('http://x.test/', {
      headers: { authorization: 'Digest username="a", realm="b"' },
    });
    expect(extractBearerToken(fetchRequestView(digest), settings)).toBeUndefined();
  });

  it('RFC 6750 §2.2: only non-GET/HEAD form posts may carry a body token', () => {
    expect(hasFormBody('POST', 'application/x-www-form-urlencoded; charset=utf-8')).toBe(true);
    expect(hasFormBody('GET', 'application/x-www-form-urlencoded')).toBe(false);
    expect(hasFormBody('POST', 'application/json')).toBe(false);
    expect(hasFormBody('POST', null)).toBe(false);
  });
});

describe('the hit path: a cached verdict without a promise', () => {
  const request = (token: string) =>
    nodeRequestView(
      'GET',
      '/',
      {
        headers: { authorization: `Bearer ${token}` },
        rawHeaders: ['Authorization', `Bearer ${token}`],
      },
      undefined,
    );

  it('a miss is a promise; the same token again is a value; guard.authenticate stays a promise', async () => {
    const idp = await createIdentityServer();
    try {
      const adapter = adapterFor({
        logger: quiet,
        issuer: idp.issuer,
        jwt: { audience: 'api' },
        allowInsecureHttp: true,
      });
      const good = await idp.mintJwt({ sub: 'alice', aud: 'api' });
      const miss = adapter.authenticate(request(good));
      expect(miss).toBeInstanceOf(Promise);
      expect((await miss)?.claims.sub).toBe('alice');
      const hit = adapter.authenticate(request(good));
      expect(hit).not.toBeInstanceOf(Promise);
      expect((hit as AuthContext).claims.sub).toBe('alice');
      expect(adapter.guard.authenticate(request(good))).toBeInstanceOf(Promise);

      // A cached refusal is thrown at once, with the same answer as the first time.
      const other = await idp.mintJwt({ sub: 'bob', aud: 'another-api' });
      await expect(adapter.authenticate(request(other))).rejects.toMatchObject({ status: 401 });
      expect(() => adapter.authenticate(request(other))).toThrow(TokenGuardError);
      expect(() => adapter.authenticate(view)).toThrow(MissingTokenError);
    } finally {
      await idp.close();
    }
  });

  it('while a tracer listens, every call is traced (and so a promise)', async () => {
    const idp = await createIdentityServer();
    const traced: unknown[] = [];
    const onStart = (message: unknown) => traced.push(message);
    tracingChannel('tokenguard:validate').start.subscribe(onStart);
    try {
      const adapter = adapterFor({
        logger: quiet,
        issuer: idp.issuer,
        jwt: { audience: 'api' },
        allowInsecureHttp: true,
      });
      const good = await idp.mintJwt({ sub: 'alice', aud: 'api' });
      await adapter.authenticate(request(good));
      const again = adapter.authenticate(request(good));
      expect(again).toBeInstanceOf(Promise);
      expect((await again)?.claims.sub).toBe('alice');
      expect(traced).toHaveLength(2);
    } finally {
      tracingChannel('tokenguard:validate').start.unsubscribe(onStart);
      await idp.close();
    }
  });
});
