/**
 * The JWT suites with node:crypto's `verify` taken away: verify-jwt.ts then checks every
 * signature through WebCrypto, under the same rules. Run on Node next to the main run.
 */
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const aliases = Array.isArray(base.resolve?.alias) ? base.resolve.alias : [];

export default defineConfig({
  ...base,
  resolve: {
    alias: [
      {
        find: /^node:crypto$/,
        replacement: `${root}test/webcrypto/node-crypto-without-verify.ts`,
      },
      ...aliases,
    ],
  },
  test: {
    ...base.test,
    // One project, this one: the main config's Nest 11 project is not part of this run.
    projects: undefined,
    include: [
      'test/webcrypto/*.test.ts',
      'test/hardening/jwt-tokens.property.test.ts',
      'packages/core/test/jwt/*.test.ts',
    ],
    exclude: [...configDefaults.exclude],
    typecheck: { enabled: false },
  },
});
