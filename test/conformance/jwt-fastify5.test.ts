import fastify from 'fastify';
import { fastifyHarness } from './adapters/fastify.js';
import { withPrebuiltGuard } from './harness.js';
import { runJwtConformance } from './jwt-conformance.js';

const harness = fastifyHarness('fastify 5', fastify);
runJwtConformance(harness);
// The same cases with a prebuilt guard (`createGuard(options)` handed to the adapter).
runJwtConformance(withPrebuiltGuard(harness));
