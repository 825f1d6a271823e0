/**
 * Everything the many-instances suite proves on one Redis, proved again on a replicated
 * topology: four app instances (Express, Koa, Fastify, Express), each its own process with
 * its own node-redis cluster or sentinel client, sharing one real topology and one real
 * identity service. `sharedTierCases(kind)` declares the whole suite; one test file per
 * topology calls it, so CI can run the two side by side.
 */
import {
  CAEP_SESSION_REVOKED,
  createDpopKey,
  createDpopProof,
  createIdentityServer,
  dpopBinding,
  type IdentityServer,
  type RedisCluster,
  type RedisClusterNode,
  type RedisSentinelSetup,
} from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../conformance/expect-answer.js';
import { bearer, send } from '../../conformance/http.js';
import { runFailover } from './failover-run.js';
import { type Instance, type InstanceConfig, startInstance } from './start-instance.js';
import { startTopology, type Topology, type TopologyKind } from './topology.js';

export const HMAC_KEY = 'test-hmac-key-0123456789abcdef0123456789abcdef';
const AUDIENCE = 'https://api.example/ssf';
/** DPoP proofs name this origin whichever instance they reach (`dpop.origins`). */
const ORIGIN = 'https://api.example';
const FRAMEWORKS = ['express', 'koa', 'fastify', 'express'] as const;
/**
 * The failover runs are short in the test suite (1 s of traffic before and after the
 * failure); `TOKENGUARD_FAILOVER_SOAK_SECONDS=60` lengthens each to that many seconds
 * (`pnpm soak:failover`).
 */
const SOAK_SECONDS = Number(process.env.TOKENGUARD_FAILOVER_SOAK_SECONDS ?? 0);

export interface SharedTierContext {
  readonly idp: IdentityServer;
  readonly topology: Topology;
  readonly instances: readonly Instance[];
  readonly config: (extra?: Partial<InstanceConfig>) => InstanceConfig;
}

/** Starts the identity service, the topology and four instances around `body`'s tests. */
export function withSharedTier(
  kind: TopologyKind,
  body: (context: () => SharedTierContext) => void,
): void {
  let context: SharedTierContext | undefined;
  beforeAll(async () => {
    const [idp, topology] = await Promise.all([createIdentityServer(), startTopology(kind)]);
    const config = (extra: Partial<InstanceConfig> = {}): InstanceConfig => ({
      framework: 'express',
      redis: topology.redis,
      hmacKey: HMAC_KEY,
      introspectionEndpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
      lock: true,
      dpop: { mode: 'allowed', origins: [ORIGIN] },
      ssf: { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE },
      ...extra,
    });
    // Whatever fails to start, nothing is left running: what did start is stopped here.
    const started = await Promise.allSettled(
      FRAMEWORKS.map((framework) => startInstance(config({ framework }))),
    );
    const instances = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(instances.map((i) => i.stop()));
      await Promise.all([idp.close(), topology.stop()]);
      throw failed.reason;
    }
    context = { idp, topology, instances, config };
  }, 90_000);
  afterAll(async () => {
    await Promise.all(context?.instances.map((i) => i.stop()) ?? []);
    await Promise.all([context?.idp.close(), context?.topology.stop()]);
  });
  body(() => {
    if (context === undefined) throw new Error('the shared tier did not start');
    return context;
  });
}

export const get = (instance: Instance, token: string, headers: Record<string, string> = {}) =>
  send(instance.url, '/protected', { headers: { ...bearer(token), ...headers } });

/** Waits until every instance has heard `count` more invalidations than `before`. */
async function heardBy(instances: readonly Instance[], before: number[], ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await Promise.all(instances.map((i) => i.call<unknown[]>('invalidations')));
    if (now.every((h, i) => h.length > (before[i] ?? 0))) return;
    if (Date.now() > deadline) throw new Error('not every instance heard the invalidation');
    await sleep(5);
  }
}

export function sharedTierCases(kind: TopologyKind): void {
  describe(`four instances on ${kind === 'cluster' ? 'a Redis Cluster' : 'Redis Sentinel'}`, () => {
    withSharedTier(kind, (context) => {
      const counts = () =>
        Promise.all(context().instances.map((i) => i.call<unknown[]>('invalidations'))).then(
          (all) => all.map((h) => h.length),
        );

      it('two instances share a verdict: the second asks the identity service 0 times', async () => {
        const { idp, instances } = context();
        const [a, b] = instances as [Instance, Instance];
        const t = idp.mintToken({ sub: 'alice', scope: 'orders:read' });
        idp.resetCalls();
        expect((await get(a, t)).status).toBe(200);
        const answer = await get(b, t);
        expect(answer.status).toBe(200);
        expect(answer.body.auth).toEqual({ sub: 'alice', scope: 'orders:read', stale: false });
        expect(idp.calls.introspect).toBe(1);
      });

      it('four instances, 20 tokens each sent to all four: 20 upstream calls', async () => {
        const { idp, instances } = context();
        const tokens = Array.from({ length: 20 }, (_, i) => idp.mintToken({ sub: `four-${i}` }));
        idp.resetCalls();
        for (const [i, instance] of instances.entries()) {
          // Each instance sees the tokens in its own order: no instance goes first for all.
          const order = tokens.map((_, j) => tokens[(j + i * 5) % tokens.length] as string);
          for (const t of order) expect((await get(instance, t)).status).toBe(200);
        }
        expect(idp.calls.introspect).toBe(20);
      });

      it('evict on one instance reaches all four; the revoked token is refused everywhere', async () => {
        const { idp, instances } = context();
        const t = idp.mintToken({ sub: 'bob' });
        for (const instance of instances) expect((await get(instance, t)).status).toBe(200);
        idp.revoke(t);
        const before = await counts();
        await (instances[2] as Instance).call('evict', t);
        await heardBy(instances, before);
        for (const instance of instances) expect((await get(instance, t)).status).toBe(401);
      });

      it('evictSubject logs a user out on all four; a bystander stays cached', async () => {
        const { idp, instances } = context();
        const tokens = Array.from({ length: 6 }, () => idp.mintToken({ sub: 'carol' }));
        const bystander = idp.mintToken({ sub: 'dave' });
        for (const instance of instances) {
          for (const t of [...tokens, bystander]) expect((await get(instance, t)).status).toBe(200);
        }
        for (const t of tokens) idp.revoke(t);
        const before = await counts();
        await (instances[1] as Instance).call('evictSubject', 'carol');
        await heardBy(instances, before);
        idp.resetCalls();
        for (const instance of instances) {
          for (const t of tokens) expect((await get(instance, t)).status).toBe(401);
          expect((await get(instance, bystander)).status).toBe(200);
        }
        // One upstream call per revoked token (its refusal is shared too); none for the bystander.
        expect(idp.calls.introspect).toBe(tokens.length);
      });

      it('the cross-instance lock: 40 concurrent requests for a new token on four instances, 1 upstream call', async () => {
        const { idp, instances } = context();
        const t = idp.mintToken({ sub: 'hot' });
        idp.resetCalls();
        idp.injectFault('introspect', { kind: 'delay', ms: 150 });
        try {
          const answers = await Promise.all(
            Array.from({ length: 40 }, (_, i) => get(instances[i % 4] as Instance, t)),
          );
          expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
        } finally {
          idp.clearFaults();
        }
        expect(idp.calls.introspect).toBe(1);
      });

      it('DPoP: a proof used on one instance is refused on another (RFC 9449 §11.1 jti replay)', async () => {
        const { idp, instances } = context();
        const [a, b] = instances as [Instance, Instance];
        const key = await createDpopKey();
        const token = idp.mintToken({ scope: 'orders:read', ...dpopBinding(key) });
        const proof = () =>
          createDpopProof(key, { method: 'GET', url: `${ORIGIN}/protected`, accessToken: token });
        const dpop = async (instance: Instance, p: string) =>
          send(instance.url, '/protected', {
            headers: { authorization: `DPoP ${token}`, dpop: p },
          });
        const first = await proof();
        expect((await dpop(a, first)).status).toBe(200);
        const replay = await dpop(b, first);
        expect(replay.status).toBe(401);
        expect(replay.headers['www-authenticate']).toContain('invalid_dpop_proof');
        // A fresh proof is accepted there: the refusal was the replay, nothing else.
        expect((await dpop(b, await proof())).status).toBe(200);
      });

      it('Shared Signals: a session-revoked SET pushed to one instance evicts the subject on all four', async () => {
        const { idp, instances } = context();
        const token = idp.mintToken({ sub: 'ssf-user' });
        for (const instance of instances) expect((await get(instance, token)).status).toBe(200);
        idp.revoke(token);
        const before = await counts();
        const pushed = await idp.pushSecurityEvent(`${(instances[3] as Instance).url}/ssf`, {
          audience: AUDIENCE,
          events: { [CAEP_SESSION_REVOKED]: { event_timestamp: Math.floor(Date.now() / 1000) } },
          subject: { format: 'iss_sub', iss: idp.issuer, sub: 'ssf-user' },
        });
        expect(pushed.status).toBe(202);
        await heardBy(instances, before);
        for (const instance of instances) expect((await get(instance, token)).status).toBe(401);
      });

      it('values are HMAC-checked: a forged positive entry written into the master is refused', async () => {
        const { topology, instances } = context();
        const [a, b] = instances as [Instance, Instance];
        const junk = `never-issued-${kind}-${Date.now()}`;
        const keys = async () =>
          new Set((await topology.eachMaster((c) => c.keys('tokenguard:e:*'))).flat());
        const before = await keys();
        expect((await get(a, junk)).status).toBe(401);
        const created = [...(await keys())].filter((k) => !before.has(k));
        expect(created).toHaveLength(1);
        const payload = JSON.stringify({
          f: Date.now() + 600_000,
          v: {
            kind: 'valid',
            strategy: 'introspection',
            claims: { active: true, sub: 'mallory', scope: 'admin' },
          },
        });
        const forged = `1.${Buffer.alloc(32, 7).toString('base64url')}.${payload}`;
        await topology.onMasterOf(created[0] as string, (c) =>
          c.set(created[0] as string, forged, { expiration: { type: 'PX', value: 600_000 } }),
        );
        expect((await get(b, junk)).status).toBe(401);
        const metrics = await b.call<{ store: { rejectedValues: number } }>('metrics');
        expect(metrics.store.rejectedValues).toBeGreaterThanOrEqual(1);
      });

      it('a store that stalls is a miss: every master paused, a new token is answered by the identity service within the store deadline', async () => {
        const { idp, topology, config } = context();
        // Its own instance, without the cross-instance lock: this is the outage rule of the
        // plain path (get, validate, set), each store call bounded by storeTimeoutMs (200).
        const lone = await startInstance(config({ lock: false }));
        try {
          const tokens = [1, 2, 3].map(() => idp.mintToken({ sub: 'paused' }));
          // Shorter than the failure detection (cluster-node-timeout / down-after: 1000 ms),
          // so this is a stall, not a failover.
          await topology.eachMaster((c) => c.sendCommand(['CLIENT', 'PAUSE', '900', 'ALL']));
          const started = Date.now();
          const answers = await Promise.all(tokens.map((t) => get(lone, t)));
          const took = Date.now() - started;
          expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
          // Answered before the stall ends: get (≤ 200 ms), upstream, set (skipped once
          // the store failed, else ≤ 200 ms).
          expect(took).toBeLessThan(900);
          await sleep(1000);
          const m = await lone.call<{ storeTimeouts: number }>('metrics');
          expect(m.storeTimeouts).toBeGreaterThanOrEqual(3);
        } finally {
          await lone.stop();
        }
      });

      describe('failover under load: four instances, mixed valid / revoked / expired / new tokens, evictions streaming', () => {
        const failures: [string, (c: SharedTierContext) => Promise<{ ms: number }>][] =
          kind === 'cluster'
            ? [
                [
                  'a master killed (its replica promoted by the cluster)',
                  async ({ topology }) => {
                    const cluster = topology.cluster as RedisCluster;
                    // The shard that carries the invalidation channel: the worst one to lose.
                    const shard = await cluster.shardOf('tokenguard:invalidations');
                    const result = await cluster.killMaster(shard.master);
                    failedNodes.push(shard.master);
                    return result;
                  },
                ],
                [
                  'a manual CLUSTER FAILOVER',
                  async ({ topology }) => {
                    const cluster = topology.cluster as RedisCluster;
                    // The node killed above is back as a replica: it takes its shard back.
                    for (const node of failedNodes.splice(0)) await cluster.restart(node);
                    const shard = await cluster.shardOf('tokenguard:invalidations');
                    return cluster.failover(shard.replicas[0] as RedisClusterNode);
                  },
                ],
              ]
            : [
                [
                  'the master killed (the sentinels promote the replica)',
                  async ({ topology }) => (topology.sentinel as RedisSentinelSetup).killMaster(),
                ],
              ];
        const failedNodes: RedisClusterNode[] = [];

        for (const [name, fail] of failures) {
          it(
            `${name}: 0 wrong answers, no 5xx, p99 within the store deadline of the run before, the tier back in use`,
            async () => {
              const report = await runFailover(context(), () => fail(context()), {
                warmupMs: SOAK_SECONDS > 0 ? SOAK_SECONDS * 500 : 1000,
                afterMs: SOAK_SECONDS > 0 ? SOAK_SECONDS * 500 : 1000,
                victims: 150 + SOAK_SECONDS * 10,
              });
              console.log(`${kind}, ${name}: ${JSON.stringify(report)}`);
              expect(report.wrong).toEqual([]);
              expect(report.serverErrors).toEqual({});
              expect(report.requests).toBeGreaterThan(100);
              expect(report.evictionsAcknowledged).toBeGreaterThanOrEqual(5);
              // A request during the failover costs what it cost before, plus at most one
              // store deadline (storeTimeoutMs is 200 in every instance: one budget per
              // request, however many store calls its path has) and one call to the identity
              // service at its latency then. The same on the cluster and behind Sentinel. On a
              // busy machine an instance may also not run at all for a while (its event loop
              // delayed, measured in every instance): no tier adds that time, so it is added;
              // on a quiet machine it is a few milliseconds.
              expect(report.during.p99).toBeLessThanOrEqual(
                report.before.p99 + 200 + report.upstreamDuring.p99 + report.instanceStallDuringMs,
              );
              expect(report.backInUseMs).toBeLessThanOrEqual(10_000);
            },
            120_000 + SOAK_SECONDS * 3000,
          );
        }
      });
    });
  });
}
