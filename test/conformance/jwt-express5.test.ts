import express from 'express';
import { expressHarness } from './adapters/express.js';
import { withPrebuiltGuard } from './harness.js';
import { runJwtConformance } from './jwt-conformance.js';

const harness = expressHarness('express 5', express);
runJwtConformance(harness);
// The same cases with a prebuilt guard (`createGuard(options)` handed to the adapter).
runJwtConformance(withPrebuiltGuard(harness));
