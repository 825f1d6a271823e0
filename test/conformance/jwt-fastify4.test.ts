import type fastify from 'fastify';
import fastify4 from 'fastify4';
import { fastifyHarness } from './adapters/fastify.js';
import { withPrebuiltGuard } from './harness.js';
import { runJwtConformance } from './jwt-conformance.js';

// Fastify 4 ships its own types; the harness is written against Fastify 5's, whose
// surface used here (register, route options, hooks, listen) is the same.
const harness = fastifyHarness('fastify 4', fastify4 as unknown as typeof fastify);
runJwtConformance(harness);
// The same cases with a prebuilt guard (`createGuard(options)` handed to the adapter).
runJwtConformance(withPrebuiltGuard(harness));
