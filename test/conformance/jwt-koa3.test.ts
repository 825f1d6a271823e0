import Koa from 'koa';
import { koaHarness } from './adapters/koa.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(koaHarness('koa 3', Koa));
