import express4 from 'express4';
import { expressHarness } from './adapters/express.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(expressHarness('express 4', express4));
