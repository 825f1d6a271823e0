/**
 * HTTP/1.1 over a raw `node:net` socket: the request goes out byte for byte (CR, LF, NUL,
 * obs-text, duplicate fields — things undici and node:http refuse to send), and the answer is
 * parsed strictly, so a malformed response fails the test instead of being smoothed over.
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Fields in order, names lower-cased, values as received (latin1). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

export interface RawExchange {
  /** Everything the server sent. */
  readonly bytes: Buffer;
  /** The responses parsed from `bytes` (more than one when the request smuggled a second one). */
  readonly responses: readonly RawResponse[];
  /** Why the bytes are not a sequence of well-formed responses, if they are not. */
  readonly malformed?: string;
  /** The server closed the connection without sending a byte. */
  readonly silent: boolean;
  /** No close within the deadline. */
  readonly timedOut: boolean;
}

/** Values of a response field (case-insensitive name). */
export function fieldValues(response: RawResponse, name: string): string[] {
  const wanted = name.toLowerCase();
  return response.fields.filter(([n]) => n === wanted).map(([, v]) => v);
}

/**
 * Sends `request` and collects the answer until the server closes the connection.
 *
 * The socket is not half-closed after writing: Node's HTTP server aborts a request whose client
 * has sent FIN (unless `httpAllowHalfOpen`), which would hide every asynchronous answer. Only
 * when the server stays silent for `idleMs` (the bytes left it waiting for more, e.g. a smuggled
 * Content-Length) do we send FIN, which makes it answer or close.
 */
export function sendRaw(
  port: number,
  request: Buffer,
  options: { timeoutMs?: number; idleMs?: number } = {},
): Promise<RawExchange> {
  const { timeoutMs = 10_000, idleMs = 1500 } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    let idle = setTimeout(() => socket.end(), idleMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(idle);
      idle = setTimeout(() => socket.end(), idleMs);
    });
    // The server may close (or reset) before it has read everything we wrote: not our concern.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(deadline);
      clearTimeout(idle);
      const bytes = Buffer.concat(chunks);
      const { responses, malformed } = parseResponses(bytes);
      resolve({ bytes, responses, malformed, silent: bytes.length === 0, timedOut });
    });
    socket.write(request);
  });
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3}) [\t\x20-\x7e\x80-\xff]*$/;
const FIELD_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;

/** Parses consecutive HTTP/1.1 responses (RFC 9112 §2.1, §4, §5, §6). */
export function parseResponses(bytes: Buffer): { responses: RawResponse[]; malformed?: string } {
  const responses: RawResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset, 'latin1');
    if (headEnd === -1) return { responses, malformed: 'a response head without its end' };
    const [statusLine = '', ...lines] = bytes.toString('latin1', offset, headEnd).split('\r\n');
    const status = STATUS_LINE.exec(statusLine);
    if (status === null) return { responses, malformed: `bad status line ${statusLine}` };
    const fields: Array<[string, string]> = [];
    for (const line of lines) {
      const field = FIELD_LINE.exec(line);
      if (field === null) return { responses, malformed: `bad field line ${line}` };
      fields.push([(field[1] as string).toLowerCase(), field[2] as string]);
    }
    const response = { status: Number(status[1]), fields, body: Buffer.alloc(0) };
    offset = headEnd + 4;
    const chunked = fields.some(([n, v]) => n === 'transfer-encoding' && /chunked/i.test(v));
    const lengths = fields.filter(([n]) => n === 'content-length').map(([, v]) => v);
    if (chunked) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', offset, 'latin1');
        if (lineEnd === -1) return { responses, malformed: 'a truncated chunked body' };
        const size = Number.parseInt(bytes.toString('latin1', offset, lineEnd), 16);
        if (!Number.isInteger(size) || size < 0) return { responses, malformed: 'bad chunk size' };
        offset = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = bytes.indexOf('\r\n', offset, 'latin1');
          if (trailerEnd === -1) return { responses, malformed: 'a truncated chunked body' };
          offset = trailerEnd + 2;
          break;
        }
        parts.push(bytes.subarray(offset, offset + size));
        offset += size + 2;
      }
      responses.push({ ...response, body: Buffer.concat(parts) });
    } else if (lengths.length > 0) {
      if (new Set(lengths).size !== 1 || !/^\d+$/.test(lengths[0] as string)) {
        return { responses, malformed: 'conflicting or invalid Content-Length' };
      }
      const length = Number(lengths[0]);
      if (offset + length > bytes.length) return { responses, malformed: 'a truncated body' };
      responses.push({ ...response, body: bytes.subarray(offset, offset + length) });
      offset += length;
    } else {
      // No framing: the body runs to the end of the connection (RFC 9112 §6.3 rule 8).
      responses.push({ ...response, body: bytes.subarray(offset) });
      offset = bytes.length;
    }
  }
  return { responses };
}
