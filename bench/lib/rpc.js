// @ts-check
/**
 * A minimal symmetric request/response protocol over a Node IPC channel, used between the
 * bench and its forked helpers (the identity server, the memory probe). Either side can
 * call the other: `{ type: 'call', id, op, args }` is answered by
 * `{ type: 'reply', id, ok, result | error }`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {(args: any) => unknown} Handler
 * @typedef {{ call: (op: string, args?: unknown) => Promise<any> }} Rpc
 */

/**
 * @param {{ send?: Function, on: Function }} channel `process` in a child, a ChildProcess in the parent
 * @param {Record<string, Handler>} handlers
 * @returns {Rpc}
 */
export function createRpc(channel, handlers) {
  let nextId = 0;
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
  const pending = new Map();
  channel.on('message', async (/** @type {any} */ msg) => {
    if (msg?.type === 'reply') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
      return;
    }
    if (msg?.type !== 'call') return;
    const handler = handlers[msg.op];
    try {
      if (!handler) throw new Error(`unknown op ${msg.op}`);
      const result = await handler(msg.args);
      channel.send?.({ type: 'reply', id: msg.id, ok: true, result });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      channel.send?.({ type: 'reply', id: msg.id, ok: false, error: message });
    }
  });
  if ('once' in channel && typeof channel.once === 'function') {
    channel.once('exit', () => {
      for (const p of pending.values()) p.reject(new Error('peer exited'));
      pending.clear();
    });
  }
  return {
    call(op, args) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        channel.send?.({ type: 'call', id, op, args });
      });
    },
  };
}

/**
 * Forks `bench/servers/<file>` with an IPC channel and waits for its `{ type: 'ready' }`.
 * @param {string} file
 * @param {{ handlers?: Record<string, Handler>, execArgv?: string[], config?: unknown }} [options]
 */
export function forkHelper(file, options = {}) {
  const child = fork(fileURLToPath(new URL(`../servers/${file}`, import.meta.url)), [], {
    execArgv: options.execArgv ?? [],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      BENCH_CONFIG: JSON.stringify(options.config ?? {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const rpc = createRpc(child, options.handlers ?? {});
  return new Promise((resolve, reject) => {
    const onExit = (/** @type {number | null} */ code) =>
      reject(new Error(`${file} exited with code ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', function onReady(/** @type {any} */ msg) {
      if (msg?.type !== 'ready') return;
      child.off('message', onReady);
      child.off('exit', onExit);
      resolve({
        child,
        pid: /** @type {number} */ (child.pid),
        info: msg.info,
        call: rpc.call,
        /** Disconnecting asks the helper to close; SIGKILL after 3 s. */
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done(undefined);
            const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
            child.once('exit', () => {
              clearTimeout(timer);
              done(undefined);
            });
            if (child.connected) child.disconnect();
            else child.kill('SIGTERM');
          }),
      });
    });
  });
}
