import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient, isAuthFailure } from './client-auth.js';
import { parseForm, sendError } from './internal/http.js';
import type { ServerState } from './internal/state.js';

/**
 * `POST /oauth/revoke` (RFC 7009 §2): an authenticated client revokes a token. Unknown tokens
 * are answered 200 too (§2.2), so the answer reveals nothing about the token.
 */
export async function handleRevocation(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const form = parseForm(req, body);
  const caller = await authenticateClient(
    state,
    req,
    form,
    [state.revocationEndpoint, state.issuer],
    false,
  );
  if (isAuthFailure(caller)) {
    return sendError(res, caller.status, caller.error, caller.description, caller.headers);
  }
  const token = form.get('token');
  if (!token || form.duplicates.includes('token')) {
    return sendError(res, 400, 'invalid_request', 'exactly one token parameter is required');
  }
  state.store.revoke(token);
  res.writeHead(200, { 'cache-control': 'no-store', 'content-length': '0' });
  res.end();
}
