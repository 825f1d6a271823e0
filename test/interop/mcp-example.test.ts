/**
 * The MCP example (examples/mcp-server.js) end to end, driven by the MCP TypeScript SDK's own
 * client: `Client`, the streamable HTTP client transport and its `ClientCredentialsProvider`,
 * against @tokenguard/testing as the authorization server. The client starts with nothing but
 * the server's URL and its client credentials.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the example is plain JavaScript without declarations
import { createMcpApp } from '../../examples/mcp-server.js';

const agent = { clientId: 'orders-agent', clientSecret: 'agent-secret' };

describe('example: an MCP server on the SDK, protected by tokenguard (RFC 9728, RFC 8707)', () => {
  let idp: IdentityServer;
  let server: Server;
  let base: string;
  let closeGuard: () => Promise<void>;

  beforeAll(async () => {
    idp = await createIdentityServer();
    idp.registerClient({ ...agent, canIntrospect: false });
    server = express().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { app, guard } = createMcpApp({
      resource: `${base}/mcp`,
      issuer: idp.issuer,
      introspection: { clientAuth: { method: 'client_credentials', ...idp.defaultClient } },
      allowInsecureHttp: true,
    });
    server.removeAllListeners('request').on('request', app);
    closeGuard = () => guard.close();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await closeGuard();
    await idp.close();
  });

  it('401 with resource_metadata → RFC 9728 document → RFC 8414 metadata → token → tools answered', async () => {
    const seen: string[] = [];
    const recording = async (url: string | URL, init?: RequestInit) => {
      const response = await fetch(url, init);
      const challenge = response.headers.get('www-authenticate');
      seen.push(
        `${init?.method ?? 'GET'} ${String(url).replace(base, 'mcp').replace(idp.url, 'idp')} ${response.status}${challenge ? ` ${challenge}` : ''}`,
      );
      return response;
    };
    const client = new Client({ name: 'orders-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      // A client_credentials client asks for the scope it is given (the SDK sends no other).
      authProvider: new ClientCredentialsProvider({
        ...agent,
        scope: 'mcp:tools',
        expectedIssuer: idp.issuer,
      }),
      fetch: recording,
    });
    await client.connect(transport);
    const { tools } = await client.listTools();
    const answer = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    await client.close();

    expect(tools.map((tool) => tool.name)).toEqual(['echo']);
    expect(answer.content).toEqual([{ type: 'text', text: 'hello (for orders-agent)' }]);
    const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
    expect(seen.slice(0, 4)).toEqual([
      `POST mcp/mcp 401 Bearer realm="api", resource_metadata="${metadataUrl}"`,
      'GET mcp/.well-known/oauth-protected-resource/mcp 200',
      'GET idp/.well-known/oauth-authorization-server 200',
      'POST idp/oauth/token 200',
    ]);
    // Then the MCP session: initialize, initialized, the optional SSE stream (this stateless
    // server has none: 405), tools/list, tools/call, all with the token.
    expect(seen.slice(4)).toEqual([
      'POST mcp/mcp 200',
      'POST mcp/mcp 202',
      'GET mcp/mcp 405',
      'POST mcp/mcp 200',
      'POST mcp/mcp 200',
    ]);
  });

  it('MCP authorization: a token issued for another resource is refused', async () => {
    const tokenFor = async (resource: string) => {
      const response = await fetch(idp.tokenEndpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'mcp:tools',
          resource,
        }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const call = async (token: string) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });

    const other = await call(await tokenFor('https://other.example/mcp'));
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", error="invalid_token", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
    const ours = await call(await tokenFor(`${base}/mcp`));
    expect(ours.status).toBe(200);
  });
});
