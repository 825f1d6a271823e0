import { createTestCertificate } from '@tokenguard/testing';
import { describe, expect, it, vi } from 'vitest';
import { createGuard } from '../../src/create-guard.js';
import { certificateThumbprint } from '../../src/sender-constraint/certificate-thumbprint.js';
import { createDpopNonces } from '../../src/sender-constraint/create-dpop-nonces.js';
import { createReplayCache } from '../../src/sender-constraint/create-replay-cache.js';
import {
  normalizeDpopOption,
  normalizeMtlsOption,
} from '../../src/sender-constraint/normalize-sender-constraint-options.js';
import {
  certificateFromHeader,
  readClientCertificate,
} from '../../src/sender-constraint/read-client-certificate.js';
import { requestHtus } from '../../src/sender-constraint/request-htu.js';

describe('DPoP replay cache (RFC 9449 §11.1)', () => {
  it('a key is a first use once, then a replay until its TTL passes', () => {
    const cache = createReplayCache({ storeTimeoutMs: 100, maxEntries: 10 });
    expect(cache.firstUse('a', 60_000)).toBe(true);
    expect(cache.firstUse('a', 60_000)).toBe(false);
    expect(cache.firstUse('b', 60_000)).toBe(true);
  });

  it('a shared store with add() decides across instances: a replay elsewhere is refused', async () => {
    const shared = new Set<string>();
    const store = {
      add(key: string) {
        if (shared.has(key)) return false;
        shared.add(key);
        return true;
      },
    };
    const one = createReplayCache({ store, storeTimeoutMs: 100, maxEntries: 10 });
    const two = createReplayCache({ store, storeTimeoutMs: 100, maxEntries: 10 });
    expect(await one.firstUse('k', 60_000)).toBe(true);
    expect(await two.firstUse('k', 60_000)).toBe(false);
  });

  it('a failing or hanging store is an outage (503), never a first use', async () => {
    const failing = createReplayCache({
      store: { add: () => Promise.reject(new Error('down')) },
      storeTimeoutMs: 50,
      maxEntries: 10,
    });
    await expect(failing.firstUse('k', 1000)).rejects.toMatchObject({ status: 503 });
    const hanging = createReplayCache({
      store: { add: () => new Promise<boolean>(() => {}) },
      storeTimeoutMs: 20,
      maxEntries: 10,
    });
    await expect(hanging.firstUse('k', 1000)).rejects.toMatchObject({ status: 503 });
  });

  it('RFC 9449 §11.1: full of live entries, it refuses new keys (503, Retry-After) and forgets none', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    try {
      const cache = createReplayCache({ storeTimeoutMs: 100, maxEntries: 3 });
      for (const k of ['1', '2', '3']) expect(cache.firstUse(k, 60_000)).toBe(true);
      vi.setSystemTime(1_010_000);
      let refusal: unknown;
      try {
        cache.firstUse('4', 60_000);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toMatchObject({ status: 503, headers: { 'retry-after': '50' } });
      // Every live key is still a replay.
      for (const k of ['1', '2', '3']) expect(cache.firstUse(k, 60_000)).toBe(false);
      // Once the oldest expired, there is room again.
      vi.setSystemTime(1_060_001);
      expect(cache.firstUse('4', 60_000)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('full, with a shared store: the store alone decides (nothing live is forgotten)', async () => {
    const shared = new Set<string>();
    const store = {
      add(key: string) {
        if (shared.has(key)) return false;
        shared.add(key);
        return true;
      },
    };
    const cache = createReplayCache({ store, storeTimeoutMs: 100, maxEntries: 1 });
    expect(await cache.firstUse('1', 60_000)).toBe(true);
    expect(await cache.firstUse('2', 60_000)).toBe(true);
    expect(await cache.firstUse('2', 60_000)).toBe(false);
  });
});

describe('DPoP nonces (RFC 9449 §9)', () => {
  it('accepts its own current nonce, refuses forged and expired ones', () => {
    const nonces = createDpopNonces({ maxAgeSec: 300 });
    const now = 1_800_000_000;
    const nonce = nonces.current(now);
    expect(nonces.accepts(nonce, now + 10)).toBe(true);
    expect(nonces.accepts(nonce, now + 1000)).toBe(false);
    expect(nonces.accepts(`${nonce}x`, now)).toBe(false);
    expect(nonces.accepts('abc.def', now)).toBe(false);
  });

  it('instances sharing a secret accept each other’s nonces', () => {
    const secret = new Uint8Array(32).fill(7);
    const a = createDpopNonces({ secret, maxAgeSec: 60 });
    const b = createDpopNonces({ secret, maxAgeSec: 60 });
    expect(b.accepts(a.current(1_800_000_000), 1_800_000_010)).toBe(true);
  });
});

describe('client certificate (RFC 8705 §3)', () => {
  const cert = createTestCertificate('client');

  it('x5t#S256 is the base64url SHA-256 of the DER certificate', () => {
    expect(certificateThumbprint(cert.der)).toBe(cert.thumbprint);
  });

  it('reads the socket’s peer certificate', () => {
    const socket = { getPeerCertificate: () => ({ raw: cert.der }) };
    const request = { method: 'GET', url: '/', headers: {}, socket };
    expect(readClientCertificate(request, 'socket')).toEqual(cert.der);
    expect(
      readClientCertificate({ ...request, socket: { getPeerCertificate: () => ({}) } }, 'socket'),
    ).toBeUndefined();
  });

  it('reads a proxy header only from a trusted proxy, in RFC 9440 and PEM forms', () => {
    const source = { header: 'client-cert', trustedProxies: ['10.0.0.1'] };
    const rfc9440 = `:${cert.der.toString('base64')}:`;
    const from = (remoteAddress: string, value: string) =>
      readClientCertificate(
        { method: 'GET', url: '/', headers: { 'client-cert': value }, socket: { remoteAddress } },
        source,
      );
    expect(from('::ffff:10.0.0.1', rfc9440)).toEqual(cert.der);
    expect(from('10.0.0.2', rfc9440)).toBeUndefined();
    expect(certificateFromHeader(encodeURIComponent(cert.cert))).toEqual(cert.der);
    expect(certificateFromHeader('not a certificate')).toBeUndefined();
  });
});

describe('request htu (RFC 9449 §4.3, RFC 9110 §7.1)', () => {
  it('scheme from the connection, authority from Host; forwarded headers ignored', () => {
    const request = {
      method: 'GET',
      url: '/orders?x=1',
      headers: {
        host: 'API.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil',
      },
    };
    expect(requestHtus(request, undefined)).toEqual(['http://api.example.com/orders']);
    expect(requestHtus({ ...request, socket: { encrypted: true } }, undefined)).toEqual([
      'https://api.example.com/orders',
    ]);
  });

  it("a Fetch runtime's origin (no socket) replaces the socket's scheme and Host", () => {
    const request = {
      method: 'GET',
      url: '/orders',
      headers: { host: 'other.example' },
      origin: 'https://API.example.com',
    };
    expect(requestHtus(request, undefined)).toEqual(['https://api.example.com/orders']);
    expect(requestHtus({ method: 'GET', url: '/orders', headers: {} }, undefined)).toEqual([]);
  });

  it('RFC 9110 §7.2, RFC 3986 §3.2: a Host that is not host[:port] is 400 invalid_request', () => {
    for (const host of [
      'api.example.com/orders#',
      'api.example.com/orders?',
      'api.example.com/',
      'user@api.example.com',
      'api.example.com:80x',
      'api example.com',
      'api.example.com#',
      '[::1',
    ]) {
      const request = { method: 'GET', url: '/admin', headers: { host } };
      expect(() => requestHtus(request, undefined), host).toThrow(
        expect.objectContaining({ code: 'invalid_request', status: 400 }),
      );
    }
    for (const host of ['api.example.com:8443', '127.0.0.1:3000', '[::1]:8080', 'localhost']) {
      const [htu] = requestHtus({ method: 'GET', url: '/admin', headers: { host } }, undefined);
      expect(new URL(htu as string).pathname, host).toBe('/admin');
    }
  });

  it('RFC 9110 §7.2: on a Fetch runtime too, a Host that is not host[:port] is 400, whatever URL the runtime built from it', () => {
    // Deno.serve joins Host and target as they came: `Host: api.example.com/orders?` with
    // target /admin gives the URL http://api.example.com/orders?/admin.
    const request = {
      method: 'GET',
      url: '/orders?/admin',
      headers: { host: 'api.example.com/orders?' },
      origin: 'http://api.example.com',
    };
    expect(() => requestHtus(request, undefined)).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400 }),
    );
  });

  it('configured origins replace scheme and Host', () => {
    const request = { method: 'GET', url: '/orders', headers: { host: 'internal:8080' } };
    expect(requestHtus(request, ['https://api.example.com'])).toEqual([
      'https://api.example.com/orders',
    ]);
  });
});

describe('options', () => {
  it("dpop defaults to 'disabled'; bad modes, MAC algorithms and paths in origins throw", () => {
    expect(normalizeDpopOption(undefined).mode).toBe('disabled');
    expect(() => normalizeDpopOption('sometimes')).toThrow(/dpop/);
    expect(() => normalizeDpopOption({ mode: 'allowed', algorithms: ['HS256'] })).toThrow(
      /dpop\.algorithms/,
    );
    expect(() => normalizeDpopOption({ mode: 'allowed', algorithms: ['none'] })).toThrow();
    expect(() =>
      normalizeDpopOption({ mode: 'allowed', origins: ['https://a.example/x'] }),
    ).toThrow(/dpop\.origins/);
    expect(
      normalizeDpopOption({ mode: 'allowed', origins: ['https://A.example:443'] }).origins,
    ).toEqual(['https://a.example']);
  });

  it('mtls: a proxy header needs trusted proxies', () => {
    expect(() => normalizeMtlsOption({ certificateFrom: { header: 'client-cert' } })).toThrow(
      /trustedProxies/,
    );
    expect(() => normalizeMtlsOption({ certificateFrom: 'header' })).toThrow(/certificateFrom/);
    expect(normalizeMtlsOption({ certificateFrom: 'socket' })).toEqual({
      certificateFrom: 'socket',
    });
  });
});

describe('DPoP without a shared store (RFC 9449 §11.1)', () => {
  it('RFC 9449 §11.1: DPoP on without a shared store warns once, at construction', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message), error() {} };
    const options = {
      logger,
      introspection: {
        endpoint: 'https://idp.example/introspect',
        clientAuth: { method: 'bearer' as const, token: 'caller' },
      },
    };
    const guard = createGuard({ ...options, dpop: 'allowed' });
    expect(warnings.filter((w) => w.includes('replayed on another instance'))).toHaveLength(1);
    const bearerOnly = createGuard(options);
    expect(warnings).toHaveLength(1);
    await Promise.all([guard.close(), bearerOnly.close()]);
  });
});
