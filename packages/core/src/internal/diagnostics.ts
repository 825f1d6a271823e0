/**
 * `node:diagnostics_channel` channels, all created here. Payloads are built only when
 * someone subscribes, and carry at most a token-hash prefix, never a token.
 *
 * - `tokenguard:auth:success`  `{ strategy, tokenHash }`
 * - `tokenguard:auth:failure`  `{ code, status, reason }`
 * - `tokenguard:upstream:error` `{ code, message }`
 */
import { channel } from 'node:diagnostics_channel';

export const authSuccessChannel = channel('tokenguard:auth:success');
export const authFailureChannel = channel('tokenguard:auth:failure');
export const upstreamErrorChannel = channel('tokenguard:upstream:error');
