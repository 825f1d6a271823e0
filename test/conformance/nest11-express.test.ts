/**
 * Nest 11 on express: the cases whose outcome depends on the platform (how the request is read,
 * the answer written, TLS, the document and receiver middleware, adapter options). The
 * core-only suites (cache, verdicts, operations, issuers, JWT, client authentication) run in
 * full on one platform per Nest major (nest12-express, nest11-fastify), to keep CI lean.
 */
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { nestHarness } from './adapters/nest.js';
import { withPrebuiltGuard } from './harness.js';
import { runNestConformance } from './nest-conformance.js';
import { runPreflightConformance } from './preflight-conformance.js';
import { runResourceMetadataConformance } from './resource-metadata-conformance.js';
import { runConformance } from './run-conformance.js';
import { runSenderConstrainedConformance } from './sender-constrained-conformance.js';
import { runStepUpConformance } from './step-up-conformance.js';
import { runTokenLocationsConformance } from './token-locations-conformance.js';

const harness = nestHarness(11, 'express');
runConformance(harness);
runAdapterKitConformance(harness);
runTokenLocationsConformance(harness);
runPreflightConformance(harness);
runStepUpConformance(harness);
runResourceMetadataConformance(harness);
runSenderConstrainedConformance(harness);
// The same suites with a prebuilt guard (`createGuard(options)` handed to the adapter), which
// must behave exactly like the one the adapter builds: a representative subset (extraction,
// errors, body tokens, introspection, logging, RFC 9728), to keep CI time in check.
const prebuilt = withPrebuiltGuard(harness);
runConformance(prebuilt);
runResourceMetadataConformance(prebuilt);
runNestConformance(11, 'express');
