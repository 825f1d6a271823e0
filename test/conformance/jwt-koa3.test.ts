import Koa from 'koa';
import { koaHarness } from './adapters/koa.js';
import { withPrebuiltGuard } from './harness.js';
import { runJwtConformance } from './jwt-conformance.js';

const harness = koaHarness('koa 3', Koa);
runJwtConformance(harness);
// The same cases with a prebuilt guard (`createGuard(options)` handed to the adapter).
runJwtConformance(withPrebuiltGuard(harness));
