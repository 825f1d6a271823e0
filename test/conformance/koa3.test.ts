import Koa from 'koa';
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { koaHarness } from './adapters/koa.js';
import { runCacheConformance } from './cache-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runConformance } from './run-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

const harness = koaHarness('koa 3', Koa);
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
runAdapterKitConformance(harness);
runVerdictsConformance(harness);
