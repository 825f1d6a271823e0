/**
 * A small HTTP client over node:http: unlike fetch it can send two Authorization headers,
 * a chosen Host header and over-long headers exactly as written.
 */
import { type IncomingHttpHeaders, request } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are asserted field by field.
  readonly body: any;
  readonly elapsedMs: number;
}

export interface SendInit {
  readonly method?: string;
  /** An object, or a flat `[name, value, name, value…]` list sent exactly as given. */
  readonly headers?: Readonly<Record<string, string>> | readonly string[];
  readonly body?: string;
}

export function send(base: string, path: string, init: SendInit = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const headers = init.headers ?? {};
    // A raw list is sent as is, so it must bring its own Host (HTTP/1.1 requires one).
    const list =
      Array.isArray(headers) && !headers.some((h, i) => i % 2 === 0 && /^host$/i.test(h));
    const req = request(url, {
      method: init.method ?? 'GET',
      headers: (Array.isArray(headers)
        ? [...headers, ...(list ? ['Host', url.host] : [])]
        : { ...headers }) as Record<string, string>,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = /\bjson\b/.test(res.headers['content-type'] ?? '');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          body: json && text !== '' ? JSON.parse(text) : text,
          elapsedMs: performance.now() - started,
        });
      });
    });
    req.end(init.body);
  });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function form(fields: Record<string, string>): SendInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}
