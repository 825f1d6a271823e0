// @ts-check
/**
 * A small flag parser: `--name value`, `--name=value` and bare boolean `--flag`.
 * No dependency, so the bench has nothing to install beyond what it measures.
 */

/**
 * @param {string[]} argv
 * @param {Record<string, 'string' | 'number' | 'boolean'>} spec
 * @returns {Record<string, string | number | boolean | undefined>}
 */
export function parseArgs(argv, spec) {
  /** @type {Record<string, string | number | boolean | undefined>} */
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const type = spec[name];
    if (type === undefined) {
      throw new Error(
        `unknown flag --${name} (known: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
    }
    if (type === 'boolean') {
      out[name] = eq === -1 ? true : arg.slice(eq + 1) !== 'false';
      continue;
    }
    const raw = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined) throw new Error(`--${name} needs a value`);
    if (type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0)
        throw new Error(`--${name} expects a positive number, got ${raw}`);
      out[name] = n;
    } else {
      out[name] = raw;
    }
  }
  return out;
}
