import fastify from 'fastify';
import { fastifyHarness } from './adapters/fastify.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(fastifyHarness('fastify 5', fastify));
