import Koa from 'koa';
import { koaHarness } from './adapters/koa.js';
import { runConformance } from './run-conformance.js';

runConformance(koaHarness('koa 3', Koa));
