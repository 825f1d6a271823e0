import fastify from 'fastify';
import { fastifyHarness } from './adapters/fastify.js';
import { runConformance } from './run-conformance.js';

runConformance(fastifyHarness('fastify 5', fastify));
