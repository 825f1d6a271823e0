import express4 from 'express4';
import { expressHarness } from './adapters/express.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(expressHarness('express 4', express4));
