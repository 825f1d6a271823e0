/**
 * Starts one app instance as a separate process (see instance.mjs) and drives it over IPC.
 * Separate processes are the point: nothing is shared but Redis and the identity service.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Framework = 'express' | 'koa' | 'fastify';

export interface InstanceConfig {
  readonly framework: Framework;
  /** One server (`redisUrl`), or a cluster / Sentinel setup (`redis`). */
  readonly redisUrl?: string;
  readonly redis?:
    | { readonly kind: 'cluster'; readonly rootNodes: readonly { readonly url: string }[] }
    | {
        readonly kind: 'sentinel';
        readonly name: string;
        readonly sentinelRootNodes: readonly { readonly host: string; readonly port: number }[];
      };
  /** The guard's `dpop` option. */
  readonly dpop?: unknown;
  /** Mounts the Shared Signals receiver at `/ssf` with these options. */
  readonly ssf?: { readonly issuer: string; readonly jwksUri: string; readonly audience: string };
  readonly hmacKey: string;
  readonly introspectionEndpoint: string;
  readonly clientAuth: Record<string, unknown>;
  readonly cache?: Record<string, unknown>;
  readonly lock?: boolean | Record<string, number>;
}

export interface Instance {
  readonly url: string;
  call<T = unknown>(op: string, arg?: unknown): Promise<T>;
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('./instance.mjs', import.meta.url));
const root = new URL('../../../', import.meta.url);
const BUILT = ['core', 'express', 'koa', 'fastify', 'redis'].map((name) =>
  fileURLToPath(new URL(`packages/${name}/dist/index.js`, root)),
);

export async function startInstance(config: InstanceConfig): Promise<Instance> {
  const missing = BUILT.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `the many-instances tests run the built packages in child processes: run \`pnpm build\` first (missing ${missing.join(', ')})`,
    );
  }
  const child: ChildProcess = fork(script, [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('instance did not start within 60 s')), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code} before it was ready`));
    });
    child.on(
      'message',
      (message: {
        ready?: boolean;
        port?: number;
        id?: number;
        ok?: boolean;
        value?: unknown;
        error?: string;
      }) => {
        if (message.ready === true) {
          clearTimeout(timer);
          resolve(message.port as number);
          return;
        }
        const waiter = message.id === undefined ? undefined : pending.get(message.id);
        if (waiter === undefined) return;
        pending.delete(message.id as number);
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(new Error(message.error));
      },
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    call<T>(op: string, arg?: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, arg });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
