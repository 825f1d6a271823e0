// @ts-check
/**
 * Child processes of the bench: scenario servers (spawned, configured by env) and their
 * resource usage, read from /proc so that only the measured window is counted.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const serversDir = fileURLToPath(new URL('../servers/', import.meta.url));

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const clockTicks = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/**
 * User + system CPU time of a process so far, in microseconds, or `undefined` where /proc
 * is missing (not Linux).
 * @param {number} pid
 */
export function cpuMicros(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  // What follows starts at field 3 (state); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / clockTicks;
}

/**
 * Resident set size of a process in bytes, or `undefined` without /proc.
 * @param {number} pid
 */
export function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @typedef {object} ServerHandle
 * @property {string} name
 * @property {number} pid
 * @property {number} port
 * @property {string} url
 * @property {() => number | undefined} cpuMicros
 * @property {() => number | undefined} rssBytes
 * @property {() => Promise<void>} stop
 * @property {string} stderr the tail of its stderr
 */

/**
 * Starts `bench/servers/<file>` as its own process (NODE_ENV=production, PORT=0) and waits
 * for its `{"port":N}` line.
 * @param {string} file e.g. `express.js`
 * @param {Record<string, unknown>} config passed as BENCH_CONFIG
 * @param {{ name?: string, execArgv?: string[], timeoutMs?: number, runtime?: string[] }} [options]
 *   `runtime`: the binary and its arguments before the file (default: this Node.js)
 * @returns {Promise<ServerHandle>}
 */
export function startServer(file, config, options = {}) {
  const name = options.name ?? file;
  const [binary, ...runtimeArgs] = options.runtime ?? [process.execPath];
  const child = spawn(binary, [...runtimeArgs, ...(options.execArgv ?? []), serversDir + file], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      BENCH_CONFIG: JSON.stringify(config),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Keep the tail of stderr to explain a failed start; do not echo it (one-time library
  // warnings, e.g. about plain-http endpoints on loopback, are expected here).
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${name}: no port announced within ${options.timeoutMs ?? 20000} ms\n${stderr}`),
      );
    }, options.timeoutMs ?? 20000);
    const onExit = (/** @type {number | null} */ code) => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited with code ${code} before listening\n${stderr}`));
    };
    child.once('exit', onExit);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', function onData(chunk) {
      stdout += chunk;
      const nl = stdout.indexOf('\n');
      if (nl === -1) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      clearTimeout(timer);
      child.off('exit', onExit);
      const { port } = JSON.parse(stdout.slice(0, nl));
      const pid = /** @type {number} */ (child.pid);
      resolve({
        name,
        pid,
        port,
        url: `http://127.0.0.1:${port}`,
        cpuMicros: () => cpuMicros(pid),
        rssBytes: () => rssBytes(pid),
        stop: () => stopChild(child),
        get stderr() {
          return stderr;
        },
      });
    });
  });
}

/**
 * Ends a child: closing its stdin asks it to exit; SIGKILL if it has not after 3 s.
 * @param {import('node:child_process').ChildProcess} child
 */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(
    /** @param {(v?: void) => void} resolve */ (resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin?.end();
    },
  );
}
