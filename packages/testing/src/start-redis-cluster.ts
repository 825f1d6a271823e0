/**
 * A real Redis Cluster on loopback for tests of the shared cache tier: `redis-server
 * --cluster-enabled yes` × (masters × (1 + replicas)) on free ports, each in its own
 * temporary directory, joined by `redis-cli --cluster create`. Failures are made the way
 * production makes them: a master killed (its replica is promoted by the cluster), a manual
 * `CLUSTER FAILOVER`, a slot moved between masters (`MIGRATING` / `IMPORTING`, `MIGRATE`,
 * `SETSLOT NODE`: clients see `ASK`, then `MOVED`). `stop()` ends every process and removes
 * the directories. A machine without `redis-server` / `redis-cli` is a clear error.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  baseArgs,
  freePorts,
  makeTempDir,
  redisCli,
  removeDir,
  waitFor,
} from './internal/redis-process.js';
import { createNodeProcess, type RedisNodeProcess } from './redis-node-process.js';

export interface RedisClusterOptions {
  /** Masters (each owns a share of the 16384 slots). Default 3. */
  masters?: number;
  /** Replicas per master. Default 1. */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`, in milliseconds: how long a master may be unreachable before
   * the others mark it failed and its replica takes over. Default 1000 (Redis: 15000).
   */
  nodeTimeoutMs?: number;
  /** The server binary. Default `redis-server` from `PATH` (`redis-cli` beside it). */
  binary?: string;
  /** How long to wait for the cluster to form, in milliseconds. Default 30000. */
  startTimeoutMs?: number;
}

/** One node of the cluster. */
export interface RedisClusterNode extends RedisNodeProcess {
  /** The node's cluster id (40 hex characters). */
  readonly id: string;
}

/** What one node says about the cluster (`CLUSTER NODES`), for the nodes it sees as alive. */
export interface RedisClusterShard {
  readonly master: RedisClusterNode;
  readonly replicas: readonly RedisClusterNode[];
  /** Slot ranges `[from, to]` the master serves. */
  readonly slots: readonly (readonly [number, number])[];
}

/** A slot migration in progress: keys move one `MIGRATE` at a time, then `finish()`. */
export interface SlotMigration {
  readonly slot: number;
  readonly from: RedisClusterNode;
  readonly to: RedisClusterNode;
  /** Moves up to `count` keys (default: all) of the slot; returns how many moved. */
  moveKeys(count?: number): Promise<number>;
  /** Moves the remaining keys and gives the slot to `to` on every master (`SETSLOT NODE`). */
  finish(): Promise<void>;
}

export interface RedisCluster {
  /** Every node, masters first as created (roles change with failovers: see `shards()`). */
  readonly nodes: readonly RedisClusterNode[];
  /** `[{ url }]` of every node: node-redis `createCluster({ rootNodes })`. */
  readonly rootNodes: readonly { readonly url: string }[];
  /** The shards as a live node sees them now. */
  shards(): Promise<RedisClusterShard[]>;
  /** The slot of a key (`CLUSTER KEYSLOT`). */
  keySlot(key: string): Promise<number>;
  /** The shard serving a key's slot now. */
  shardOf(key: string): Promise<RedisClusterShard>;
  /**
   * Kills a master (SIGKILL) and waits until its replica is promoted and every live node
   * agrees; resolves with the promoted node and the time it took.
   */
  killMaster(master: RedisClusterNode): Promise<{ promoted: RedisClusterNode; ms: number }>;
  /** `CLUSTER FAILOVER` on a replica (a planned switch, no data lost); waits for it. */
  failover(replica: RedisClusterNode): Promise<{ ms: number }>;
  /** Starts a killed node again (it rejoins as a replica) and waits until all agree. */
  restart(node: RedisClusterNode): Promise<void>;
  /** Starts moving `slot` from its master to `to` (another master). */
  beginSlotMigration(slot: number, to: RedisClusterNode): Promise<SlotMigration>;
  /**
   * Resolves when every live node reports `cluster_state:ok`, they agree on the slots and
   * every live replica has finished its sync. Replication stays asynchronous: a write made
   * just before a master is killed may not have reached its replica (one that has just
   * synced gets the write stream after its first acknowledgement, up to a second later), so
   * a test that needs an entry after a failover waits until the replica holds it.
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Ends every node (SIGTERM) and removes their directories. */
  stop(): Promise<void>;
}

const SLOTS = 16384;

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const binary = options.binary ?? 'redis-server';
  const cli = binary.endsWith('redis-server')
    ? binary.replace(/redis-server$/, 'redis-cli')
    : 'redis-cli';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new TypeError(
      'startRedisCluster: `masters` must be an integer of at least 3 (a cluster needs a majority of masters to fail over)',
    );
  }
  const count = masters * (1 + replicasPerMaster);
  // The cluster bus listens on its own port (`cluster-port`, Redis 7), chosen free too.
  const ports = await freePorts(count * 2);
  const root = await makeTempDir('redis-cluster');
  const processes: RedisNodeProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = ports[i] as number;
      const bus = ports[count + i] as number;
      const dir = join(root, String(port));
      await mkdir(dir);
      processes.push(
        createNodeProcess(
          binary,
          port,
          () => [
            ...baseArgs(port),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(nodeTimeoutMs),
            '--cluster-port',
            String(bus),
            // A replica takes over however long it has been cut off: tests kill on purpose.
            '--cluster-replica-validity-factor',
            '0',
            '--dir',
            dir,
          ],
          { readyLine: 'Ready to accept connections', timeoutMs: 10_000, cwd: dir },
        ),
      );
    }
    await Promise.all(processes.map((p) => p.start()));
    await redisCli(
      processes[0]?.port as number,
      [
        '--cluster',
        'create',
        ...processes.map((p) => `127.0.0.1:${p.port}`),
        '--cluster-replicas',
        String(replicasPerMaster),
        '--cluster-yes',
      ],
      cli,
    );
  } catch (error) {
    await Promise.all(processes.map((p) => p.kill()));
    await removeDir(root);
    throw error;
  }

  const nodes: RedisClusterNode[] = [];
  for (const p of processes) {
    const id = await redisCli(p.port, ['CLUSTER', 'MYID'], cli);
    nodes.push({
      id,
      port: p.port,
      url: p.url,
      get running() {
        return p.running;
      },
      kill: () => p.kill(),
      stop: () => p.stop(),
      start: () => p.start(),
    });
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const live = () => nodes.filter((n) => n.running);
  const ask = (node: RedisClusterNode, args: string[]) => redisCli(node.port, args, cli);

  async function shardsSeenBy(node: RedisClusterNode): Promise<RedisClusterShard[]> {
    const lines = (await ask(node, ['CLUSTER', 'NODES'])).split('\n').filter(Boolean);
    const parsed = lines.map((line) => {
      const [id, , flags = '', masterId = '-', , , , , ...slots] = line.split(' ');
      return { id: id as string, flags: flags.split(','), masterId, slots };
    });
    const shards: RedisClusterShard[] = [];
    for (const entry of parsed) {
      const master = byId.get(entry.id);
      if (master === undefined || !entry.flags.includes('master') || entry.flags.includes('fail')) {
        continue;
      }
      const ranges = entry.slots
        .filter((s) => !s.startsWith('['))
        .map((s) => {
          const [from, to = from] = s.split('-');
          return [Number(from), Number(to)] as const;
        });
      if (ranges.length === 0) continue;
      const replicas = parsed
        .filter((r) => r.masterId === entry.id && !r.flags.includes('fail'))
        .map((r) => byId.get(r.id))
        .filter((r): r is RedisClusterNode => r !== undefined);
      shards.push({ master, replicas, slots: ranges });
    }
    return shards;
  }

  function describeShards(shards: RedisClusterShard[]): string {
    return shards
      .map((s) => `${s.master.port}:${s.slots.map(([a, b]) => `${a}-${b}`).join(',')}`)
      .sort()
      .join(' ');
  }

  async function waitUntilHealthy(ms = 20_000): Promise<void> {
    await waitFor(
      'the cluster to be healthy and in agreement',
      async () => {
        const alive = live();
        const infos = await Promise.all(alive.map((n) => ask(n, ['CLUSTER', 'INFO'])));
        if (!infos.every((info) => info.includes('cluster_state:ok'))) return undefined;
        const views = await Promise.all(alive.map((n) => shardsSeenBy(n)));
        const first = describeShards(views[0] ?? []);
        const covered = (views[0] ?? []).reduce(
          (sum, s) => sum + s.slots.reduce((n, [a, b]) => n + b - a + 1, 0),
          0,
        );
        if (covered !== SLOTS) return undefined;
        // Every live node sees the same owners, and no live node is seen as failed.
        if (!views.every((v) => describeShards(v) === first)) return undefined;
        if (views.some((v) => v.some((s) => !s.master.running))) return undefined;
        // Every live replica has finished its sync. (Writes still reach it asynchronously: see
        // `waitUntilHealthy`.)
        for (const replica of (views[0] ?? []).flatMap((s) => s.replicas)) {
          if (!replica.running) continue;
          const info = await ask(replica, ['INFO', 'replication']);
          if (!info.includes('master_link_status:up')) return undefined;
        }
        return true;
      },
      ms,
      50,
    );
  }

  async function shards(): Promise<RedisClusterShard[]> {
    const node = live()[0];
    if (node === undefined) throw new Error('no cluster node is running');
    return shardsSeenBy(node);
  }

  async function keySlot(key: string): Promise<number> {
    const node = live()[0];
    if (node === undefined) throw new Error('no cluster node is running');
    return Number(await ask(node, ['CLUSTER', 'KEYSLOT', key]));
  }

  async function shardOfSlot(slot: number): Promise<RedisClusterShard> {
    const found = (await shards()).find((s) => s.slots.some(([a, b]) => slot >= a && slot <= b));
    if (found === undefined) throw new Error(`no master serves slot ${slot}`);
    return found;
  }

  try {
    await waitUntilHealthy(timeoutMs);
  } catch (error) {
    await Promise.all(processes.map((p) => p.kill()));
    await removeDir(root);
    throw error;
  }

  return {
    nodes,
    rootNodes: nodes.map((n) => ({ url: n.url })),
    shards,
    keySlot,
    shardOf: async (key) => shardOfSlot(await keySlot(key)),

    async killMaster(master) {
      const before = (await shards()).find((s) => s.master === master);
      if (before === undefined) throw new Error(`node ${master.port} is not a master now`);
      const started = Date.now();
      await master.kill();
      const promoted = await waitFor(
        `a replica of ${master.port} to be promoted`,
        async () => {
          const now = await shards();
          const shard = now.find((s) => before.replicas.includes(s.master));
          return shard?.master;
        },
        30_000,
        25,
      );
      await waitUntilHealthy();
      return { promoted, ms: Date.now() - started };
    },

    async failover(replica) {
      const started = Date.now();
      const answer = await ask(replica, ['CLUSTER', 'FAILOVER']);
      if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replica.port}: ${answer}`);
      await waitFor(
        `${replica.port} to become a master`,
        async () => ((await shards()).some((s) => s.master === replica) ? true : undefined),
        30_000,
        25,
      );
      await waitUntilHealthy();
      return { ms: Date.now() - started };
    },

    async restart(node) {
      await node.start();
      await waitFor(
        `${node.port} to rejoin`,
        async () =>
          (await shards()).some((s) => s.master === node || s.replicas.includes(node))
            ? true
            : undefined,
        30_000,
      );
      await waitUntilHealthy();
    },

    async beginSlotMigration(slot, to) {
      const from = (await shardOfSlot(slot)).master;
      if (from === to) throw new Error(`slot ${slot} is already on ${to.port}`);
      // The order redis-cli --cluster reshard uses: importing on the target first.
      await ask(to, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id]);
      await ask(from, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to.id]);
      async function moveKeys(limit = Number.POSITIVE_INFINITY): Promise<number> {
        let moved = 0;
        while (moved < limit) {
          const batch = Math.min(100, limit - moved);
          const keys = (await ask(from, ['CLUSTER', 'GETKEYSINSLOT', String(slot), String(batch)]))
            .split('\n')
            .filter(Boolean);
          if (keys.length === 0) break;
          await ask(from, [
            'MIGRATE',
            '127.0.0.1',
            String(to.port),
            '',
            '0',
            '5000',
            'KEYS',
            ...keys,
          ]);
          moved += keys.length;
        }
        return moved;
      }
      return {
        slot,
        from,
        to,
        moveKeys,
        async finish() {
          await moveKeys();
          // Target first, then source, then the other masters (the documented order).
          await ask(to, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id]);
          await ask(from, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id]);
          const others = (await shards())
            .map((s) => s.master)
            .filter((m) => m !== to && m !== from);
          await Promise.all(
            others.map((m) => ask(m, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id])),
          );
          await waitUntilHealthy();
        },
      };
    },

    waitUntilHealthy,

    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
      await removeDir(root);
    },
  };
}
