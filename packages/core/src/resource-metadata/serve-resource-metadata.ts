import type { ResourceMetadata } from './create-resource-metadata.js';

/** A document answer, in the shape adapters write (status, headers, serialised body). */
export interface DocumentAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The RFC 9728 §3.2 answer for a request at one of the document's paths (`GET` or `HEAD`),
 * else `undefined` (the request goes on to the guard). The document is public by design: it
 * names no secret, and clients fetch it before they hold a token.
 */
export function serveResourceMetadata(
  metadata: ResourceMetadata | undefined,
  method: string,
  url: string,
): DocumentAnswer | undefined {
  if (metadata === undefined || (method !== 'GET' && method !== 'HEAD')) return undefined;
  const queryStart = url.indexOf('?');
  const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
  if (!metadata.paths.includes(pathname)) return undefined;
  return {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      // Configuration, not a secret: clients and proxies may keep it for a while.
      'cache-control': 'public, max-age=3600',
    },
    body: metadata.json,
  };
}
