import { nestHarness } from './adapters/nest.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(nestHarness(11, 'fastify'));
