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
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    typecheck: { enabled: false },
  },
});
