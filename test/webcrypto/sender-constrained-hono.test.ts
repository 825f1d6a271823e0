/**
 * The sender-constrained conformance (DPoP proof attacks, replay, nonces, modes, certificate
 * binding) for one adapter with every DPoP signature checked by WebCrypto: the same answers
 * as on node:crypto. Hono, the adapter most often run where node:crypto may be missing.
 */
import { honoHarness } from '../conformance/adapters/hono.js';
import { runSenderConstrainedConformance } from '../conformance/sender-constrained-conformance.js';

runSenderConstrainedConformance(honoHarness());
