/**
 * The process plumbing shared by `startRedisServer`, `startRedisCluster` and
 * `startRedisSentinel`: launch a `redis-server` and wait for its ready line, stop or kill it,
 * run `redis-cli`, find free loopback ports. A missing binary is a clear error naming the
 * install command, never a silent skip.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT =
  'apt-get install -y redis-server (Debian/Ubuntu; it brings redis-cli), brew install redis (macOS)';

/** Arguments every test server gets: loopback only, nothing persisted, no daemon. */
export function baseArgs(port: number): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--loglevel',
    'notice',
    // A replica's first sync starts at once (Redis waits 5 s by default to batch replicas).
    '--repl-diskless-sync-delay',
    '0',
  ];
}

/**
 * Starts `binary args…` and resolves once its output contains `readyLine` (redis-server:
 * "Ready to accept connections"; a sentinel: "+monitor master").
 */
export function launchRedis(
  binary: string,
  args: readonly string[],
  options: { readyLine: string; timeoutMs: number; cwd?: string },
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${binary} did not become ready within ${options.timeoutMs} ms:\n${output.slice(-2000)}`,
        ),
      );
    }, options.timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(options.readyLine)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('exit', onEarlyExit);
        // Keep draining, so a full pipe never blocks the server.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${binary} exited (${signal ?? code}) before it was ready:\n${output.slice(-2000)}`,
        ),
      );
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `redis-server is not installed (no \`${binary}\` on PATH). The shared-cache tests need a real one: ${INSTALL_HINT}.`,
            )
          : error,
      );
    });
    child.once('exit', onEarlyExit);
  });
}

/** Ends a process (SIGTERM: a clean stop; SIGKILL: a crash) and waits for it to exit. */
export async function endProcess(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** Runs `redis-cli -p PORT args…` and resolves with its output (RESP2 text, trimmed). */
export function redisCli(
  port: number,
  args: readonly string[],
  binary = 'redis-cli',
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(
            new Error(`redis-cli is not installed (no \`${binary}\` on PATH): ${INSTALL_HINT}.`),
          );
          return;
        }
        if (error) {
          reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
          return;
        }
        resolve(stdout.trim());
      },
    );
  });
}

/** A temporary directory for one node's files (cluster config, sentinel config). */
export function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `tokenguard-${label}-`));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A port nobody listens on now (the kernel's choice), on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Polls `check` every `everyMs` until it returns a value other than `undefined`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
