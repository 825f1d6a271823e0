import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient, isAuthFailure } from './client-auth.js';
import { parseForm, sendError, sendJson } from './internal/http.js';
import type { ServerState } from './internal/state.js';

/**
 * `POST /v1/oauth/introspect` per the identity service's introspection contract and
 * RFC 7662 §2: caller authentication
 * first (401, then 403), then the `token` parameter (400), then the answer — the token's
 * claims with `active: true`, or only `active: false` for unknown, expired or revoked tokens
 * (§2.2: nothing else is disclosed about an inactive token).
 */
export async function handleIntrospection(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const form = parseForm(req, body);
  const audiences = [state.introspectionEndpoint, state.issuer];
  const caller = await authenticateClient(state, req, form, audiences, true);
  if (isAuthFailure(caller)) {
    return sendError(res, caller.status, caller.error, caller.description, caller.headers);
  }
  if (
    caller.clientId !== undefined &&
    state.clients.get(caller.clientId)?.canIntrospect === false
  ) {
    return sendError(res, 403, 'access_denied', 'this client is not allowed to introspect tokens');
  }
  if (form.duplicates.includes('token') || form.duplicates.includes('token_type_hint')) {
    return sendError(res, 400, 'invalid_request', 'a parameter was repeated');
  }
  const token = form.get('token');
  if (!token) return sendError(res, 400, 'invalid_request', 'the token parameter is required');
  const record = state.store.active(token);
  sendJson(res, 200, record ? { active: true, ...record.claims } : { active: false });
}
