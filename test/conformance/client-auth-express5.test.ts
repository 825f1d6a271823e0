import express from 'express';
import { expressHarness } from './adapters/express.js';
import { runClientAuthConformance } from './client-auth-conformance.js';

runClientAuthConformance(expressHarness('express 5', express));
