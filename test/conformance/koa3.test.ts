import Koa from 'koa';
import { koaHarness } from './adapters/koa.js';
import { runCacheConformance } from './cache-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runConformance } from './run-conformance.js';

const harness = koaHarness('koa 3', Koa);
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
