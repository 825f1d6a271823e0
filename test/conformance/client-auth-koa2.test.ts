import Koa2 from 'koa2';
import { koaHarness } from './adapters/koa.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(koaHarness('koa 2', Koa2));
