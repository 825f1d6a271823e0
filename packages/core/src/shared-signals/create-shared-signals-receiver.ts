/**
 * The OpenID Shared Signals receiver: RFC 8935 push delivery of RFC 8417 Security Event
 * Tokens. Each SET is verified against the transmitter's JWKS (see
 * verify-security-event-token.ts); CAEP `session-revoked` and `credential-change` events
 * evict every cached verdict of their subject, on every instance sharing the cache, through
 * `guard.evictSubject`; `session-revoked` also refuses, on both strategies, every token of the
 * subject issued before the event (a locally verified JWT is valid by its signature until
 * `exp`: evicting its verdict alone would not end it). A SET older than `maxEventAgeSec` is
 * refused, and a `jti` already acted on is acknowledged without acting again (RFC 8417 §2.2:
 * `jti` identifies the event). Framework-free: each adapter mounts `handle` as a route.
 *
 * Answers (RFC 8935 §2.2, §2.3): 202 once the SET is verified and acted on; 400 with
 * `{ "err", "description" }` for a SET that is malformed, wrongly signed, or for another
 * issuer or audience; 401 when the transmitter's own `Authorization` header is wrong;
 * 503 with `Retry-After` when the JWKS or the cache cannot be reached, so the transmitter
 * delivers again later (a revocation must not be lost to our outage).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import type { SubjectRevocation } from '../cache/create-subject-revocations.js';
import { TokenGuardConfigError, UpstreamUnavailableError } from '../errors.js';
import { ASYMMETRIC_ALGORITHMS } from '../internal/asymmetric-algorithms.js';
import {
  securityEventChannel as eventChannel,
  securityEventRefusedChannel as refusedChannel,
} from '../internal/diagnostics.js';
import { createHttpClient } from '../internal/http-client.js';
import { createRemoteKeySet } from '../jwt/create-remote-key-set.js';
import { DEFAULTS } from '../options/defaults.js';
import {
  checkEndpointUrl,
  checkKnownKeys,
  checkObject,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalStringList,
} from '../options/validators.js';
import type { HeaderBag } from '../types.js';
import { SecurityEventError } from './security-event-error.js';
import { defaultSubjectFor, identifiersOfEvent, type SubjectMapper } from './subjects-of-event.js';
import { createSecurityEventVerifier, type SecurityEvent } from './verify-security-event-token.js';

/** CAEP 1.0 §3.1: all sessions of the subject were revoked. */
export const CAEP_SESSION_REVOKED =
  'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** CAEP 1.0 §3.5: a credential of the subject was created, changed, revoked or deleted. */
export const CAEP_CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** RFC 8417 §2.3 / RFC 8935 §2.1: the media type of a pushed SET. */
const SET_MEDIA_TYPE = 'application/secevent+jwt';

/** What the receiver needs of a guard: the subject eviction that reaches every instance. */
export interface SubjectEvictor {
  evictSubject(sub: string, revocation?: SubjectRevocation): unknown;
}

/** Options of {@link createSharedSignalsReceiver} (and of each adapter's `sharedSignalsReceiver`). */
export interface SharedSignalsReceiverOptions {
  /** The transmitter's issuer: every SET's `iss` must equal it (RFC 8417 §2.2). */
  readonly issuer: string;
  /**
   * The transmitter's JWK Set URL (its SSF configuration's `jwks_uri`). Fetched on first
   * delivery; an unknown `kid` refetches it at most once per 30 s.
   */
  readonly jwksUri: string;
  /** This receiver's audience: a SET's `aud` must contain one of these. */
  readonly audience: string | readonly string[];
  /**
   * The exact `Authorization` header value the transmitter sends (the push delivery's
   * `authorization_header` in the SSF stream configuration). Default: none required, the
   * SET's signature alone authenticates it.
   */
  readonly authorizationHeader?: string;
  /** Event types that evict their subject. Default: CAEP session-revoked and credential-change. */
  readonly events?: readonly string[];
  /** Maps a subject identifier onto the tokens' `sub`. Default {@link defaultSubjectFor}. */
  readonly subjectFor?: SubjectMapper;
  /** Accepted SET signing algorithms. Default: every public-key algorithm (RS, PS, ES, EdDSA). */
  readonly algorithms?: readonly string[];
  /** Leeway for `iat`, `nbf` and `exp`, in seconds. Default 60. */
  readonly clockToleranceSec?: number;
  /**
   * Oldest accepted SET, by its `iat`, in seconds: an older one is refused (400), so a
   * captured SET cannot be replayed later; within it, each `jti` is acted on once. Default
   * 1800 (the transmitter's retries must fit in it).
   */
  readonly maxEventAgeSec?: number;
  /**
   * How long a `session-revoked` event keeps refusing the subject's older tokens, in
   * seconds: the longest lifetime of the access tokens the guard accepts. Default 86400.
   */
  readonly maxTokenLifetimeSec?: number;
  /** Deadline of a JWKS fetch, in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /** Largest accepted request body, in bytes. Default 65536. */
  readonly maxBodyBytes?: number;
  /** Allow an `http:` JWKS URL (tests, local development). Default `false`. */
  readonly allowInsecureHttp?: boolean;
  /**
   * An undici dispatcher for the JWKS fetch (proxies, custom TLS). Default: undici's global
   * one, or the runtime's `fetch` where undici cannot dispatch (Bun).
   */
  readonly dispatcher?: Dispatcher;
}

/** A framework-neutral view of the delivery request. */
export interface SecurityEventDelivery {
  readonly method: string;
  readonly headers: HeaderBag;
  /** The raw body: text, bytes, or the unread request stream (read up to `maxBodyBytes`). */
  readonly body: string | Uint8Array | AsyncIterable<Uint8Array | string> | undefined;
}

/** The answer an adapter writes. `body` is JSON text, or absent (202, 503). */
export interface SecurityEventAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SharedSignalsReceiver {
  handle(delivery: SecurityEventDelivery): Promise<SecurityEventAnswer>;
}

const KNOWN_OPTIONS = [
  'issuer',
  'jwksUri',
  'audience',
  'authorizationHeader',
  'events',
  'subjectFor',
  'algorithms',
  'clockToleranceSec',
  'maxEventAgeSec',
  'maxTokenLifetimeSec',
  'timeoutMs',
  'maxBodyBytes',
  'allowInsecureHttp',
  'dispatcher',
] as const;

/**
 * Creates the receiver. Options are validated here; a bad one throws a
 * `TokenGuardConfigError` naming it.
 *
 * @example
 * const receiver = createSharedSignalsReceiver(guard, {
 *   issuer: 'https://identity.example',
 *   jwksUri: 'https://identity.example/ssf/jwks.json',
 *   audience: 'https://api.example/ssf',
 * });
 * const answer = await receiver.handle({ method, headers, body });
 */
export function createSharedSignalsReceiver(
  guard: SubjectEvictor,
  options: SharedSignalsReceiverOptions,
): SharedSignalsReceiver {
  const path = 'sharedSignalsReceiver';
  if (typeof guard?.evictSubject !== 'function') {
    throw new TokenGuardConfigError(`${path}.guard`, 'must be a guard (with evictSubject)');
  }
  const settings = normalize(options, path);
  const http = createHttpClient({
    timeoutMs: settings.timeoutMs,
    maxResponseBytes: 262_144,
    // The receiver has no close(): it borrows the runtime's shared pool.
    dispatcher: settings.dispatcher ?? 'global',
  });
  const verify = createSecurityEventVerifier({
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: settings.algorithms,
    clockToleranceSec: settings.clockToleranceSec,
    keys: createRemoteKeySet({
      jwksUri: async () => settings.jwksUri,
      http,
      cooldownMs: DEFAULTS.jwksCooldownMs,
      timeoutMs: settings.timeoutMs,
      maxAgeMs: DEFAULTS.jwksMaxAgeMs,
      retryAfterFailureMs: 5_000,
    }),
  });
  const expectedAuthorization =
    settings.authorizationHeader === undefined ? undefined : digest(settings.authorizationHeader);
  // The `jti`s acted on, for as long as their SET could be accepted. Remembered only once
  // acted on: a delivery that failed (503) must be acted on when the transmitter retries.
  const eventWindowMs = (settings.maxEventAgeSec + settings.clockToleranceSec) * 1000;
  const actedOn = new LRUCache<string, true>({ max: 10_000, ttl: eventWindowMs });

  async function receive(delivery: SecurityEventDelivery): Promise<SecurityEventAnswer> {
    if (delivery.method.toUpperCase() !== 'POST') {
      return { status: 405, headers: { allow: 'POST', 'cache-control': 'no-store' } };
    }
    checkAuthorization(delivery.headers);
    // RFC 8935 §2.1: the SET is the whole body, typed application/secevent+jwt.
    const mediaType = single(delivery.headers['content-type'])?.split(';')[0]?.trim();
    if (mediaType?.toLowerCase() !== SET_MEDIA_TYPE) {
      throw new SecurityEventError('invalid_request', `the content type must be ${SET_MEDIA_TYPE}`);
    }
    const text = (await readBody(delivery.body, settings.maxBodyBytes)).trim();
    // A JWE (five segments) would be an encrypted SET (RFC 8417 §2.1); only signed SETs
    // are accepted, so the transmitter learns at once instead of retrying forever.
    if (text.split('.').length !== 3) {
      throw new SecurityEventError('invalid_request', 'the body must be a signed SET (a JWS)');
    }
    const set = await verify(text);
    if (set.iat * 1000 < Date.now() - eventWindowMs) {
      throw new SecurityEventError('invalid_request', 'the SET is older than maxEventAgeSec');
    }
    const eventKey = digest(`${settings.issuer}\0${set.jti}`).toString('base64url');
    const subjects = actedOn.has(eventKey) ? new Map() : await subjectsToEvict(set);
    // Evictions are idempotent and a revocation keeps the latest time, so two deliveries
    // racing each other (RFC 8935 §2.3 retries) do no harm.
    await Promise.all(
      [...subjects].map(([sub, revocation]) => guard.evictSubject(sub, revocation)),
    );
    actedOn.set(eventKey, true);
    if (eventChannel.hasSubscribers) {
      eventChannel.publish({
        jti: set.jti,
        eventTypes: Object.keys(set.events),
        evictedSubjects: subjects.size,
      });
    }
    return { status: 202, headers: { 'cache-control': 'no-store' } };
  }

  function checkAuthorization(headers: HeaderBag): void {
    if (expectedAuthorization === undefined) return;
    const sent = single(headers.authorization);
    if (sent === undefined || !timingSafeEqual(digest(sent), expectedAuthorization)) {
      throw new SecurityEventError(
        'authentication_failed',
        'the transmitter could not be authenticated',
        401,
      );
    }
  }

  /** Each subject to evict, with the revocation of its older tokens when the event ends sessions. */
  async function subjectsToEvict(
    set: SecurityEvent,
  ): Promise<Map<string, SubjectRevocation | undefined>> {
    const subjects = new Map<string, SubjectRevocation | undefined>();
    for (const [type, payload] of Object.entries(set.events)) {
      // Other event types (stream verification, RISC, …) are accepted and ignored: RFC 8935
      // §2.2 acknowledges receipt, not that every event meant something to this recipient.
      if (!settings.events.includes(type)) continue;
      const revocation = type === CAEP_SESSION_REVOKED ? revocationOf(set, payload) : undefined;
      let mapped = 0;
      for (const identifier of identifiersOfEvent(set, payload)) {
        const result = await settings.subjectFor(identifier);
        for (const sub of typeof result === 'string' ? [result] : (result ?? [])) {
          if (typeof sub === 'string' && sub !== '') {
            subjects.set(sub, subjects.get(sub) ?? revocation);
            mapped++;
          }
        }
      }
      // An eviction event whose subject we cannot name is refused, not silently dropped:
      // the transmitter's operator must learn that the revocation did not take.
      if (mapped === 0) {
        throw new SecurityEventError(
          'invalid_request',
          'the event names no subject this recipient can identify (sub, iss_sub, email, opaque)',
        );
      }
    }
    return subjects;
  }

  /**
   * CAEP 1.0 §3.1: the sessions ended at `event_timestamp` (else when the SET was issued);
   * never later than now, so a SET cannot refuse tokens issued after it arrived.
   */
  function revocationOf(set: SecurityEvent, payload: unknown): SubjectRevocation {
    const stamp = (payload as { event_timestamp?: unknown } | null)?.event_timestamp;
    const atSec = typeof stamp === 'number' && Number.isFinite(stamp) ? stamp : set.iat;
    return {
      issuedBeforeMs: Math.min(atSec * 1000, Date.now()),
      keepMs: settings.maxTokenLifetimeSec * 1000,
    };
  }

  return {
    async handle(delivery) {
      try {
        return await receive(delivery);
      } catch (error) {
        const answer = answerFor(error);
        if (refusedChannel.hasSubscribers) {
          refusedChannel.publish({
            status: answer.status,
            err: error instanceof SecurityEventError ? error.code : undefined,
          });
        }
        return answer;
      }
    },
  };
}

function answerFor(error: unknown): SecurityEventAnswer {
  if (error instanceof SecurityEventError) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    };
    if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="shared-signals"';
    return {
      status: error.status,
      headers,
      body: JSON.stringify({ err: error.code, description: error.description }),
    };
  }
  // The JWKS or the shared cache is unreachable (or a `subjectFor` failed): a general HTTP
  // error (RFC 8935 §2.3), so the transmitter delivers the SET again; a revocation is never
  // dropped on our fault.
  const retryAfterSec = error instanceof UpstreamUnavailableError ? error.retryAfterSec : 5;
  return {
    status: 503,
    headers: { 'retry-after': String(retryAfterSec), 'cache-control': 'no-store' },
  };
}

async function readBody(body: SecurityEventDelivery['body'], maxBytes: number): Promise<string> {
  if (body === undefined) return '';
  if (typeof body === 'string') return checkSize(Buffer.byteLength(body), maxBytes, body);
  if (body instanceof Uint8Array) {
    return checkSize(body.byteLength, maxBytes, Buffer.from(body).toString('utf8'));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += bytes.length;
    if (size > maxBytes) return checkSize(size, maxBytes, '');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function checkSize(size: number, maxBytes: number, text: string): string {
  if (size > maxBytes) {
    throw new SecurityEventError('invalid_request', `the body is larger than ${maxBytes} bytes`);
  }
  return text;
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

interface ReceiverSettings {
  readonly issuer: string;
  readonly jwksUri: URL;
  readonly audience: readonly string[];
  readonly authorizationHeader: string | undefined;
  readonly events: readonly string[];
  readonly subjectFor: SubjectMapper;
  readonly algorithms: readonly string[];
  readonly clockToleranceSec: number;
  readonly maxEventAgeSec: number;
  readonly maxTokenLifetimeSec: number;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly dispatcher: Dispatcher | undefined;
}

function normalize(options: SharedSignalsReceiverOptions, path: string): ReceiverSettings {
  const value = checkObject(options, path);
  checkKnownKeys(value, KNOWN_OPTIONS, path);
  const allowInsecureHttp = optionalBoolean(
    value.allowInsecureHttp,
    `${path}.allowInsecureHttp`,
    false,
  );
  const issuer = optionalString(value.issuer, `${path}.issuer`);
  if (issuer === undefined) throw new TokenGuardConfigError(`${path}.issuer`, 'is required');
  if (value.jwksUri === undefined)
    throw new TokenGuardConfigError(`${path}.jwksUri`, 'is required');
  const jwksUri = checkEndpointUrl(value.jwksUri, `${path}.jwksUri`, allowInsecureHttp);
  const audience = optionalStringList(value.audience, `${path}.audience`);
  if (audience === undefined) throw new TokenGuardConfigError(`${path}.audience`, 'is required');
  const algorithms =
    optionalStringList(value.algorithms, `${path}.algorithms`) ?? ASYMMETRIC_ALGORITHMS;
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      // A SET is verified with the transmitter's public keys: HMAC and `none` never apply.
      throw new TokenGuardConfigError(
        `${path}.algorithms`,
        `must list public-key algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
      );
    }
  }
  if (value.subjectFor !== undefined && typeof value.subjectFor !== 'function') {
    throw new TokenGuardConfigError(`${path}.subjectFor`, 'must be a function');
  }
  return {
    issuer,
    jwksUri,
    audience,
    authorizationHeader: optionalString(value.authorizationHeader, `${path}.authorizationHeader`),
    events: optionalStringList(value.events, `${path}.events`) ?? [
      CAEP_SESSION_REVOKED,
      CAEP_CREDENTIAL_CHANGE,
    ],
    subjectFor: (value.subjectFor as SubjectMapper | undefined) ?? defaultSubjectFor,
    algorithms,
    clockToleranceSec: optionalInteger(value.clockToleranceSec, `${path}.clockToleranceSec`, 60, {
      max: 600,
    }),
    maxEventAgeSec: optionalInteger(value.maxEventAgeSec, `${path}.maxEventAgeSec`, 1800, {
      min: 60,
      max: 604_800,
    }),
    maxTokenLifetimeSec: optionalInteger(
      value.maxTokenLifetimeSec,
      `${path}.maxTokenLifetimeSec`,
      86_400,
      { min: 60, max: 2_592_000 },
    ),
    timeoutMs: optionalInteger(value.timeoutMs, `${path}.timeoutMs`, DEFAULTS.upstreamTimeoutMs, {
      min: 1,
      max: 60_000,
    }),
    maxBodyBytes: optionalInteger(value.maxBodyBytes, `${path}.maxBodyBytes`, 65_536, {
      min: 1024,
      max: 1_048_576,
    }),
    dispatcher: value.dispatcher as Dispatcher | undefined,
  };
}
