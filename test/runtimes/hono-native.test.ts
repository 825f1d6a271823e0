/**
 * The whole conformance suite for Hono on the runtime's own server (`Bun.serve`, `Deno.serve`):
 * the adapter's Fetch path, with no Node HTTP layer underneath. Runs only on Bun and Deno
 * (vitest.runtimes.config.ts); on Node the same cases run through `@hono/node-server`.
 */
import { runAdapterKitConformance } from '../conformance/adapter-kit-conformance.js';
import { honoHarness } from '../conformance/adapters/hono.js';
import { nativeServerName, serveFetch } from '../conformance/adapters/serve-fetch.js';
import { runCacheConformance } from '../conformance/cache-conformance.js';
import { runClientAuthConformance } from '../conformance/client-auth-conformance.js';
import { runIssuersConformance } from '../conformance/issuers-conformance.js';
import { runJwtConformance } from '../conformance/jwt-conformance.js';
import { runOpsConformance } from '../conformance/ops-conformance.js';
import { runResourceMetadataConformance } from '../conformance/resource-metadata-conformance.js';
import { runConformance } from '../conformance/run-conformance.js';
import { runSenderConstrainedConformance } from '../conformance/sender-constrained-conformance.js';
import { runStepUpConformance } from '../conformance/step-up-conformance.js';
import { runTokenLocationsConformance } from '../conformance/token-locations-conformance.js';
import { runVerdictsConformance } from '../conformance/verdicts-conformance.js';

const server = nativeServerName() ?? 'no native server';
const harness = honoHarness(`hono 4 on ${server}`, {
  serve: serveFetch,
  cannot: {
    tlsClientCertificate: `${server} hands a request handler no TLS client certificate (RFC 8705 through a trusted proxy's Client-Cert header runs here)`,
  },
});
runConformance(harness);
runCacheConformance(harness);
runAdapterKitConformance(harness);
runOpsConformance(harness);
runVerdictsConformance(harness);
runTokenLocationsConformance(harness);
runStepUpConformance(harness);
runResourceMetadataConformance(harness);
runIssuersConformance(harness);
runSenderConstrainedConformance(harness);
runJwtConformance(harness);
runClientAuthConformance(harness);
