/**
 * Validates `introspection.clientAuth` once, at construction (a wrong credential option is a
 * configuration error, never a 500 discovered per request), into a frozen copy.
 * Error messages name the option path and what was expected; they never contain a value,
 * since several of these values are secrets.
 */
import { TokenGuardConfigError } from '../errors.js';
import type { ClientAuthentication } from '../options/types.js';
import { isB64token } from '../token/is-b64token.js';
import { checkSigningKey, SigningKeyProblem } from './check-signing-key.js';
import { DEFAULT_REFRESH_SKEW_SEC } from './create-client-credentials-source.js';

const METHODS = [
  'bearer',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_credentials',
] as const;
type Method = (typeof METHODS)[number];

const KEY_FIELDS = ['privateKey', 'alg', 'kid'] as const;
const KEYS: Readonly<Record<Method, readonly string[]>> = {
  bearer: ['method', 'token'],
  client_secret_basic: ['method', 'clientId', 'clientSecret'],
  client_secret_post: ['method', 'clientId', 'clientSecret'],
  private_key_jwt: ['method', 'clientId', ...KEY_FIELDS],
  client_credentials: [
    'method',
    'tokenEndpoint',
    'clientId',
    'scope',
    'resource',
    'refreshSkewSec',
    'tokenEndpointAuthMethod',
    'clientSecret',
    ...KEY_FIELDS,
  ],
};

/** Longest accepted `refreshSkewSec`, in seconds (one hour). */
const MAX_REFRESH_SKEW_SEC = 3600;

/**
 * RFC 6749 §3.3: `scope = scope-token *( SP scope-token )`,
 * `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
 */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/**
 * Validates a `ClientAuthentication` option and returns a frozen, normalised copy:
 * - `bearer`: `token` is a non-empty RFC 6750 b64token string, or a function.
 * - `client_secret_basic` / `client_secret_post`: non-empty `clientId` and `clientSecret`.
 * - `private_key_jwt`: `clientId`, and a private key the `alg` can sign with; `alg` defaults
 *   to RS256 for RSA keys, ES256/384/512 by EC curve, EdDSA for Ed25519 (or the JWK's `alg`);
 *   `privateKey` comes back as a `KeyObject` (a `CryptoKey` is kept as given).
 * - `client_credentials`: `clientId`; `tokenEndpoint` (optional, default discovery's) an
 *   absolute https URL (http only with `allowInsecureHttp`) without credentials or fragment;
 *   `tokenEndpointAuthMethod` (default `client_secret_basic`) with its secret or key;
 *   `scope` RFC 6749 §3.3 syntax; `resource` one or more absolute URIs without fragment
 *   (RFC 8707 §2), returned as a frozen array; `refreshSkewSec` seconds, default 30.
 *
 * Unknown keys (including another method's keys) are refused. The secret fields
 * (`token` when a string, `clientSecret`, `privateKey`) are non-enumerable on the result,
 * so printing or JSON-serialising the normalised options never shows them; read them by name.
 *
 * @param path the option path used in error messages, e.g. `introspection.clientAuth`.
 * @throws TokenGuardConfigError naming `${path}.<field>`.
 */
export function normalizeClientAuth(
  value: unknown,
  path: string,
  opts: { readonly allowInsecureHttp: boolean },
): ClientAuthentication {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenGuardConfigError(path, 'must be an object with a `method`');
  }
  const raw = value as Record<string, unknown>;
  const method = raw.method;
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) {
    throw new TokenGuardConfigError(
      `${path}.method`,
      `must be one of ${METHODS.map((m) => `'${m}'`).join(', ')}`,
    );
  }
  const m = method as Method;
  for (const key of Object.keys(raw)) {
    if (!KEYS[m].includes(key)) {
      throw new TokenGuardConfigError(
        `${path}.${printable(key)}`,
        `is not an option of method '${m}'`,
      );
    }
  }
  const out: Record<string, unknown> = { method: m };
  switch (m) {
    case 'bearer': {
      const token = raw.token;
      if (typeof token === 'function') {
        out.token = token;
      } else if (isB64token(token)) {
        hidden(out, 'token', token);
      } else {
        throw new TokenGuardConfigError(
          `${path}.token`,
          'must be a non-empty bearer token (RFC 6750 §2.1 b64token syntax) or a function returning one',
        );
      }
      break;
    }
    case 'client_secret_basic':
    case 'client_secret_post':
      out.clientId = text(raw.clientId, `${path}.clientId`);
      hidden(out, 'clientSecret', text(raw.clientSecret, `${path}.clientSecret`));
      break;
    case 'private_key_jwt':
      out.clientId = text(raw.clientId, `${path}.clientId`);
      signingKey(raw, out, path);
      break;
    case 'client_credentials':
      clientCredentials(raw, out, path, opts.allowInsecureHttp);
      break;
  }
  return Object.freeze(out) as unknown as ClientAuthentication;
}

function clientCredentials(
  raw: Record<string, unknown>,
  out: Record<string, unknown>,
  path: string,
  allowInsecureHttp: boolean,
): void {
  if (raw.tokenEndpoint !== undefined) {
    out.tokenEndpoint = endpointUrl(raw.tokenEndpoint, `${path}.tokenEndpoint`, allowInsecureHttp);
  }
  out.clientId = text(raw.clientId, `${path}.clientId`);
  const authMethod = raw.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (
    authMethod !== 'client_secret_basic' &&
    authMethod !== 'client_secret_post' &&
    authMethod !== 'private_key_jwt'
  ) {
    throw new TokenGuardConfigError(
      `${path}.tokenEndpointAuthMethod`,
      "must be 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'",
    );
  }
  out.tokenEndpointAuthMethod = authMethod;
  if (authMethod === 'private_key_jwt') {
    if (raw.clientSecret !== undefined) {
      throw new TokenGuardConfigError(
        `${path}.clientSecret`,
        "is not used with tokenEndpointAuthMethod 'private_key_jwt'",
      );
    }
    signingKey(raw, out, path);
  } else {
    for (const key of KEY_FIELDS) {
      if (raw[key] !== undefined) {
        throw new TokenGuardConfigError(
          `${path}.${key}`,
          "is only used with tokenEndpointAuthMethod 'private_key_jwt'",
        );
      }
    }
    hidden(out, 'clientSecret', text(raw.clientSecret, `${path}.clientSecret`));
  }
  if (raw.scope !== undefined) {
    if (typeof raw.scope !== 'string' || !SCOPE.test(raw.scope)) {
      throw new TokenGuardConfigError(
        `${path}.scope`,
        'must be space-separated scope tokens (RFC 6749 §3.3: printable ASCII without `"` or `\\`, single spaces)',
      );
    }
    out.scope = raw.scope;
  }
  if (raw.resource !== undefined) out.resource = resources(raw.resource, `${path}.resource`);
  if (raw.refreshSkewSec === undefined) {
    out.refreshSkewSec = DEFAULT_REFRESH_SKEW_SEC;
  } else {
    const skew = raw.refreshSkewSec;
    if (
      typeof skew !== 'number' ||
      !Number.isFinite(skew) ||
      skew < 0 ||
      skew > MAX_REFRESH_SKEW_SEC
    ) {
      throw new TokenGuardConfigError(
        `${path}.refreshSkewSec`,
        `must be a number of seconds from 0 to ${MAX_REFRESH_SKEW_SEC}`,
      );
    }
    out.refreshSkewSec = skew;
  }
}

function signingKey(
  raw: Record<string, unknown>,
  out: Record<string, unknown>,
  path: string,
): void {
  if (raw.privateKey === undefined)
    throw new TokenGuardConfigError(`${path}.privateKey`, 'is required');
  if (raw.kid !== undefined) out.kid = text(raw.kid, `${path}.kid`);
  try {
    const { key, alg } = checkSigningKey(raw.privateKey, raw.alg);
    out.alg = alg;
    hidden(out, 'privateKey', key);
  } catch (error) {
    if (error instanceof SigningKeyProblem)
      throw new TokenGuardConfigError(`${path}.${error.field}`, error.expected);
    throw new TokenGuardConfigError(`${path}.privateKey`, 'must be a usable private key');
  }
}

/** A non-empty, well-formed (no lone surrogate) string: it is form-encoded later. */
function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TokenGuardConfigError(path, 'must be a non-empty string');
  try {
    encodeURIComponent(value);
  } catch {
    throw new TokenGuardConfigError(path, 'must be well-formed Unicode (no lone surrogate)');
  }
  return value;
}

function endpointUrl(value: unknown, path: string, allowInsecureHttp: boolean): string {
  if (typeof value !== 'string' || value === '')
    throw new TokenGuardConfigError(path, 'must be an absolute URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TokenGuardConfigError(path, 'must be an absolute URL');
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new TokenGuardConfigError(
      path,
      'must use https (set allowInsecureHttp for local development)',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TokenGuardConfigError(path, 'must be an https URL');
  // Credentials in a URL end up in logs; they belong in clientSecret.
  if (url.username !== '' || url.password !== '') {
    throw new TokenGuardConfigError(path, 'must not contain credentials (user:password@)');
  }
  // RFC 6749 §3.2: the token endpoint URI MUST NOT include a fragment.
  if (url.hash !== '' || value.includes('#'))
    throw new TokenGuardConfigError(path, 'must not contain a fragment');
  return url.href;
}

/** RFC 8707 §2: each `resource` is an absolute URI without a fragment. */
function resources(value: unknown, path: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TokenGuardConfigError(path, 'must be an absolute URI or a non-empty list of them');
  }
  return Object.freeze(
    list.map((item, i) => {
      const at = typeof value === 'string' ? path : `${path}[${i}]`;
      if (typeof item !== 'string' || !URL.canParse(item))
        throw new TokenGuardConfigError(at, 'must be an absolute URI');
      if (item.includes('#'))
        throw new TokenGuardConfigError(at, 'must not contain a fragment (RFC 8707 §2)');
      return item;
    }),
  );
}

/** Secrets go on as non-enumerable properties: present by name, absent from logs and JSON. */
function hidden(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: false,
    writable: false,
    configurable: false,
  });
}

/** An unknown key is echoed in the error (it names the option), but bounded and printable. */
function printable(key: string): string {
  const clean = key.replace(/[^\x20-\x7E]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
