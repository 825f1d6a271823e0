/**
 * fast-check arbitraries shared by the hardening properties: hostile strings for the challenge
 * builder, and Authorization header values built from the pieces an attacker (or a broken
 * client) would combine — schemes in any case, odd separators, real and fake tokens, junk,
 * lengths on both sides of the limit.
 */
import fc from 'fast-check';

const char = (code: number) => String.fromCharCode(code);

/** Any UTF-16 code unit an attacker might place in a string: controls, quotes, lone surrogates. */
export const hostileUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map(char) },
  { weight: 2, arbitrary: fc.constantFrom('"', '\\', ',', '=', ' ', '\\"', '"\\') },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map(char),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map(char) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map(char) },
);

export const hostileString = fc.string({ unit: hostileUnit, maxLength: 80, size: 'medium' });

export const printableAsciiString = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map(char),
  maxLength: 80,
  size: 'medium',
});

/**
 * One byte a Node HTTP server accepts in a header value (RFC 9110 §5.5 field-vchar, SP, HTAB,
 * obs-text), as the latin1 character Node hands to the application.
 */
export const headerValueUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map(char) },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\t') },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map(char) },
);

/** Bytes Node's parser refuses in a header value: controls (CR, LF and NUL among them) and DEL. */
export const forbiddenHeaderUnit: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\r', '\n', '\0', '\r\n', '\x7f', '\x0b', '\x1b'),
  fc.integer({ min: 0, max: 0x1f }).map(char),
);

/**
 * Strips leading and trailing SP/HTAB as Node's parser does (RFC 9110 §5.5 OWS). A loop, not
 * `/^[\t ]+|[\t ]+$/`: that regex is quadratic on long runs of whitespace.
 */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start++;
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  return value.slice(start, end);
}

/** True when Node's HTTP parser accepts every character as header-value bytes. */
export function isAcceptedHeaderValue(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}

/** RFC 6750 §2.1 b64token characters. */
const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
export const b64Unit = fc.constantFrom(...B64_CHARS.split(''));

/** A syntactically valid b64token (`1*b64char *"="`) the identity server never issued. */
export const freshB64Token = fc
  .tuple(
    fc.string({ unit: b64Unit, minLength: 1, maxLength: 48, size: 'medium' }),
    fc.constantFrom('', '', '', '=', '=='),
  )
  .map(([body, pad]) => body + pad);

/** `bearer` with every letter independently upper- or lower-case (RFC 9110 §11.1). */
export const bearerInAnyCase = fc
  .array(fc.boolean(), { minLength: 6, maxLength: 6 })
  .map((upper) => [...'bearer'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

export const scheme: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: bearerInAnyCase },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'Basic',
      'Digest',
      'DPoP',
      'Negotiate',
      'MAC',
      'Token',
      'OAuth',
      'Bearer,',
      'Bearer:',
      'Bearer=',
      'Bearerx',
      'xBearer',
      'Bear',
      'B',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: headerValueUnit, maxLength: 12 }) },
);

/** What the credential part of a header is made of; the kind is for the report, not the oracle. */
export interface CredentialPools {
  /** Tokens the identity server minted and still considers active. */
  readonly valid: readonly string[];
  /** Minted, then expired or revoked. */
  readonly inactive: readonly string[];
  /** Well-formed tokens nobody issued (a bounded pool, so the negative cache absorbs most). */
  readonly unknown: readonly string[];
}

/** The credential after the scheme: real tokens, near-misses, junk, and lengths around `limit`. */
export function credential(pools: CredentialPools, limit: number): fc.Arbitrary<string> {
  const any = (list: readonly string[]) => fc.constantFrom(...list);
  return fc.oneof(
    { weight: 6, arbitrary: any(pools.valid) },
    { weight: 2, arbitrary: any(pools.inactive) },
    { weight: 6, arbitrary: any(pools.unknown) },
    { weight: 2, arbitrary: freshB64Token },
    { weight: 2, arbitrary: fc.string({ unit: headerValueUnit, maxLength: 40, size: 'medium' }) },
    {
      // A real token with something stuck to it: a second credential, a parameter, padding.
      weight: 2,
      arbitrary: fc
        .tuple(
          any(pools.valid),
          fc.constantFrom(
            ' x',
            ',',
            ', realm="x"',
            ';',
            '"',
            '\t',
            ' ',
            '==x',
            '.',
            '=a',
            ' Bearer',
          ),
        )
        .map(([token, suffix]) => token + suffix),
    },
    {
      // Lengths on both sides of the limit, cheap to build: one character repeated.
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('A', '~', '=', ' ', 'é', '!'),
          fc.oneof(
            fc.integer({ min: limit - 16, max: limit + 16 }),
            fc.integer({ min: 1, max: 3 * limit }),
          ),
        )
        .map(([c, n]) => c.repeat(Math.max(0, n))),
    },
  );
}

/** A whole Authorization value: leading/trailing whitespace, scheme, separator, credential. */
export function authorizationValue(pools: CredentialPools, limit: number): fc.Arbitrary<string> {
  const composed = fc
    .tuple(
      fc.constantFrom('', '', '', ' ', '\t', '  '),
      scheme,
      fc.constantFrom(' ', ' ', ' ', '  ', '   ', '\t', ' \t', '', ',', '\u00a0'),
      credential(pools, limit),
      fc.constantFrom('', '', '', ' ', '\t', ' x', ','),
    )
    .map((parts) => parts.join(''));
  return fc.oneof(
    { weight: 8, arbitrary: composed },
    { weight: 2, arbitrary: fc.string({ unit: headerValueUnit, maxLength: 120, size: 'medium' }) },
  );
}

/** The header name as a client might spell it (field names are case-insensitive, RFC 9110 §5.1). */
export const authorizationName = fc.constantFrom(
  'Authorization',
  'Authorization',
  'authorization',
  'AUTHORIZATION',
  'aUtHoRiZaTiOn',
);

/** Visible ASCII, the only bytes Node accepts in a request target. */
const queryUnit = fc.oneof(
  { weight: 6, arbitrary: b64Unit },
  {
    weight: 3,
    arbitrary: fc.constantFrom('&', '=', '+', '%', '%20', '%2B', '%3D', '%26', ';', '#'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map(char) },
);

/**
 * A query string (without `?`) in which `access_token` may appear zero to three times, with
 * real tokens, junk and percent-escapes; visible ASCII only, as Node requires.
 */
export function queryString(pools: CredentialPools, limit: number): fc.Arbitrary<string> {
  const tokenParam = credential(pools, Math.min(limit, 512)).map(
    (value) => `access_token=${encodeURIComponent(value)}`,
  );
  const rawTokenParam = fc
    .string({ unit: queryUnit, maxLength: 30 })
    .map((value) => `access_token=${value}`);
  const other = fc.string({ unit: queryUnit, maxLength: 20 });
  return fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: tokenParam },
        { weight: 1, arbitrary: rawTokenParam },
        { weight: 3, arbitrary: other },
        {
          weight: 1,
          arbitrary: fc.constantFrom('ACCESS_TOKEN=x', 'access_token', 'access_token='),
        },
      ),
      { maxLength: 4 },
    )
    .map((parts) => parts.join('&'));
}
