/**
 * One store deadline per request, against a real paused Redis: a guard with the Redis store,
 * a real `redis-server` and a real identity service on loopback. While Redis holds every
 * command (`CLIENT PAUSE ALL`, what a master does during a manual failover, and what a dead
 * master looks like to a client until the failover), a request for an uncached token waits
 * for Redis `cache.storeTimeoutMs` in total, then validates with the identity service: its
 * later store calls (the lock, the subject revocation read, the write) are not sent at all.
 *
 * The identity service is slowed past the guard's retry interval for a failing store
 * (250 ms), so the rest of the request would be allowed to try the store again: only the
 * request's own budget keeps it from paying a second deadline.
 */
import { createGuard, type TokenGuard } from '@tokenguard/core';
import {
  createIdentityServer,
  type IdentityServer,
  type RedisServer,
  startRedisServer,
} from '@tokenguard/testing';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/index.js';

const STORE_TIMEOUT_MS = 300;
const UPSTREAM_MS = 500;
/** Longer than the request can take either way; shorter than a test's patience. */
const PAUSE_MS = 2500;

function newClient() {
  const client = createClient({ url: server.url });
  client.on('error', () => {});
  return client;
}
type Client = ReturnType<typeof newClient>;

let idp: IdentityServer;
let server: RedisServer;
const clients: Client[] = [];
const guards: TokenGuard[] = [];

beforeAll(async () => {
  [idp, server] = await Promise.all([createIdentityServer(), startRedisServer()]);
});
afterEach(async () => {
  idp.clearFaults();
  await Promise.all(guards.splice(0).map((g) => g.close()));
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await Promise.all([idp?.close(), server?.stop()]);
});

async function connect(): Promise<Client> {
  const client = newClient();
  clients.push(client);
  await client.connect();
  return client;
}

/** How many times the server ran each command (`INFO commandstats`), since the last reset. */
async function commandCalls(client: Client) {
  const info = await client.info('commandstats');
  return Object.fromEntries(
    [...info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

describe('one store deadline per request (cache.storeTimeoutMs in total), against a paused Redis', () => {
  for (const lock of [false, true]) {
    it(`lock: ${lock}: an uncached token waits for Redis one storeTimeoutMs in total, then the identity service answers`, async () => {
      const client = await connect();
      const admin = await connect();
      const store = createRedisStore({
        client,
        hmacKey: 'h'.repeat(32),
        lock,
        logger: { warn() {} },
      });
      const guard = createGuard({
        allowInsecureHttp: true,
        logger: { warn() {}, error() {} },
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
          http: { timeoutMs: 3000 },
        },
        cache: { store, storeTimeoutMs: STORE_TIMEOUT_MS },
      });
      guards.push(guard);
      await guard.ready();
      const authenticate = (token: string) =>
        guard.authenticate({
          method: 'GET',
          url: '/',
          headers: { authorization: `Bearer ${token}` },
        });
      // A first request with Redis answering: every store call of the path is sent.
      expect((await authenticate(idp.mintToken({ sub: 'warm' })))?.claims.sub).toBe('warm');

      const token = idp.mintToken({ sub: 'paused' });
      idp.injectFault('introspect', { kind: 'delay', ms: UPSTREAM_MS });
      await admin.sendCommand(['CONFIG', 'RESETSTAT']);
      const before = guard.metrics();
      await admin.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL']);
      const started = Date.now();
      const auth = await authenticate(token);
      const took = Date.now() - started;

      expect(auth?.claims.sub).toBe('paused');
      const after = guard.metrics();
      // One call passed its deadline; nothing else of the request was sent.
      expect(after.storeTimeouts - before.storeTimeouts).toBe(1);
      // Answered while Redis still held its commands: the read (its deadline), the upstream
      // call, and no second deadline (two deadlines and the upstream call would be 1300 ms).
      expect(took).toBeLessThan(2 * STORE_TIMEOUT_MS + UPSTREAM_MS);
      expect(Date.now() - started).toBeLessThan(PAUSE_MS);

      // Redis ran what it was sent once the pause ended: the request's one read, and no lock
      // (`EVAL`), no subject revocation read (a second `GETRANGE`), no write (`SET`).
      const calls = await commandCalls(admin);
      expect(calls.getrange).toBe(1);
      expect(calls.eval).toBeUndefined();
      expect(calls.set).toBeUndefined();
    }, 15_000);
  }
});
