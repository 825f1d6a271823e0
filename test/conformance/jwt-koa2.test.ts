import Koa2 from 'koa2';
import { koaHarness } from './adapters/koa.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(koaHarness('koa 2', Koa2));
