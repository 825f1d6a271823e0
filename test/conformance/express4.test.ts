import express4 from 'express4';
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { expressHarness } from './adapters/express.js';
import { runCacheConformance } from './cache-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runConformance } from './run-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

const harness = expressHarness('express 4', express4);
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
runAdapterKitConformance(harness);
runVerdictsConformance(harness);
