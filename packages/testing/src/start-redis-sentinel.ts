/**
 * A real Redis Sentinel setup on loopback for tests of the shared cache tier: one master,
 * one replica (`--replicaof`) and three sentinels (quorum 2) on free ports, each in its own
 * temporary directory. The sentinels are told about each other and about the replica in
 * their configuration files (`sentinel myid`, `known-sentinel`, `known-replica`), so they
 * agree at once instead of after their discovery rounds. `killMaster()` crashes the master
 * and waits until the sentinels have promoted the replica. `stop()` ends every process and
 * removes the directories. A machine without `redis-server` is a clear error.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
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

export interface RedisSentinelOptions {
  /** The master set's name (node-redis `createSentinel({ name })`). Default `primary`. */
  name?: string;
  /**
   * `down-after-milliseconds`: how long the master may be unreachable before the
   * sentinels fail it over. Default 1000 (Redis: 30000).
   */
  downAfterMs?: number;
  /** The server binary. Default `redis-server` from `PATH` (`redis-cli` beside it). */
  binary?: string;
}

export interface RedisSentinelSetup {
  /** The master set's name. */
  readonly name: string;
  /** `[{ host, port }]` of the sentinels: node-redis `createSentinel({ sentinelRootNodes })`. */
  readonly sentinelRootNodes: readonly { readonly host: string; readonly port: number }[];
  /** The two data nodes, the first master at the start. */
  readonly nodes: readonly RedisNodeProcess[];
  readonly sentinels: readonly RedisNodeProcess[];
  /** The data node the sentinels name as master now. */
  master(): Promise<RedisNodeProcess>;
  /**
   * Kills the master (SIGKILL) and waits until every sentinel names the replica as master
   * and it answers as one; resolves with it and the time it took.
   */
  killMaster(): Promise<{ promoted: RedisNodeProcess; ms: number }>;
  /** Starts a killed data node again and waits until it is a connected replica. */
  restart(node: RedisNodeProcess): Promise<void>;
  /**
   * Resolves when the sentinels agree and every running data node replicates from the master.
   * Replication stays asynchronous: a write made just before `killMaster()` may not have
   * reached the replica (one that has just synced gets the write stream after its first
   * acknowledgement, up to a second later), so a test that needs an entry after the failover
   * waits until the replica holds it.
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Ends every process (SIGTERM) and removes their directories. */
  stop(): Promise<void>;
}

export async function startRedisSentinel(
  options: RedisSentinelOptions = {},
): Promise<RedisSentinelSetup> {
  const name = options.name ?? 'primary';
  const downAfterMs = options.downAfterMs ?? 1000;
  const binary = options.binary ?? 'redis-server';
  const cli = binary.endsWith('redis-server')
    ? binary.replace(/redis-server$/, 'redis-cli')
    : 'redis-cli';
  const [masterPort, replicaPort, ...sentinelPorts] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const root = await makeTempDir('redis-sentinel');
  const ids = sentinelPorts.map(() => randomBytes(20).toString('hex'));
  const started: RedisNodeProcess[] = [];

  /** Whom each data node replicates from when (re)started. */
  const replicaOfPort = new Map<number, number>([[replicaPort, masterPort]]);

  async function dataNode(port: number): Promise<RedisNodeProcess> {
    const dir = join(root, String(port));
    await mkdir(dir);
    return createNodeProcess(
      binary,
      port,
      () => [
        ...baseArgs(port),
        '--dir',
        dir,
        ...(replicaOfPort.has(port)
          ? ['--replicaof', '127.0.0.1', String(replicaOfPort.get(port))]
          : []),
      ],
      { readyLine: 'Ready to accept connections', timeoutMs: 10_000, cwd: dir },
    );
  }

  async function sentinel(index: number): Promise<RedisNodeProcess> {
    const port = sentinelPorts[index] as number;
    const dir = join(root, String(port));
    await mkdir(dir);
    const file = join(dir, 'sentinel.conf');
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      `sentinel myid ${ids[index]}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      `sentinel known-replica ${name} 127.0.0.1 ${replicaPort}`,
      ...sentinelPorts
        .map((p, i) =>
          i === index ? '' : `sentinel known-sentinel ${name} 127.0.0.1 ${p} ${ids[i]}`,
        )
        .filter(Boolean),
    ];
    // Sentinel rewrites its file (the current master, the epochs): it must be writable.
    await writeFile(file, `${lines.join('\n')}\n`);
    return createNodeProcess(binary, port, () => [file, '--sentinel'], {
      readyLine: '+monitor master',
      timeoutMs: 10_000,
      cwd: dir,
    });
  }

  const nodes = [await dataNode(masterPort), await dataNode(replicaPort)];
  const sentinels = await Promise.all(sentinelPorts.map((_, i) => sentinel(i)));
  const byPort = new Map(nodes.map((n) => [n.port, n]));

  async function master(): Promise<RedisNodeProcess> {
    const answers = await Promise.all(
      sentinels
        .filter((s) => s.running)
        .map((s) => redisCli(s.port, ['SENTINEL', 'get-master-addr-by-name', name], cli)),
    );
    const ports = new Set(answers.map((a) => Number(a.split('\n')[1])));
    if (ports.size !== 1) throw new Error(`the sentinels disagree about the master: ${[...ports]}`);
    const node = byPort.get([...ports][0] as number);
    if (node === undefined) throw new Error('the sentinels name an unknown master');
    return node;
  }

  async function waitUntilHealthy(ms = 20_000): Promise<void> {
    await waitFor(
      'the sentinel setup to be healthy',
      async () => {
        const current = await master();
        if (!current.running) return undefined;
        const info = await redisCli(current.port, ['INFO', 'replication'], cli);
        if (!info.includes('role:master')) return undefined;
        const replicas = nodes.filter((n) => n !== current && n.running);
        for (const r of replicas) {
          const own = await redisCli(r.port, ['INFO', 'replication'], cli);
          if (
            !own.includes(`master_port:${current.port}`) ||
            !own.includes('master_link_status:up')
          ) {
            return undefined;
          }
        }
        return true;
      },
      ms,
      50,
    );
  }

  try {
    for (const n of nodes) {
      started.push(n);
      await n.start();
    }
    for (const s of sentinels) started.push(s);
    await Promise.all(sentinels.map((s) => s.start()));
    await waitUntilHealthy(30_000);
  } catch (error) {
    await Promise.all(started.map((p) => p.kill()));
    await removeDir(root);
    throw error;
  }

  return {
    name,
    sentinelRootNodes: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    nodes,
    sentinels,
    master,

    async killMaster() {
      const old = await master();
      const began = Date.now();
      await old.kill();
      const promoted = await waitFor(
        'the sentinels to promote the replica',
        async () => {
          const now = await master();
          return now === old ? undefined : now;
        },
        30_000,
        25,
      );
      await waitFor(
        `${promoted.port} to answer as master`,
        async () =>
          (await redisCli(promoted.port, ['INFO', 'replication'], cli)).includes('role:master')
            ? true
            : undefined,
        30_000,
        25,
      );
      return { promoted, ms: Date.now() - began };
    },

    async restart(node) {
      // It comes back as a replica of the current master, as an operator's restart with the
      // sentinels' rewritten configuration would (the sentinels would convert it too, later).
      const current = await master();
      if (current !== node) replicaOfPort.set(node.port, current.port);
      else replicaOfPort.delete(node.port);
      await node.start();
      await waitUntilHealthy(30_000);
    },

    waitUntilHealthy,

    async stop() {
      await Promise.all([...sentinels, ...nodes].map((p) => p.stop()));
      await removeDir(root);
    },
  };
}
