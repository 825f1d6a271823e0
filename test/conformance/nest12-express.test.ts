import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { nestHarness } from './adapters/nest.js';
import { runCacheConformance } from './cache-conformance.js';
import { withPrebuiltGuard } from './harness.js';
import { runIssuersConformance } from './issuers-conformance.js';
import { runNestConformance } from './nest-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runPreflightConformance } from './preflight-conformance.js';
import { runResourceMetadataConformance } from './resource-metadata-conformance.js';
import { runConformance } from './run-conformance.js';
import { runSenderConstrainedConformance } from './sender-constrained-conformance.js';
import { runSharedStoreConformance } from './shared-store-conformance.js';
import { runStepUpConformance } from './step-up-conformance.js';
import { runTokenLocationsConformance } from './token-locations-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

const harness = nestHarness(12, 'express');
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
runAdapterKitConformance(harness);
runVerdictsConformance(harness);
runTokenLocationsConformance(harness);
runPreflightConformance(harness);
runStepUpConformance(harness);
runResourceMetadataConformance(harness);
runIssuersConformance(harness);
runSenderConstrainedConformance(harness);
runSharedStoreConformance(harness);
// The same suites with a prebuilt guard (`createGuard(options)` handed to the adapter), which
// must behave exactly like the one the adapter builds: a representative subset (extraction,
// errors, body tokens, introspection, logging, RFC 9728), to keep CI time in check.
const prebuilt = withPrebuiltGuard(harness);
runConformance(prebuilt);
runResourceMetadataConformance(prebuilt);
runNestConformance(12, 'express');
