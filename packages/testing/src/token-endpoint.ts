import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient, isAuthFailure } from './client-auth.js';
import { nowSec, parseForm, sendError, sendJson } from './internal/http.js';
import type { ServerState } from './internal/state.js';
import { randomToken } from './internal/token-store.js';

/**
 * `POST /oauth/token` for the `client_credentials` grant (RFC 6749 §4.4). Issued tokens are
 * opaque, introspectable, and accepted as introspection caller credentials while their client
 * may introspect. `resource` (RFC 8707) is reported as `aud` on introspection.
 */
export async function handleToken(
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
    [state.tokenEndpoint, state.issuer],
    false,
  );
  if (isAuthFailure(caller)) {
    return sendError(res, caller.status, caller.error, caller.description, caller.headers);
  }
  // RFC 8707 §2: `resource` may repeat; nothing else may (RFC 6749 §3.2).
  if (form.duplicates.some((name) => name !== 'resource')) {
    return sendError(res, 400, 'invalid_request', 'a parameter was repeated');
  }
  const grantType = form.get('grant_type');
  if (!grantType) return sendError(res, 400, 'invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') {
    return sendError(res, 400, 'unsupported_grant_type', 'only client_credentials is supported');
  }
  const clientId = caller.clientId!;
  const scope = form.get('scope');
  const resources = form.getAll('resource');
  const token = randomToken();
  const exp = nowSec() + state.accessTokenTtlSec;
  const claims: Record<string, unknown> = { sub: clientId, client_id: clientId };
  if (scope !== undefined) claims.scope = scope;
  claims.exp = exp;
  claims.token_type = 'Bearer';
  if (resources.length > 0) claims.aud = resources.length === 1 ? resources[0] : resources;
  state.store.add(token, { claims, exp, issuedToClient: clientId });
  const answer: Record<string, unknown> = {
    access_token: token,
    token_type: 'Bearer',
    expires_in: state.accessTokenTtlSec,
  };
  if (scope !== undefined) answer.scope = scope;
  sendJson(res, 200, answer);
}
