/**
 * The tracing example runs as users run it (built packages, a separate process) and prints
 * the span trees it exported: the request span, the tokenguard span under it, and the
 * introspection call under that; on the cached second request, no upstream call.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const example = `${root}examples/tracing/express-opentelemetry.js`;

describe('examples/tracing/express-opentelemetry.js', () => {
  it('nests tokenguard authenticate under the request span and the introspection call under it', async () => {
    // The example imports the built packages, as an application would.
    expect(existsSync(`${root}packages/express/dist/index.js`), 'run `pnpm build` first').toBe(
      true,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [example], {
      cwd: root,
      timeout: 30_000,
    });
    const trees = stdout.slice(stdout.indexOf('--- span trees ---')).split('\n').slice(1);
    const shape = trees
      .filter((line) => line.trim() !== '')
      .map((line) => line.replace(/ \(([a-z]+), [\d.]+ ms\)/, ' ($1)'));
    expect(shape).toEqual([
      'GET (client)',
      '  GET (server)',
      '    tokenguard authenticate (internal) strategy=introspection cache_tier=none upstream_called=true coalesced=false',
      '      POST (client)',
      '        POST (server)',
      'GET (client)',
      '  GET (server)',
      '    tokenguard authenticate (internal) strategy=introspection cache_tier=local upstream_called=false coalesced=false',
    ]);
    // The console exporter printed every span as well.
    expect(stdout.match(/name: 'tokenguard authenticate'/g)).toHaveLength(2);
  });
});
