/**
 * The runtime's own HTTP server for a Fetch handler — `Bun.serve` or `Deno.serve` — on a
 * free loopback port: how Hono runs natively there. Chosen by which server the runtime has.
 */

/** A Fetch handler as Hono's `app.fetch` takes it: the request and the runtime's env. */
export type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface FetchServer {
  readonly url: string;
  close(): Promise<void>;
}

interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface DenoServer {
  readonly addr: { readonly port: number };
  shutdown(): Promise<void>;
}
interface NativeRuntime {
  Bun?: { serve(options: Record<string, unknown>): BunServer };
  Deno?: {
    serve(options: Record<string, unknown>, handler: FetchHandler): DenoServer;
  };
}

/** The name of the runtime's native server, or `undefined` on Node. */
export function nativeServerName(): string | undefined {
  const runtime = globalThis as NativeRuntime;
  if (runtime.Bun !== undefined) return 'Bun.serve';
  if (runtime.Deno !== undefined) return 'Deno.serve';
  return undefined;
}

export async function serveFetch(fetch: FetchHandler): Promise<FetchServer> {
  const runtime = globalThis as NativeRuntime;
  if (runtime.Bun !== undefined) {
    // Bun passes the server as the env (Hono's `c.env`): `requestIP()` lives there.
    const server = runtime.Bun.serve({ port: 0, hostname: '127.0.0.1', fetch });
    return {
      url: `http://127.0.0.1:${server.port}`,
      close: async () => {
        await server.stop(true);
      },
    };
  }
  if (runtime.Deno !== undefined) {
    // Deno passes the connection info (`remoteAddr`) as the env.
    const server = runtime.Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, fetch);
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  }
  throw new Error('serveFetch needs Bun.serve or Deno.serve: run this file on Bun or Deno');
}
