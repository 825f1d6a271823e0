import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { honoHarness } from './adapters/hono.js';
import { runCacheConformance } from './cache-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runConformance } from './run-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

const harness = honoHarness();
runConformance(harness);
runCacheConformance(harness);
runAdapterKitConformance(harness);
runOpsConformance(harness);
runVerdictsConformance(harness);
