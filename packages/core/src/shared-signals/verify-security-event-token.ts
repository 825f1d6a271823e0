/**
 * Verifies an RFC 8417 Security Event Token with jose against the transmitter's JWKS:
 * signature over an allow-listed public-key algorithm, `typ: secevent+jwt` (RFC 8417 §2.3,
 * which also keeps an access token from ever being accepted as a SET and the other way
 * round), `iss` and `aud` (§2.2), and the claims every SET carries (`iss`, `iat`, `jti`,
 * `events`). Failures map onto the RFC 8935 §2.4 codes.
 */
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { TokenGuardConfigError, UpstreamUnavailableError } from '../errors.js';
import { isPlainObject } from '../options/validators.js';
import { SecurityEventError } from './security-event-error.js';

/** RFC 8417 §2.3: the explicit type of a SET; jose compares it per RFC 7515 §4.1.9. */
const SET_TYP = 'secevent+jwt';

/** JOSE header parameters that locate or carry a key: a SET cannot choose its own key. */
const KEY_SUPPLYING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/** The verified claims of a SET. */
export interface SecurityEvent {
  readonly iss: string;
  readonly jti: string;
  readonly iat: number;
  /** RFC 8417 §2.2 `events`: event type URI → event payload (always an object). */
  readonly events: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** RFC 8417 §2.2 `sub`, when the transmitter uses it. */
  readonly sub?: string;
  /** OpenID SSF 1.0 `sub_id`: an RFC 9493 subject identifier, when present. */
  readonly sub_id?: Readonly<Record<string, unknown>>;
}

export interface SecurityEventVerifierSettings {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockToleranceSec: number;
  readonly keys: JWTVerifyGetKey;
}

export type SecurityEventVerifier = (set: string) => Promise<SecurityEvent>;

export function createSecurityEventVerifier(
  settings: SecurityEventVerifierSettings,
): SecurityEventVerifier {
  const resolveKey: JWTVerifyGetKey = (header, token) => {
    for (const name of KEY_SUPPLYING_HEADERS) {
      if (Object.hasOwn(header, name)) {
        throw new SecurityEventError('invalid_key', `the '${name}' header is not accepted`);
      }
    }
    return settings.keys(header, token);
  };
  const options = {
    algorithms: [...settings.algorithms],
    issuer: settings.issuer,
    audience: [...settings.audience],
    typ: SET_TYP,
    clockTolerance: settings.clockToleranceSec,
    requiredClaims: ['iat', 'jti', 'events'],
  };

  return async (set) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(set, resolveKey, options));
    } catch (error) {
      throw toSecurityEventError(error);
    }
    return checkPayload(payload);
  };
}

/** RFC 8417 §2.2: `events` is an object whose members are objects; `jti` a string. */
function checkPayload(payload: JWTPayload): SecurityEvent {
  const { events, jti, sub, sub_id: subId } = payload;
  if (!isPlainObject(events) || Object.keys(events).length === 0) {
    throw new SecurityEventError('invalid_request', 'the events claim must be a non-empty object');
  }
  for (const value of Object.values(events)) {
    if (!isPlainObject(value)) {
      throw new SecurityEventError('invalid_request', 'every event payload must be an object');
    }
  }
  if (typeof jti !== 'string' || jti === '') {
    throw new SecurityEventError('invalid_request', 'the jti claim must be a non-empty string');
  }
  if (sub !== undefined && typeof sub !== 'string') {
    throw new SecurityEventError('invalid_request', 'the sub claim must be a string');
  }
  if (subId !== undefined && !isPlainObject(subId)) {
    throw new SecurityEventError('invalid_request', 'the sub_id claim must be an object');
  }
  return {
    iss: payload.iss as string,
    jti,
    iat: payload.iat as number,
    events: events as SecurityEvent['events'],
    ...(sub === undefined ? {} : { sub }),
    ...(subId === undefined ? {} : { sub_id: subId }),
  };
}

/**
 * jose's errors are not kept as `cause`: claim errors carry the whole payload. A key-set
 * outage stays an outage (the receiver answers 503 and the transmitter retries).
 */
function toSecurityEventError(error: unknown): unknown {
  if (
    error instanceof SecurityEventError ||
    error instanceof UpstreamUnavailableError ||
    error instanceof TokenGuardConfigError
  ) {
    return error;
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new SecurityEventError('invalid_issuer', 'issuer mismatch');
    if (error.claim === 'aud')
      return new SecurityEventError('invalid_audience', 'audience mismatch');
    if (error.claim === 'typ')
      return new SecurityEventError('invalid_request', 'the typ header must be secevent+jwt');
    return new SecurityEventError('invalid_request', `the ${error.claim} claim is invalid`);
  }
  if (error instanceof errors.JWTExpired) {
    return new SecurityEventError('invalid_request', 'the SET has expired');
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported
  ) {
    return new SecurityEventError('invalid_key', 'the SET signature could not be verified');
  }
  if (error instanceof errors.JOSEError || error instanceof TypeError) {
    return new SecurityEventError('invalid_request', 'the body is not a signed SET');
  }
  return error;
}
