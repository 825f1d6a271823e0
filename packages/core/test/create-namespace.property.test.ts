/**
 * the cache namespace covers everything that can change a verdict,
 * the introspection caller's identity included, and nothing it cannot serialise faithfully.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/create-memory-store.js';
import type { GuardOptions } from '../src/options/types.js';
import { normalizeOptions } from '../src/settings/normalize-options.js';

const quiet = { warn() {}, error() {} };

/** A guard with both strategies, so every validity setting is in play. */
function base(): GuardOptions {
  return {
    allowInsecureHttp: true,
    logger: quiet,
    issuer: 'https://id.example',
    introspection: {
      endpoint: 'https://id.example/v1/oauth/introspect',
      clientAuth: { method: 'client_secret_basic', clientId: 'orders', clientSecret: 's1' },
    },
    jwt: { audience: 'orders-api', jwksUri: 'https://id.example/jwks.json' },
  };
}

const namespaceOf = (options: GuardOptions) => normalizeOptions(options).namespace;

type Change = (options: GuardOptions, word: string) => GuardOptions;

/** Every setting that changes which tokens are valid, and how to change it. */
const VALIDITY_CHANGES: Record<string, Change> = {
  issuer: (o, w) => ({ ...o, issuer: `https://${w}.example` }),
  strategy: (o) => ({ ...o, strategy: 'introspection' }),
  clockToleranceSec: (o, w) => ({ ...o, clockToleranceSec: 6 + w.length }),
  'introspection.endpoint': (o, w) => ({
    ...o,
    introspection: { ...o.introspection, endpoint: `https://id.example/${w}/introspect` },
  }),
  'introspection.clientAuth (client id)': (o, w) => ({
    ...o,
    introspection: {
      ...o.introspection,
      clientAuth: { method: 'client_secret_basic', clientId: `c-${w}`, clientSecret: 's1' },
    },
  }),
  'introspection.clientAuth (method)': (o) => ({
    ...o,
    introspection: {
      ...o.introspection,
      clientAuth: { method: 'client_secret_post', clientId: 'orders', clientSecret: 's1' },
    },
  }),
  'introspection.clientAuth (static bearer token)': (o, w) => ({
    ...o,
    introspection: { ...o.introspection, clientAuth: { method: 'bearer', token: `tok-${w}` } },
  }),
  'jwt.audience': (o, w) => ({ ...o, jwt: { ...o.jwt, audience: `aud-${w}` } }),
  'jwt.issuer': (o, w) => ({ ...o, jwt: { ...o.jwt, issuer: `https://${w}.iss.example` } }),
  'jwt.jwksUri': (o, w) => ({
    ...o,
    jwt: { audience: 'orders-api', jwksUri: `https://keys.example/${w}/jwks.json` },
  }),
  'jwt.algorithms': (o) => ({ ...o, jwt: { ...o.jwt, algorithms: ['ES256'] } }),
  'jwt.requireTyp': (o) => ({ ...o, jwt: { ...o.jwt, requireTyp: false } }),
  'jwt.maxTokenAgeSec': (o, w) => ({ ...o, jwt: { ...o.jwt, maxTokenAgeSec: 60 + w.length } }),
  'jwt.secret': (o, w) => ({
    ...o,
    jwt: { audience: 'orders-api', secret: `${w}-0123456789abcdef0123456789abcdef` },
  }),
  'cache.namespace': (o, w) => ({ ...o, cache: { namespace: `svc-${w}` } }),
};

/** Settings that only shape how we call: sharing entries across them is safe. */
const OPERATIONAL_CHANGES: Record<string, Change> = {
  realm: (o, w) => ({ ...o, realm: w }),
  'introspection.http.timeoutMs': (o, w) => ({
    ...o,
    introspection: { ...o.introspection, http: { timeoutMs: 1000 + w.length } },
  }),
  'http.connections': (o, w) => ({ ...o, http: { connections: 1 + w.length } }),
  'introspection.clientAuth (secret only)': (o, w) => ({
    ...o,
    introspection: {
      ...o.introspection,
      clientAuth: { method: 'client_secret_basic', clientId: 'orders', clientSecret: `s-${w}` },
    },
  }),
  'cache.maxTtlMs': (o, w) => ({ ...o, cache: { maxTtlMs: 1000 + w.length } }),
  scopes: (o, w) => ({ ...o, scopes: [w] }),
};

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/);

describe('the cache namespace', () => {
  it('property: changing any setting that affects validity changes the namespace', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(VALIDITY_CHANGES)), word, (name, w) => {
        const change = VALIDITY_CHANGES[name] as Change;
        expect(namespaceOf(change(base(), w)), name).not.toBe(namespaceOf(base()));
      }),
    );
  });

  it('property: two different values of one validity setting give two namespaces', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(VALIDITY_CHANGES)), word, word, (name, w1, w2) => {
        fc.pre(w1 !== w2);
        const change = VALIDITY_CHANGES[name] as Change;
        const a = change(base(), w1);
        const b = change(base(), w2);
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(namespaceOf(a), name).not.toBe(namespaceOf(b));
      }),
    );
  });

  it('property: operational settings leave the namespace alone (instances still share)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(OPERATIONAL_CHANGES)), word, (name, w) => {
        const change = OPERATIONAL_CHANGES[name] as Change;
        expect(namespaceOf(change(base(), w)), name).toBe(namespaceOf(base()));
      }),
    );
  });

  it('a bearer token from a function needs cache.namespace with a shared store', () => {
    const withFunction = (cache: GuardOptions['cache']): GuardOptions => ({
      ...base(),
      introspection: {
        ...base().introspection,
        clientAuth: { method: 'bearer', token: () => 't' },
      },
      cache,
    });
    expect(() => namespaceOf(withFunction({ store: createMemoryStore() }))).toThrow(
      expect.objectContaining({ name: 'TokenGuardConfigError', option: 'cache.namespace' }),
    );
    expect(
      namespaceOf(withFunction({ store: createMemoryStore(), namespace: 'billing' })),
    ).not.toBe(namespaceOf(withFunction({ store: createMemoryStore(), namespace: 'orders' })));
    // In-process only: no other service can read the entries, so nothing is required.
    expect(typeof namespaceOf(withFunction({}))).toBe('string');
  });

  it('the static bearer token itself never appears in the namespace', () => {
    const options: GuardOptions = {
      ...base(),
      introspection: {
        ...base().introspection,
        clientAuth: { method: 'bearer', token: 'caller-secret-token' },
      },
    };
    expect(namespaceOf(options)).not.toContain('caller-secret-token');
  });
});
