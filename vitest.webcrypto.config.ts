/**
 * The JWT and DPoP suites with node:crypto's `verify` taken away: verify-jwt.ts then checks
 * every signature through WebCrypto (a DPoP proof's too, verify-dpop-proof.ts), under the same
 * rules. Run on Node next to the main run. test/webcrypto/ holds the proofs that this run
 * really takes that path, and the sender-constrained conformance for one adapter.
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
      'packages/core/test/sender-constraint/dpop-proof-key.test.ts',
      'packages/core/test/sender-constraint/verify-dpop-proof.test.ts',
    ],
    exclude: [...configDefaults.exclude],
    typecheck: { enabled: false },
  },
});
