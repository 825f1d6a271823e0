/**
 * A real `redis-server` on a free loopback port, for tests of the shared cache tier (ours
 * and our users'). Nothing is persisted; `stop()` ends it. A machine without the server is
 * a clear error, never a silent skip: install it with `apt-get install -y redis-server`
 * (Debian/Ubuntu), `brew install redis` (macOS), or pass `binary`.
 */
import type { ChildProcess } from 'node:child_process';
import { baseArgs, endProcess, freePort, launchRedis } from './internal/redis-process.js';

export interface RedisServerOptions {
  /** The server binary. Default `redis-server` from `PATH`. */
  binary?: string;
  /** Port to listen on. Default: a free one. */
  port?: number;
  /** How long to wait for "ready", in milliseconds. Default 10000. */
  startTimeoutMs?: number;
}

/** A running `redis-server`. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Ends the server (SIGTERM, then SIGKILL after 2 s) and waits for it. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after `kill` or `stop`); the data is gone. */
  restart(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server';
  const port = options.port ?? (await freePort());
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = await launchRedis(binary, baseArgs(port), {
      readyLine: 'Ready to accept connections',
      timeoutMs,
    });
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    await endProcess(running, signal);
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGKILL');
      await start();
    },
  };
}
