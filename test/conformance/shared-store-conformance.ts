/**
 * The shared tier where it meets the other features, run for every adapter with several
 * app instances on one real `redis-server` (each with its own clients, as separate
 * processes would have) and real identity servers on loopback:
 *
 * - an eviction deletes before it announces, so an instance that hears it early finds
 *   nothing left to re-read;
 * - `evict(token)` reaches every tenant's entry, also when the issuer that cached it has
 *   left the resolved issuers (`maxIssuers`);
 * - the cross-instance lock is bounded by the store deadline against a write-paused Redis;
 * - an eviction acknowledged across a Redis restart is never missed by an instance whose
 *   invalidation channel was still down;
 * - a saved value written back into Redis after an eviction is refused.
 */
import type { CacheStore, GuardOptions, TokenGuardLogger } from '@tokenguard/core';
import { createRedisStore, type RedisStore } from '@tokenguard/redis';
import {
  CAEP_SESSION_REVOKED,
  createIdentityServer,
  type IdentityServer,
  type RedisServer,
  startRedisServer,
} from '@tokenguard/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal, sleep } from './expect-answer.js';
import type { AdapterHarness, AppSpec, RunningApp } from './harness.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const HMAC_KEY = 'conformance-hmac-key-0123456789abcdef0123456789';
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };
const quietStoreLogger = { warn() {} };

function newClient(server: RedisServer, reconnectMs: number) {
  return createClient({ url: server.url, socket: { reconnectStrategy: () => reconnectMs } });
}
type RedisClient = ReturnType<typeof newClient>;

/** One app instance: its app, its store, and the clients it owns (closed with the block). */
interface Instance {
  readonly app: RunningApp;
  readonly store: RedisStore;
  readonly client: RedisClient;
  readonly subscriber: RedisClient;
}

interface InstanceSpec {
  /** The app, given the store the guard must use (wrap it to watch or reorder calls). */
  readonly app: (store: RedisStore) => AppSpec;
  readonly keyPrefix: string;
  readonly lock?: boolean;
  /** Delay between the subscriber's reconnection attempts, in ms. Default 50. */
  readonly subscriberReconnectMs?: number;
}

export function runSharedStoreConformance(harness: AdapterHarness): void {
  describe(`shared store on a real Redis: ${harness.name}`, () => {
    let idp: IdentityServer;
    let redis: RedisServer;
    let inspector: RedisClient;

    beforeAll(async () => {
      [idp, redis] = await Promise.all([createIdentityServer(), startRedisServer()]);
      inspector = await connected(redis, 50);
    });
    afterAll(async () => {
      inspector?.destroy();
      await Promise.all([idp?.close(), redis?.stop()]);
    });

    const introspected = (extra: Partial<GuardOptions> = {}): GuardOptions => ({
      realm: 'test',
      allowInsecureHttp: true,
      logger: quietLogger,
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
        http: { timeoutMs: 3000 },
        breakerThreshold: 0,
      },
      ...extra,
    });

    /**
     * An introspecting app on `store`. The store deadline is generous: a loaded machine must
     * not turn a write into a skipped one (a case needs the entry in Redis) or an eviction
     * into an unconfirmed one.
     */
    const onStore = (store: RedisStore): AppSpec => ({
      guardOptions: introspected({ cache: { store, storeTimeoutMs: 2000 } }),
    });

    /** Instances started before a block's cases and closed after them. */
    function instancesOn(server: () => RedisServer, ...specs: InstanceSpec[]): () => Instance[] {
      const running: Instance[] = [];
      // biome-ignore lint/suspicious/noDuplicateTestHooks: one pair per describe block.
      beforeAll(async () => {
        for (const spec of specs) running.push(await startInstance(server(), spec));
        await Promise.all(running.map(({ app }) => app.guard?.ready()));
      });
      // biome-ignore lint/suspicious/noDuplicateTestHooks: as above.
      afterAll(async () => {
        await Promise.all(running.map(({ app }) => app.close()));
        for (const { client, subscriber } of running.splice(0)) {
          client.destroy();
          subscriber.destroy();
        }
      });
      return () => running;
    }

    async function startInstance(server: RedisServer, spec: InstanceSpec): Promise<Instance> {
      const [client, subscriber] = await Promise.all([
        connected(server, 50),
        connected(server, spec.subscriberReconnectMs ?? 50),
      ]);
      const store = createRedisStore({
        client,
        subscriber,
        hmacKey: HMAC_KEY,
        keyPrefix: spec.keyPrefix,
        lock: spec.lock ?? false,
        logger: quietStoreLogger,
      });
      const app = await harness.createApp(spec.app(store));
      return { app, store, client, subscriber };
    }

    const get = (app: RunningApp, token: string, headers: Record<string, string> = {}) =>
      send(app.url, '/protected', { headers: { ...bearer(token), ...headers } });

    describe('an eviction deletes before it announces (100 trials each, 0 served)', () => {
      const TRIALS = 100;
      // Set per trial: what runs right after the announcement, before the eviction resolves.
      let afterAnnouncement: () => Promise<void> = async () => {};
      const instances = instancesOn(
        () => redis,
        {
          keyPrefix: 'order:',
          app: (store) => ({
            guardOptions: introspected({
              cache: {
                store: announcingFirst(store, () => afterAnnouncement()),
                storeTimeoutMs: 5000,
              },
            }),
          }),
        },
        {
          keyPrefix: 'order:',
          app: (store) => ({
            guardOptions: introspected({ cache: { store, storeTimeoutMs: 5000 } }),
          }),
        },
      );

      async function trials(evict: (a: RunningApp, token: string, sub: string) => Promise<void>) {
        const [a, b] = instances();
        if (a === undefined || b === undefined) throw new Error('instances not started');
        const heard: unknown[] = [];
        await b.store.subscribe?.((message) => heard.push(message));
        let served = 0;
        let probed = 0;
        for (let i = 0; i < TRIALS; i++) {
          const sub = `order-${i}-${Math.random()}`;
          const token = idp.mintToken({ sub });
          expectOk(await get(b.app, token));
          idp.revoke(token);
          const before = heard.length;
          afterAnnouncement = async () => {
            // The other instance has heard the announcement and serves a request now.
            await until(() => heard.length > before);
            await get(b.app, token);
            probed++;
          };
          await evict(a.app, token, sub);
          if ((await get(b.app, token)).status === 200) served++;
        }
        expect(probed).toBe(TRIALS);
        expect(served).toBe(0);
      }

      // A hundred trials of four requests each: minutes on a loaded machine, seconds on an idle one.
      it('evictSubject: a request between the announcement and the deletes keeps nothing', async () => {
        await trials(async (a, _token, sub) => {
          await a.guard?.evictSubject(sub);
        });
      }, 180_000);

      it('evict(token): a request between the announcement and the delete keeps nothing', async () => {
        await trials(async (a, token) => {
          await a.guard?.evict(token);
        });
      }, 180_000);
    });

    describe('evict(token) reaches every tenant, also those whose issuer left the resolved issuers (maxIssuers: 2, five tenants)', () => {
      let tenants: IdentityServer[] = [];
      beforeAll(async () => {
        tenants = await Promise.all([1, 2, 3, 4, 5].map((i) => sharedIdentityServer(i)));
      });
      const tenantOf = (request: { headers: Record<string, unknown> }) => {
        const name = request.headers['x-tenant'];
        return typeof name === 'string' ? tenants[Number(name)]?.issuer : undefined;
      };
      const byIntrospection = (tenant: IdentityServer) => ({
        issuer: tenant.issuer,
        introspection: {
          endpoint: tenant.introspectionEndpoint,
          clientAuth: { method: 'bearer' as const, token: tenant.callerToken },
          http: { timeoutMs: 3000 },
          breakerThreshold: 0,
        },
      });
      const multiTenant = (store: RedisStore): AppSpec => ({
        guardOptions: {
          realm: 'test',
          allowInsecureHttp: true,
          logger: quietLogger,
          issuers: [{ issuer: idp.issuer, jwt: { jwksUri: idp.jwksUri, audience: 'api' } }],
          maxIssuers: 2,
          selectIssuer: (request) => tenantOf(request),
          resolveIssuer: (iss) => {
            const tenant = tenants.find((t) => t.issuer === iss);
            return tenant === undefined ? undefined : byIntrospection(tenant);
          },
          cache: { store, storeTimeoutMs: 2000 },
        },
      });
      const instances = instancesOn(
        () => redis,
        { keyPrefix: 'tenants:', app: multiTenant },
        { keyPrefix: 'tenants:', app: multiTenant },
      );

      it('five tenants’ tokens cached on two instances; evict on one: 0 accepted anywhere', async () => {
        const [a, b] = instances();
        if (a === undefined || b === undefined) throw new Error('instances not started');
        const tokens = tenants.map((tenant) => tenant.mintToken({ sub: 'tenant-user' }));
        const at = (i: number) => ({ 'x-tenant': String(i) });
        for (const app of [a.app, b.app]) {
          for (const [i, token] of tokens.entries()) expectOk(await get(app, token, at(i)));
        }
        // Both hold at most two resolved issuers: three tenants' units have left.
        expect(Object.keys(a.app.guard?.metrics().issuers ?? {}).length).toBeLessThanOrEqual(3);
        for (const [i, token] of tokens.entries()) tenants[i]?.revoke(token);
        for (const token of tokens) await a.app.guard?.evict(token);
        const accepted: string[] = [];
        for (const [name, app] of [
          ['a', a.app],
          ['b', b.app],
        ] as const) {
          for (const [i, token] of tokens.entries()) {
            const answer = await get(app, token, at(i));
            if (answer.status !== 401) accepted.push(`${name}: tenant ${i} → ${answer.status}`);
          }
        }
        expect(accepted).toEqual([]);
      });
    });

    describe('lock: true is bounded by the store deadline (a write-paused Redis, CLIENT PAUSE WRITE)', () => {
      const PAUSE_MS = 3000;
      const instances = instancesOn(() => redis, {
        keyPrefix: 'locked:',
        lock: true,
        app: (store) => ({ guardOptions: introspected({ cache: { store, storeTimeoutMs: 100 } }) }),
      });

      it('an uncached token is answered after the deadline, not after the pause', async () => {
        const [a] = instances();
        if (a === undefined) throw new Error('instance not started');
        const token = idp.mintToken();
        await inspector.sendCommand(['CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE']);
        try {
          const answer = await get(a.app, token);
          expectOk(answer);
          expect(answer.elapsedMs).toBeLessThan(PAUSE_MS / 2);
        } finally {
          await inspector.sendCommand(['CLIENT', 'UNPAUSE']);
        }
      });
    });

    describe('a saved value written back into Redis after its eviction is refused', () => {
      const instances = instancesOn(
        () => redis,
        {
          keyPrefix: 'written-back:',
          app: onStore,
        },
        {
          keyPrefix: 'written-back:',
          app: onStore,
        },
      );

      it('evict, then the genuine value set again: refused on every instance', async () => {
        const [a, b] = instances();
        if (a === undefined || b === undefined) throw new Error('instances not started');
        const token = idp.mintToken({ sub: 'mallory-victim' });
        expectOk(await get(a.app, token));
        const [key] = await inspector.keys('written-back:e:*');
        if (key === undefined) throw new Error('no entry in Redis');
        const saved = await inspector.get(key);
        if (saved === null) throw new Error('no value in Redis');
        idp.revoke(token);
        await a.app.guard?.evict(token);
        await inspector.set(key, saved, { expiration: { type: 'PX', value: 60_000 } });
        expectRefusal(await get(b.app, token), 401, INVALID_TOKEN, 'invalid_token');
        expectRefusal(await get(a.app, token), 401, INVALID_TOKEN, 'invalid_token');
      });
    });

    describe('Shared Signals session-revoked on both strategies, shared through the store', () => {
      const SSF_AUDIENCE = 'https://api.example/ssf';
      const viaJwt = (store: RedisStore, receiver: boolean): AppSpec => ({
        guardOptions: {
          realm: 'test',
          allowInsecureHttp: true,
          logger: quietLogger,
          jwt: { issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
          cache: { store, storeTimeoutMs: 2000 },
        },
        ...(receiver ? { ops: { sharedSignals: ssf } } : {}),
      });
      const viaIntrospection = (store: RedisStore): AppSpec => ({
        ...onStore(store),
        ops: { sharedSignals: ssf },
      });
      const ssf = {
        get issuer() {
          return idp.issuer;
        },
        get jwksUri() {
          return idp.jwksUri;
        },
        audience: SSF_AUDIENCE,
        allowInsecureHttp: true,
      };
      const instances = instancesOn(
        () => redis,
        { keyPrefix: 'ssf-jwt:', app: (store) => viaJwt(store, true) },
        { keyPrefix: 'ssf-jwt:', app: (store) => viaJwt(store, false) },
        { keyPrefix: 'ssf-opaque:', app: viaIntrospection },
      );
      const sessionRevoked = (sub: string, over: Record<string, unknown> = {}) => ({
        audience: SSF_AUDIENCE,
        events: {
          [CAEP_SESSION_REVOKED]: { event_timestamp: Math.floor(Date.now() / 1000) },
        },
        subject: { format: 'iss_sub', iss: idp.issuer, sub },
        ...over,
      });
      const nowSec = () => Math.floor(Date.now() / 1000);

      it('locally verified JWTs issued before the event are refused on every instance, also one started after it; newer ones pass', async () => {
        const [a, b] = instances();
        if (a === undefined || b === undefined) throw new Error('instances not started');
        const older = await idp.mintJwt({ sub: 'ssf-jwt-user', iat: nowSec() - 5 });
        expectOk(await get(a.app, older));
        expectOk(await get(b.app, older));
        const pushed = await idp.pushSecurityEvent(
          `${a.app.url}/ops/ssf`,
          sessionRevoked('ssf-jwt-user'),
        );
        expect(pushed.status).toBe(202);
        expectRefusal(await get(a.app, older), 401, INVALID_TOKEN, 'invalid_token');
        expectRefusal(await get(b.app, older), 401, INVALID_TOKEN, 'invalid_token');
        // An instance that was not there to hear it finds the revocation in Redis.
        const late = await startInstance(redis, {
          keyPrefix: 'ssf-jwt:',
          app: (store) => viaJwt(store, false),
        });
        try {
          expectRefusal(await get(late.app, older), 401, INVALID_TOKEN, 'invalid_token');
          // A token issued after the event (a new login) passes everywhere.
          await sleep(1100);
          const newer = await idp.mintJwt({ sub: 'ssf-jwt-user' });
          for (const app of [a.app, b.app, late.app]) expectOk(await get(app, newer));
        } finally {
          await late.app.close();
          late.client.destroy();
          late.subscriber.destroy();
        }
      });

      it('introspected tokens issued before the event are refused though the identity service still calls them active', async () => {
        const [, , opaque] = instances();
        if (opaque === undefined) throw new Error('instance not started');
        const older = idp.mintToken({ sub: 'ssf-opaque-user', extra: { iat: nowSec() - 5 } });
        expectOk(await get(opaque.app, older));
        const pushed = await idp.pushSecurityEvent(
          `${opaque.app.url}/ops/ssf`,
          sessionRevoked('ssf-opaque-user'),
        );
        expect(pushed.status).toBe(202);
        expectRefusal(await get(opaque.app, older), 401, INVALID_TOKEN, 'invalid_token');
      });

      it('a SET delivered again (same jti) is acknowledged and not acted on again', async () => {
        const [a] = instances();
        if (a === undefined) throw new Error('instance not started');
        const set = await idp.mintSecurityEvent(sessionRevoked('ssf-replayed-user'));
        const before = a.app.guard?.metrics().evictions ?? 0;
        expect((await idp.pushSecurityEvent(`${a.app.url}/ops/ssf`, set)).status).toBe(202);
        expect(a.app.guard?.metrics().evictions).toBe(before + 1);
        expect((await idp.pushSecurityEvent(`${a.app.url}/ops/ssf`, set)).status).toBe(202);
        expect(a.app.guard?.metrics().evictions).toBe(before + 1);
      });

      it('a SET older than maxEventAgeSec is refused: 400 invalid_request', async () => {
        const [a] = instances();
        if (a === undefined) throw new Error('instance not started');
        const pushed = await idp.pushSecurityEvent(
          `${a.app.url}/ops/ssf`,
          sessionRevoked('ssf-old-user', { claims: { iat: nowSec() - 7200 } }),
        );
        expect(pushed).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
      });
    });

    describe('Redis killed and restarted between caching and evicting; instances reconnect at different times', () => {
      let restarting: RedisServer;
      beforeAll(async () => {
        restarting = await startRedisServer();
      });
      afterAll(async () => {
        await restarting?.stop();
      });
      const instances = instancesOn(
        () => restarting,
        {
          keyPrefix: 'restart:',
          app: onStore,
        },
        {
          keyPrefix: 'restart:',
          // This one's invalidation channel comes back well after the other's.
          subscriberReconnectMs: 1500,
          app: onStore,
        },
      );

      it('0 revoked tokens accepted after their eviction was acknowledged', async () => {
        const [a, b] = instances();
        if (a === undefined || b === undefined) throw new Error('instances not started');
        const tokens = Array.from({ length: 20 }, (_, i) => idp.mintToken({ sub: `r-${i}` }));
        for (const token of tokens) {
          expectOk(await get(a.app, token));
          expectOk(await get(b.app, token));
        }
        await restarting.kill();
        await sleep(200);
        await restarting.restart();
        const accepted: string[] = [];
        for (const [i, token] of tokens.entries()) {
          idp.revoke(token);
          // The sender retries until the eviction is acknowledged.
          for (let tries = 0; ; tries++) {
            try {
              await a.app.guard?.evict(token);
              break;
            } catch (error) {
              if (tries > 200) throw error;
              await sleep(25);
            }
          }
          for (const [name, app] of [
            ['a', a.app],
            ['b', b.app],
          ] as const) {
            const { status } = await get(app, token);
            if (status !== 401) accepted.push(`${name}: token ${i} → ${status}`);
          }
        }
        // And still none once every channel is back.
        await until(() => a.subscriber.isReady && b.subscriber.isReady);
        for (const token of tokens) {
          for (const app of [a.app, b.app]) {
            const { status } = await get(app, token);
            if (status !== 401) accepted.push(`after reconnection → ${status}`);
          }
        }
        expect(accepted).toEqual([]);
      }, 60_000);
    });
  });
}

async function connected(server: RedisServer, reconnectMs: number): Promise<RedisClient> {
  const client = newClient(server, reconnectMs);
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/**
 * A store that lets an announcement overtake the deletes called at the same moment (the
 * worst order the network may give them), and runs `afterAnnouncement` between the two.
 * An eviction that deletes first is unaffected: its announcement comes after.
 */
function announcingFirst(real: RedisStore, afterAnnouncement: () => Promise<void>): CacheStore {
  let announcing: Promise<void> | undefined;
  const held = async (run: () => Promise<void>) => {
    await new Promise((resolve) => setImmediate(resolve));
    if (announcing !== undefined) await announcing;
    await run();
  };
  return {
    get: (key) => real.get(key),
    set: (key, entry, ttlMs) => real.set(key, entry, ttlMs),
    delete: (key) => held(async () => real.delete?.(key)),
    deleteSubject: (subjectKey) => held(async () => real.deleteSubject?.(subjectKey)),
    async publish(message) {
      announcing = (async () => {
        await real.publish?.(message);
        await afterAnnouncement();
      })();
      try {
        await announcing;
      } finally {
        announcing = undefined;
      }
    },
    subscribe: (listener) => real.subscribe?.(listener) ?? (() => {}),
    health: (options) => real.health?.(options) ?? false,
    metrics: () => real.metrics(),
  };
}
