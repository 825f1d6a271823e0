/**
 * What the HTTP client and each transport share: one exchange's request and answer, the
 * transport's interface, and the faults a transport reports besides the runtime's own
 * errors. Its own module, so the transports and the module choosing between them import
 * it and not each other.
 */
export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export interface HttpTransport {
  /**
   * One exchange, ended after `timeoutMs` whatever stage it is in. Throws a `TransportFault`
   * for a deadline or an oversize body, else the runtime's own error (mapped by the client).
   */
  send(req: TransportRequest, timeoutMs: number, maxBytes: number): Promise<TransportResponse>;
  /** Ends calls in flight and closes what the transport owns. */
  close(): Promise<void>;
}

/** What a transport reports besides the runtime's own errors. */
export class TransportFault extends Error {
  constructor(
    readonly kind: 'timeout' | 'oversize' | 'closed',
    /** For `oversize`: the declared length, when the answer announced one. */
    readonly declaredBytes?: number,
    options?: { cause?: unknown },
  ) {
    super(kind, options);
  }
}

/** The declared `Content-Length` refused before any byte is read, when it is past the bound. */
export function checkDeclaredLength(value: string | null | undefined, maxBytes: number): void {
  const declared = Number(value);
  if (declared > maxBytes) throw new TransportFault('oversize', declared);
}
