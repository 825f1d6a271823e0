import express from 'express';
import { expressHarness } from './adapters/express.js';
import { runJwtConformance } from './jwt-conformance.js';

runJwtConformance(expressHarness('express 5', express));
