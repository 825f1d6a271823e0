// An MCP server snippet's surroundings: Express, tokenguard, the SDK, and the example's own parts.
declare const app: import('express').Express;
declare const tokenGuard: typeof import('@tokenguard/express').tokenGuard;
declare const requireScopes: typeof import('@tokenguard/express').requireScopes;
declare const issuer: string;
declare const resource: string;
declare const introspection: import('@tokenguard/core').IntrospectionOptions;
declare const clientSecret: string;
declare function createOrdersServer(): import('@modelcontextprotocol/sdk/server/mcp.js').McpServer;
declare const StreamableHTTPServerTransport: typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js').StreamableHTTPServerTransport;
declare const Client: typeof import('@modelcontextprotocol/sdk/client/index.js').Client;
declare const StreamableHTTPClientTransport: typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js').StreamableHTTPClientTransport;
declare const ClientCredentialsProvider: typeof import('@modelcontextprotocol/sdk/client/auth-extensions.js').ClientCredentialsProvider;
// The example names tokenguard's context `tokenguard` (`requestProperty`), declared as its README shows.
declare module '@tokenguard/express' {
  interface TokenGuardRequestProperties {
    tokenguard: true;
  }
}
declare global {
  namespace Express {
    interface Request {
      tokenguard?: import('@tokenguard/express').AuthContext;
    }
  }
}
