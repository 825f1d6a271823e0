import express4 from 'express4';
import { expressHarness } from './adapters/express.js';
import { runConformance } from './run-conformance.js';

runConformance(expressHarness('express 4', express4));
