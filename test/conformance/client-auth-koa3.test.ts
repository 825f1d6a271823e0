import Koa from 'koa';
import { koaHarness } from './adapters/koa.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(koaHarness('koa 3', Koa));
