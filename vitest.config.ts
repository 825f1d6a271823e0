import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// CI asks for a machine-readable summary too (pnpm's own `--reporter` flag would swallow
// vitest's), so it is switched on by an environment variable.
const jsonSummary = process.env.TOKENGUARD_TEST_JSON;
// Files named `*nest11*` run against NestJS 11 (test/nest11 installs it): `@nestjs/*` resolves
// there, for the test and for @tokenguard/nestjs's sources alike, so one Nest copy serves the
// app (Nest 12, the default, is the root's).
const nest11 = ['packages/*/test/**/*nest11*.test.ts', 'test/**/*nest11*.test.ts'];

// Tests run against the sources, so `pnpm test` needs no build step.
const sources = [
  {
    find: /^@tokenguard\/core\/adapter-kit$/,
    replacement: `${root}packages/core/src/adapter-kit/index.ts`,
  },
  {
    find: /^@tokenguard\/core\/adapter-exports$/,
    replacement: `${root}packages/core/src/adapter-exports.ts`,
  },
  {
    find: /^@tokenguard\/(core|express|koa|fastify|hono|nestjs|testing|redis)$/,
    replacement: `${root}packages/$1/src/index.ts`,
  },
];

export default defineConfig({
  resolve: {
    alias: sources,
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Runtime-only files (Bun.serve, Deno.serve) run under vitest.runtimes.config.ts there.
    // Runs with their own configs: vitest.webcrypto.config.ts (node:crypto without `verify`).
    exclude: [...configDefaults.exclude, 'test/runtimes/**', 'test/webcrypto/**'],
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts', 'test/**/*.test-d.ts'],
    },
    projects: [
      // Extends the root: its include, exclude and typecheck, less the Nest 11 files.
      { extends: true, test: { name: 'node', exclude: nest11 } },
      // Not extended (vitest would add the root's include to its own).
      {
        resolve: {
          alias: [
            {
              find: /^@nestjs\/(common|core|platform-express|platform-fastify|testing)(\/.*)?$/,
              replacement: `${root}test/nest11/node_modules/@nestjs/$1$2`,
            },
            ...sources,
          ],
        },
        test: { name: 'nest11', include: nest11, testTimeout: 20_000, hookTimeout: 20_000 },
      },
    ],
    // The suites wait on timers and loopback servers about half of the time (one conformance
    // file: 15 s of CPU in 29 s), so even a 2-core machine runs two files at once; vitest's own
    // default (cores − 1) would run them one by one there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 20_000,
    ...(jsonSummary ? { reporters: ['default', 'json'], outputFile: { json: jsonSummary } } : {}),
  },
});
