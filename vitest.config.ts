import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// CI asks for a machine-readable summary too (pnpm's own `--reporter` flag would swallow
// vitest's), so it is switched on by an environment variable.
const jsonSummary = process.env.TOKENGUARD_TEST_JSON;

export default defineConfig({
  resolve: {
    // Tests run against the sources, so `pnpm test` needs no build step.
    alias: [
      {
        find: /^@tokenguard\/core\/adapter-kit$/,
        replacement: `${root}packages/core/src/adapter-kit/index.ts`,
      },
      {
        find: /^@tokenguard\/core\/adapter-exports$/,
        replacement: `${root}packages/core/src/adapter-exports.ts`,
      },
      {
        find: /^@tokenguard\/(core|express|koa|fastify|hono|testing|redis)$/,
        replacement: `${root}packages/$1/src/index.ts`,
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Runtime-only files (Bun.serve, Deno.serve): vitest.runtimes.config.ts runs them there.
    exclude: [...configDefaults.exclude, 'test/runtimes/**'],
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts', 'test/**/*.test-d.ts'],
    },
    // The suites wait on timers and loopback servers about half of the time (one conformance
    // file: 15 s of CPU in 29 s), so even a 2-core machine runs two files at once; vitest's own
    // default (cores − 1) would run them one by one there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 20_000,
    ...(jsonSummary ? { reporters: ['default', 'json'], outputFile: { json: jsonSummary } } : {}),
  },
});
