import fastify from 'fastify';
import { runAdapterKitConformance } from './adapter-kit-conformance.js';
import { fastifyHarness } from './adapters/fastify.js';
import { runCacheConformance } from './cache-conformance.js';
import { runOpsConformance } from './ops-conformance.js';
import { runConformance } from './run-conformance.js';
import { runVerdictsConformance } from './verdicts-conformance.js';

const harness = fastifyHarness('fastify 5', fastify);
runConformance(harness);
runCacheConformance(harness);
runOpsConformance(harness);
runAdapterKitConformance(harness);
runVerdictsConformance(harness);
