import Koa2 from 'koa2';
import { koaHarness } from './adapters/koa.js';
import { runConformance } from './run-conformance.js';

runConformance(koaHarness('koa 2', Koa2));
