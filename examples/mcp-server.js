// An MCP server on the MCP TypeScript SDK's streamable HTTP transport, protected by tokenguard
// and discoverable through RFC 9728 Protected Resource Metadata: an MCP client that knows only
// the server's URL learns from the first 401 where the metadata is, from the metadata which
// authorization server to ask, gets a token there for this resource (RFC 8707) and calls tools.
// Run: node examples/mcp-server.js (starts a local identity server, this server and the SDK's
// own client, and prints what the client saw).

import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireScopes, tokenGuard } from '@tokenguard/express';
import { createIdentityServer } from '@tokenguard/testing';
import express from 'express';
import { z } from 'zod';

/** The MCP server itself: one tool, which can see who called it. */
function createOrdersServer() {
  const server = new McpServer({ name: 'orders', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Echoes its text, naming the calling client',
      inputSchema: { text: z.string() },
    },
    async ({ text }, extra) => ({
      content: [{ type: 'text', text: `${text} (for ${extra.authInfo?.clientId})` }],
    }),
  );
  return server;
}

/**
 * The protected endpoint. `resource` is the URL clients call (RFC 9728 §2); the guard serves
 * its metadata at `/.well-known/oauth-protected-resource/mcp`, points every 401 at it, and,
 * with no audience configured, accepts only tokens issued for `resource` (RFC 8707).
 * @param {{ resource: string, issuer: string, introspection: import('@tokenguard/express').GuardOptions['introspection'], allowInsecureHttp?: boolean }} settings
 */
export function createMcpApp({ resource, issuer, introspection, allowInsecureHttp = false }) {
  const app = express();
  app.use(express.json());
  const guard = tokenGuard({
    issuer,
    introspection,
    allowInsecureHttp,
    resourceMetadata: {
      resource,
      scopesSupported: ['mcp:tools'],
      resourceName: 'Orders MCP server',
    },
    // The SDK reads `req.auth` as its own AuthInfo: tokenguard's context gets another name.
    requestProperty: 'tokenguard',
  });
  app.use(guard);
  app.post('/mcp', requireScopes('mcp:tools'), async (req, res) => {
    const auth = req.tokenguard; // set by the guard: requireScopes refuses requests without it
    // What the SDK hands tools as extra.authInfo (it reads `req.auth`):
    const authInfo = {
      token: auth.token,
      clientId: auth.claims.client_id ?? '',
      scopes: [...auth.scopes],
      expiresAt: auth.claims.exp,
      resource: new URL(resource),
    };
    // Stateless: a server and a transport per request, closed with it.
    const server = createOrdersServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(Object.assign(req, { auth: authInfo }), res, req.body);
  });
  // Stateless: no server-sent event stream to open (GET), no session to end (DELETE).
  app.all('/mcp', (_req, res) => res.status(405).set('allow', 'POST').end());
  return { app, guard: guard.guard };
}

/**
 * What an MCP client does with the server's URL and its own client credentials: the SDK's
 * `ClientCredentialsProvider` runs the whole flow on the first 401, and sends the credentials
 * only to `expectedIssuer`.
 * @param {string} url
 * @param {{ clientId: string, clientSecret: string }} credentials
 * @param {string} expectedIssuer
 */
export async function connectClient(url, credentials, expectedIssuer) {
  const client = new Client({ name: 'orders-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // The SDK's client_credentials provider asks for exactly the scope it is given.
    authProvider: new ClientCredentialsProvider({
      ...credentials,
      scope: 'mcp:tools',
      expectedIssuer,
    }),
  });
  await client.connect(transport);
  return client;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const idp = await createIdentityServer();
  idp.registerClient({
    clientId: 'orders-agent',
    clientSecret: 'agent-secret',
    canIntrospect: false,
  });
  const listener = express().listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  const base = `http://127.0.0.1:${listener.address().port}`;
  const { app, guard } = createMcpApp({
    resource: `${base}/mcp`,
    issuer: idp.issuer,
    introspection: { clientAuth: { method: 'client_credentials', ...idp.defaultClient } },
    allowInsecureHttp: true,
  });
  listener.removeAllListeners('request').on('request', app);
  const agent = { clientId: 'orders-agent', clientSecret: 'agent-secret' };
  const client = await connectClient(`${base}/mcp`, agent, idp.issuer);
  const { tools } = await client.listTools();
  const answer = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  console.log(`tools: ${tools.map((tool) => tool.name).join(', ')}`);
  console.log(`echo: ${answer.content[0].text}`);
  await client.close();
  listener.close();
  await guard.close();
  await idp.close();
}
