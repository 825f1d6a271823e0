import { honoHarness } from './adapters/hono.js';
import { withPrebuiltGuard } from './harness.js';
import { runJwtConformance } from './jwt-conformance.js';

const harness = honoHarness();
runJwtConformance(harness);
// The same cases with a prebuilt guard (`createGuard(options)` handed to the adapter).
runJwtConformance(withPrebuiltGuard(harness));
