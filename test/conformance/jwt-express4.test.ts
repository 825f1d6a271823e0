import express4 from 'express4';
import { expressHarness } from './adapters/express.js';
import { withPrebuiltGuard } from './harness.js';
import { runJwtConformance } from './jwt-conformance.js';

const harness = expressHarness('express 4', express4);
runJwtConformance(harness);
// The same cases with a prebuilt guard (`createGuard(options)` handed to the adapter).
runJwtConformance(withPrebuiltGuard(harness));
