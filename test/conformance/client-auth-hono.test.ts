import { honoHarness } from './adapters/hono.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(honoHarness());
