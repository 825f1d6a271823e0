import type { IncomingMessage, ServerResponse } from 'node:http';
import { nowSec } from './internal/http.js';
import type { Fault, FaultEndpoint } from './types.js';

interface ActiveFault {
  fault: Fault;
  /** Requests still affected; `Infinity` until cleared. */
  remaining: number;
}

/** Check a fault when it is injected, so a typo fails the test that made it. */
export function validateFault(endpoint: FaultEndpoint, fault: Fault, times?: number): void {
  const endpoints: FaultEndpoint[] = ['introspect', 'token', 'jwks', 'metadata'];
  if (!endpoints.includes(endpoint)) {
    throw new TypeError(`injectFault: endpoint must be one of ${endpoints.join(', ')}`);
  }
  if (times !== undefined && !(Number.isInteger(times) && times > 0)) {
    throw new TypeError('injectFault: times must be a positive integer');
  }
  const nonNegative = (value: unknown, name: string) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`injectFault: ${name} must be a non-negative number`);
    }
  };
  // Read through a wider type: callers in plain JS can pass anything.
  const kind: unknown = (fault as { kind?: unknown } | undefined)?.kind;
  switch (fault?.kind) {
    case 'delay':
      nonNegative(fault.ms, 'ms');
      return;
    case 'drip':
      nonNegative(fault.intervalMs, 'intervalMs');
      return;
    case 'oversized':
      nonNegative(fault.bytes, 'bytes');
      return;
    case 'status':
      if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
        throw new TypeError('injectFault: status must be an HTTP status code (200–599)');
      }
      return;
    case 'redirect':
      if (typeof fault.location !== 'string') {
        throw new TypeError('injectFault: location must be a string');
      }
      return;
    case 'hang':
    case 'reset':
    case 'html':
    case 'non-json':
    case 'wrong-types':
    case 'expired-active':
      return;
    default:
      throw new TypeError(`injectFault: unknown fault kind ${JSON.stringify(kind)}`);
  }
}

/** The faults currently injected, one per endpoint. */
export class FaultRegistry {
  readonly #faults = new Map<FaultEndpoint, ActiveFault>();

  inject(endpoint: FaultEndpoint, fault: Fault, times?: number): void {
    validateFault(endpoint, fault, times);
    this.#faults.set(endpoint, {
      fault: { ...fault },
      remaining: times ?? Number.POSITIVE_INFINITY,
    });
  }

  clear(): void {
    this.#faults.clear();
  }

  /** The fault for this request, if any, counting it against `times`. */
  take(endpoint: FaultEndpoint): Fault | undefined {
    const active = this.#faults.get(endpoint);
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.#faults.delete(endpoint);
    return active.fault;
  }
}

/** Timers of faults still running, so `close()` can stop them. */
export type TimerSet = Set<NodeJS.Timeout>;

const DEFAULT_STATUS_ERRORS: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_client',
  403: 'access_denied',
  429: 'slow_down',
  503: 'temporarily_unavailable',
};

function wrongTypesBody(endpoint: FaultEndpoint): unknown {
  switch (endpoint) {
    case 'introspect':
      return { active: 'true', exp: 'soon' };
    case 'token':
      return { access_token: 42, token_type: 'Bearer', expires_in: 'soon' };
    case 'jwks':
      return { keys: 'none' };
    case 'metadata':
      return { issuer: 42, introspection_endpoint: true, jwks_uri: ['x'] };
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** A JSON body of exactly `bytes` bytes (a padded introspection answer when it fits). */
export function oversizedBody(bytes: number): string {
  const head = '{"active":true,"pad":"';
  const tail = '"}';
  if (bytes < head.length + tail.length) return ' '.repeat(Math.max(0, bytes - 2)) + '{}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

/**
 * Answer `req` with `fault`. Only `delay` hands the request back, by calling `proceed` after
 * the wait; every other fault answers (or deliberately never answers) by itself.
 */
export function applyFault(
  fault: Fault,
  endpoint: FaultEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  timers: TimerSet,
  proceed: () => void,
): void {
  switch (fault.kind) {
    case 'delay': {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) proceed();
      }, fault.ms);
      timers.add(timer);
      res.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    case 'hang':
      // Keep the socket open and never write; close() or the client ends it.
      return;
    case 'drip': {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.write('{');
      // Whitespace keeps the partial body plausible JSON that never completes.
      const timer = setInterval(
        () => {
          if (res.destroyed) return;
          res.write(' ');
        },
        Math.max(1, fault.intervalMs),
      );
      timers.add(timer);
      res.once('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    case 'status': {
      const error = DEFAULT_STATUS_ERRORS[fault.status] ?? 'server_error';
      const body = fault.body ?? JSON.stringify({ error, error_description: 'injected fault' });
      send(res, fault.status, fault.contentType ?? 'application/json', body);
      return;
    }
    case 'html':
      send(
        res,
        200,
        'text/html; charset=utf-8',
        '<!doctype html><html><head><title>Sign in</title></head><body>Gateway login</body></html>',
      );
      return;
    case 'non-json':
      send(res, 200, 'application/json', '{"active": tru');
      return;
    case 'wrong-types':
      send(res, 200, 'application/json', JSON.stringify(wrongTypesBody(endpoint)));
      return;
    case 'expired-active': {
      const now = nowSec();
      const body = {
        active: true,
        sub: 'user-1',
        client_id: 'client-1',
        scope: 'read',
        exp: now - 600,
        token_type: 'Bearer',
      };
      send(res, 200, 'application/json', JSON.stringify(body));
      return;
    }
    case 'oversized':
      send(res, 200, 'application/json', oversizedBody(fault.bytes));
      return;
    case 'redirect':
      res.writeHead(fault.status ?? 302, { location: fault.location, 'content-length': '0' });
      res.end();
      return;
  }
}
