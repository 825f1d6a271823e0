import type fastifyCors from '@fastify/cors';
import type fastify from 'fastify';
import fastify4 from 'fastify4';
import fastify4Cors from 'fastify4-cors';
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { fastifyHarness } from './adapters/fastify.js';
import { runCacheConformance } from './cache-conformance.js';
import { withPrebuiltGuard } from './harness.js';
import { runIssuersConformance } from './issuers-conformance.js';
import { runJunkFloodConformance } from './junk-flood-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runPreflightConformance } from './preflight-conformance.js';
import { runResourceMetadataConformance } from './resource-metadata-conformance.js';
import { runConformance } from './run-conformance.js';
import { runSenderConstrainedConformance } from './sender-constrained-conformance.js';
import { runSharedStoreConformance } from './shared-store-conformance.js';
import { runStepUpConformance } from './step-up-conformance.js';
import { runTokenLocationsConformance } from './token-locations-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

// Fastify 4 ships its own types; the harness is written against Fastify 5's, whose
// surface used here (register, route options, hooks, listen) is the same.
const harness = fastifyHarness(
  'fastify 4',
  fastify4 as unknown as typeof fastify,
  fastify4Cors as unknown as typeof fastifyCors,
);
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
runAdapterKitConformance(harness);
runVerdictsConformance(harness);
runTokenLocationsConformance(harness);
runPreflightConformance(harness);
runJunkFloodConformance(harness);
runStepUpConformance(harness);
runResourceMetadataConformance(harness);
runIssuersConformance(harness);
runSenderConstrainedConformance(harness);
runSharedStoreConformance(harness);

// The same suites with a prebuilt guard (`createGuard(options)` handed to the adapter), which
// must behave exactly like the one the adapter builds: a representative subset (extraction,
// errors, body tokens, introspection, logging, preflights, RFC 9728), to keep CI time in check.
const prebuilt = withPrebuiltGuard(harness);
runConformance(prebuilt);
runPreflightConformance(prebuilt);
runResourceMetadataConformance(prebuilt);
