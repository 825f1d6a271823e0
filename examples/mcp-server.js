// An MCP-style JSON-RPC endpoint protected by tokenguard, discoverable as OAuth 2.0 Protected
// Resource Metadata (RFC 9728): a client that knows only the endpoint's URL learns from the
// first 401 where the metadata is, from the metadata which authorization server to ask, and
// from that server's metadata (RFC 8414) where its token endpoint is.
// Run: node examples/mcp-server.js (starts a local identity server, the endpoint and a client).

import { createServer } from 'node:http';
import { requireScopes, tokenGuard } from '@tokenguard/express';
import { createIdentityServer } from '@tokenguard/testing';
import express from 'express';

/**
 * The protected endpoint. `resource` is the URL clients call (RFC 9728 §2); the guard serves
 * its metadata at `/.well-known/oauth-protected-resource/mcp` and points every 401 at it.
 * @param {{ resource: string, issuer: string, introspection: import('@tokenguard/express').GuardOptions['introspection'] }} settings
 */
export function createMcpApp({ resource, issuer, introspection }) {
  const app = express();
  app.use(express.json());
  const guard = tokenGuard({
    issuer,
    introspection,
    allowInsecureHttp: true,
    resourceMetadata: {
      resource,
      scopesSupported: ['mcp:tools'],
      resourceName: 'Example MCP server',
    },
  });
  app.use(guard);
  const tools = [{ name: 'echo', description: 'Echoes its text', inputSchema: { type: 'object' } }];
  app.post('/mcp', requireScopes('mcp:tools'), (req, res) => {
    const { id, method, params } = req.body ?? {};
    if (method === 'tools/list') return res.json({ jsonrpc: '2.0', id, result: { tools } });
    if (method === 'tools/call' && params?.name === 'echo') {
      const text = `${params.arguments?.text ?? ''} (for ${req.auth?.claims.client_id})`;
      return res.json({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
    }
    return res.json({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
  });
  return { app, guard };
}

/**
 * What an MCP client does with nothing but the endpoint's URL and its own client credentials:
 * call, read `resource_metadata` from the 401, fetch the metadata, then the authorization
 * server's metadata, get a token (client_credentials here; a user-facing client would run the
 * authorization code flow with the same endpoints), and call again.
 * @param {string} endpoint
 * @param {{ clientId: string, clientSecret: string }} client
 */
export async function discoverAndCall(endpoint, client) {
  const call = (headers = {}) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
  const first = await call();
  const challenge = first.headers.get('www-authenticate') ?? '';
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  if (first.status !== 401 || metadataUrl === undefined) throw new Error('no RFC 9728 challenge');
  const metadata = await (await fetch(metadataUrl)).json();
  const [authorizationServer] = metadata.authorization_servers;
  const asMetadata = await (
    await fetch(new URL('/.well-known/oauth-authorization-server', authorizationServer))
  ).json();
  const tokenAnswer = await fetch(asMetadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: metadata.scopes_supported.join(' '),
      resource: metadata.resource,
    }),
  });
  const { access_token: accessToken } = await tokenAnswer.json();
  const second = await call({ authorization: `Bearer ${accessToken}` });
  return {
    challenge,
    metadata,
    authorizationServer,
    status: second.status,
    body: await second.json(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const idp = await createIdentityServer();
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const { app, guard } = createMcpApp({
    resource: `${base}/mcp`,
    issuer: idp.issuer,
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
    },
  });
  server.on('request', app);
  const result = await discoverAndCall(`${base}/mcp`, idp.defaultClient);
  console.log('401 challenge:      ', result.challenge);
  console.log('authorization server:', result.authorizationServer);
  console.log('second call:        ', result.status, JSON.stringify(result.body));
  server.close();
  await guard.close();
  await idp.close();
}
