/**
 * Vitest on Bun and Deno (`bun --bun vitest`, `deno run -A vitest`): the same aliases and
 * timeouts as on Node, the runtime-only files included, no type checking (Node's run has it).
 */
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // One project, this one: Node's runs split the Nest 11 files into a project of their own.
    projects: undefined,
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    typecheck: { enabled: false },
  },
});
