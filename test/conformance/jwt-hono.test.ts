import { honoHarness } from './adapters/hono.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(honoHarness());
