/**
 * Nest 11 on express: the cases whose outcome depends on the platform (how the request is read,
 * the answer written, TLS, the document and receiver middleware, adapter options). The
 * core-only suites (cache, verdicts, operations, issuers, JWT, client authentication) run in
 * full on one platform per Nest major (nest12-express, nest11-fastify), to keep CI lean.
 */
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { nestHarness } from './adapters/nest.js';
import { runNestConformance } from './nest-conformance.js';
import { runResourceMetadataConformance } from './resource-metadata-conformance.js';
import { runConformance } from './run-conformance.js';
import { runSenderConstrainedConformance } from './sender-constrained-conformance.js';
import { runStepUpConformance } from './step-up-conformance.js';
import { runTokenLocationsConformance } from './token-locations-conformance.js';

const harness = nestHarness(11, 'express');
runConformance(harness);
runAdapterKitConformance(harness);
runTokenLocationsConformance(harness);
runStepUpConformance(harness);
runResourceMetadataConformance(harness);
runSenderConstrainedConformance(harness);
runNestConformance(11, 'express');
