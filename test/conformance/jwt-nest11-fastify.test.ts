import { nestHarness } from './adapters/nest.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(nestHarness(11, 'fastify'));
