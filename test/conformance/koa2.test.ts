import Koa2 from 'koa2';
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { koaHarness } from './adapters/koa.js';
import { runCacheConformance } from './cache-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runConformance } from './run-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

const harness = koaHarness('koa 2', Koa2);
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
runAdapterKitConformance(harness);
runVerdictsConformance(harness);
