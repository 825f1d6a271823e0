import type fastify from 'fastify';
import fastify4 from 'fastify4';
import { fastifyHarness } from './adapters/fastify.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

// Fastify 4 ships its own types; the harness is written against Fastify 5's, whose
// surface used here (register, route options, hooks, listen) is the same.
runClientAuthConformance(fastifyHarness('fastify 4', fastify4 as unknown as typeof fastify));
