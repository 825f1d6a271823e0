/**
 * One `redis-server` process of a cluster or a Sentinel setup, on a fixed port, that can be
 * killed (as a crash) and started again with the same files (a cluster node keeps its
 * identity in its `nodes.conf`, so it rejoins, as a replica of whoever took over).
 */
import type { ChildProcess } from 'node:child_process';
import { endProcess, launchRedis } from './internal/redis-process.js';

export interface RedisNodeProcess {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Whether the process is running now. */
  readonly running: boolean;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Ends it cleanly (SIGTERM). */
  stop(): Promise<void>;
  /** Starts it again with the same arguments and files. */
  start(): Promise<void>;
}

export function createNodeProcess(
  binary: string,
  port: number,
  args: () => readonly string[],
  options: { readyLine: string; timeoutMs: number; cwd: string },
): RedisNodeProcess {
  let child: ChildProcess | undefined;
  async function end(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    await endProcess(running, signal);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
    async start() {
      if (child !== undefined) return;
      child = await launchRedis(binary, args(), options);
    },
  };
}
