import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the server reads; bigger bodies are answered 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Realm used in every `WWW-Authenticate` challenge the server sends. */
export const REALM = 'tokenguard-testing';

export class BodyTooLargeError extends Error {}

/** Read the whole request body, refusing more than {@link MAX_BODY_BYTES}. */
export function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    return Promise.reject(new BodyTooLargeError());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        req.pause();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** Send a JSON answer with the headers every OAuth answer carries (RFC 6749 §5.1). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Send an OAuth error body in the contract's shape (`error`, `error_description`). */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

/** Form parameters of a request; `duplicates` lists names sent more than once. */
export interface FormParams {
  get(name: string): string | undefined;
  getAll(name: string): string[];
  has(name: string): boolean;
  duplicates: string[];
}

/**
 * Parse an `application/x-www-form-urlencoded` body. Any other content type yields no
 * parameters, as RFC 6749 §4.4.2 and RFC 7662 §2.1 only define the form encoding.
 */
export function parseForm(req: IncomingMessage, body: string): FormParams {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const params = new URLSearchParams(type === 'application/x-www-form-urlencoded' ? body : '');
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
  }
  return {
    get: (name) => params.get(name) ?? undefined,
    getAll: (name) => params.getAll(name),
    has: (name) => params.has(name),
    duplicates: [...duplicates],
  };
}

/** Seconds since the epoch (reads `Date.now()` so faked clocks apply). */
export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
