import express from 'express';
import { expressHarness } from './adapters/express.js';
import { runConformance } from './run-conformance.js';

runConformance(expressHarness('express 5', express));
