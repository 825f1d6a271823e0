import fastify from 'fastify';
import { fastifyHarness } from './adapters/fastify.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(fastifyHarness('fastify 5', fastify));
