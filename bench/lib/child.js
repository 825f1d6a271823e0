// @ts-check
/**
 * Helpers for the scenario server processes (the parent side is in proc.js).
 * Protocol: the parent passes the configuration as JSON in BENCH_CONFIG (an environment
 * variable rather than argv, so credentials never show up in `ps`), the child listens on
 * PORT (0 = any free port) and prints one JSON line `{"port":N}` on stdout.
 */

/** @returns {Record<string, any>} */
export function readConfig() {
  const raw = process.env.BENCH_CONFIG;
  return raw ? JSON.parse(raw) : {};
}

/** The port to listen on (PORT=0 picks a free one). */
export function listenPort() {
  return Number(process.env.PORT ?? 0);
}

/**
 * Tells the parent where we listen, and exits when the parent goes away: the parent holds
 * our stdin open, so its end (normal stop or a crash of the parent) ends this process too.
 * @param {number} port
 * @param {() => Promise<void> | void} [onExit]
 */
export function announce(port, onExit) {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const stop = async () => {
    try {
      await onExit?.();
    } finally {
      process.exit(0);
    }
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}
