import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { normalizeClientAuth } from '../../src/client-auth/normalize-client-auth.js';
import { TokenGuardConfigError } from '../../src/errors.js';

const PATH = 'introspection.clientAuth';
const SECRET = 'S3cret-Value_do-not-print';
const STRICT = { allowInsecureHttp: false };
const LAX = { allowInsecureHttp: true };

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');

/** The option path a bad value is reported at; fails the test when nothing is thrown. */
function optionOf(value: unknown, opts = STRICT): string {
  try {
    normalizeClientAuth(value, PATH, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenGuardConfigError);
    expect(error).toBeInstanceOf(TypeError);
    const message = (error as Error).message;
    expect(message).toContain(`\`${(error as TokenGuardConfigError).option}\``);
    expect(message).not.toContain(SECRET);
    return (error as TokenGuardConfigError).option;
  }
  throw new Error('expected a TokenGuardConfigError');
}

const basic = { method: 'client_secret_basic', clientId: 'rs', clientSecret: SECRET };
const cc = {
  method: 'client_credentials',
  clientId: 'rs',
  clientSecret: SECRET,
  tokenEndpoint: 'https://id.example/oauth/token',
};

describe('normalizeClientAuth: the discriminated union', () => {
  it('refuses a value that is not an object, naming the option', () => {
    expect(optionOf(undefined)).toBe(PATH);
    expect(optionOf('bearer')).toBe(PATH);
    expect(optionOf([basic])).toBe(PATH);
  });

  it('refuses a missing or unknown method', () => {
    expect(optionOf({ clientId: 'rs', clientSecret: SECRET })).toBe(`${PATH}.method`);
    expect(optionOf({ ...basic, method: 'client_secret_jwt' })).toBe(`${PATH}.method`);
    expect(optionOf({ ...basic, method: 'Client_Secret_Basic' })).toBe(`${PATH}.method`);
  });

  it('refuses unknown keys and keys of another method', () => {
    expect(optionOf({ ...basic, clientSecrte: 'x' })).toBe(`${PATH}.clientSecrte`);
    expect(optionOf({ ...basic, scope: 'read' })).toBe(`${PATH}.scope`);
    expect(optionOf({ method: 'bearer', token: 'abc', clientId: 'rs' })).toBe(`${PATH}.clientId`);
    expect(optionOf({ ...cc, kid: 'k1' })).toBe(`${PATH}.kid`);
  });

  it('returns a frozen copy and never mutates the input', () => {
    const input = { ...basic };
    const out = normalizeClientAuth(input, PATH, STRICT);
    expect(Object.isFrozen(out)).toBe(true);
    expect(out).not.toBe(input);
    expect(input).toEqual(basic);
    expect(out.method).toBe('client_secret_basic');
  });
});

describe('normalizeClientAuth: bearer', () => {
  it('accepts a static RFC 6750 b64token or a function', () => {
    const fn = async () => 'tok';
    expect(
      normalizeClientAuth({ method: 'bearer', token: 'abc.DEF-_~+/==' }, PATH, STRICT),
    ).toMatchObject({
      method: 'bearer',
    });
    const out = normalizeClientAuth({ method: 'bearer', token: fn }, PATH, STRICT);
    expect(out.method === 'bearer' && out.token).toBe(fn);
  });

  it('RFC 6750 §2.1: refuses a token that is empty, not a string, or not b64token syntax', () => {
    expect(optionOf({ method: 'bearer' })).toBe(`${PATH}.token`);
    expect(optionOf({ method: 'bearer', token: '' })).toBe(`${PATH}.token`);
    expect(optionOf({ method: 'bearer', token: 42 })).toBe(`${PATH}.token`);
    expect(optionOf({ method: 'bearer', token: `${SECRET} x` })).toBe(`${PATH}.token`);
    expect(optionOf({ method: 'bearer', token: `${SECRET}\r\nx-injected: 1` })).toBe(
      `${PATH}.token`,
    );
    expect(optionOf({ method: 'bearer', token: `Bearer ${SECRET}` })).toBe(`${PATH}.token`);
  });
});

describe('normalizeClientAuth: client_secret_basic and client_secret_post', () => {
  it.each(['client_secret_basic', 'client_secret_post'])(
    '%s: requires a non-empty clientId and clientSecret',
    (method) => {
      expect(optionOf({ method, clientSecret: SECRET })).toBe(`${PATH}.clientId`);
      expect(optionOf({ method, clientId: '', clientSecret: SECRET })).toBe(`${PATH}.clientId`);
      expect(optionOf({ method, clientId: 7, clientSecret: SECRET })).toBe(`${PATH}.clientId`);
      expect(optionOf({ method, clientId: 'rs' })).toBe(`${PATH}.clientSecret`);
      expect(optionOf({ method, clientId: 'rs', clientSecret: '' })).toBe(`${PATH}.clientSecret`);
      expect(optionOf({ method, clientId: 'rs', clientSecret: `${SECRET}\uD800` })).toBe(
        `${PATH}.clientSecret`,
      );
    },
  );

  it("RFC 6749 §2.3.1: an id or secret with ':', '%', spaces or non-ASCII is legal (it is form-encoded)", () => {
    const out = normalizeClientAuth(
      { ...basic, clientId: 'a:b %c', clientSecret: 'p: %ä€ 😀' },
      PATH,
      STRICT,
    );
    expect(out).toMatchObject({ clientId: 'a:b %c', clientSecret: 'p: %ä€ 😀' });
  });
});

describe('normalizeClientAuth: secrets stay out of logs', () => {
  it('the secret fields are readable by name but absent from JSON and util.inspect', () => {
    const outputs = [
      normalizeClientAuth(basic, PATH, STRICT),
      normalizeClientAuth({ method: 'bearer', token: SECRET }, PATH, STRICT),
      normalizeClientAuth(cc, PATH, STRICT),
    ];
    for (const out of outputs) {
      expect(JSON.stringify(out)).not.toContain(SECRET);
      expect(inspect(out, { depth: 5 })).not.toContain(SECRET);
      const record = out as unknown as Record<string, unknown>;
      expect(record.clientSecret ?? record.token).toBe(SECRET);
    }
    const jwt = normalizeClientAuth(
      { method: 'private_key_jwt', clientId: 'rs', privateKey: rsaPem },
      PATH,
      STRICT,
    );
    expect(JSON.stringify(jwt)).not.toContain('PRIVATE KEY');
    expect(inspect(jwt)).not.toContain('PRIVATE KEY');
  });
});

describe('normalizeClientAuth: private_key_jwt (RFC 7523)', () => {
  const jwtAuth = (extra: Record<string, unknown>) => ({
    method: 'private_key_jwt',
    clientId: 'rs',
    ...extra,
  });

  it('infers the algorithm from the key: RS256 for RSA, the curve for EC, EdDSA for Ed25519', () => {
    expect(normalizeClientAuth(jwtAuth({ privateKey: rsaPem }), PATH, STRICT)).toMatchObject({
      alg: 'RS256',
    });
    expect(
      normalizeClientAuth(jwtAuth({ privateKey: p384.privateKey }), PATH, STRICT),
    ).toMatchObject({
      alg: 'ES384',
    });
    expect(normalizeClientAuth(jwtAuth({ privateKey: ed.privateKey }), PATH, STRICT)).toMatchObject(
      { alg: 'EdDSA' },
    );
  });

  it("accepts a private JWK and takes the JWK's own alg; keeps kid", () => {
    const jwk = { ...rsa.privateKey.export({ format: 'jwk' }), alg: 'PS256' };
    const out = normalizeClientAuth(jwtAuth({ privateKey: jwk, kid: 'k1' }), PATH, STRICT);
    expect(out).toMatchObject({ alg: 'PS256', kid: 'k1' });
  });

  it('accepts PS* with an RSA key and a WebCrypto CryptoKey bound to its algorithm', async () => {
    expect(
      normalizeClientAuth(jwtAuth({ privateKey: rsaPem, alg: 'PS384' }), PATH, STRICT),
    ).toMatchObject({
      alg: 'PS384',
    });
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    const out = normalizeClientAuth(jwtAuth({ privateKey: pair.privateKey }), PATH, STRICT);
    expect(out).toMatchObject({ alg: 'ES256' });
    expect(optionOf(jwtAuth({ privateKey: pair.privateKey, alg: 'ES384' }))).toBe(`${PATH}.alg`);
    expect(optionOf(jwtAuth({ privateKey: pair.publicKey }))).toBe(`${PATH}.privateKey`);
  });

  it('refuses a missing, unparsable, public or symmetric key', () => {
    expect(optionOf(jwtAuth({}))).toBe(`${PATH}.privateKey`);
    expect(optionOf(jwtAuth({ privateKey: '' }))).toBe(`${PATH}.privateKey`);
    expect(
      optionOf(
        jwtAuth({
          privateKey: `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----`,
        }),
      ),
    ).toBe(`${PATH}.privateKey`);
    expect(optionOf(jwtAuth({ privateKey: rsa.publicKey }))).toBe(`${PATH}.privateKey`);
    expect(
      optionOf(jwtAuth({ privateKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) })),
    ).toBe(`${PATH}.privateKey`);
    expect(optionOf(jwtAuth({ privateKey: rsa.publicKey.export({ format: 'jwk' }) }))).toBe(
      `${PATH}.privateKey`,
    );
    expect(optionOf(jwtAuth({ privateKey: { kty: 'oct', k: SECRET } }))).toBe(`${PATH}.privateKey`);
    expect(optionOf(jwtAuth({ privateKey: 12 }))).toBe(`${PATH}.privateKey`);
  });

  it('RFC 7518 §3.3: refuses an RSA key under 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(optionOf(jwtAuth({ privateKey: small.privateKey }))).toBe(`${PATH}.privateKey`);
  });

  it('refuses HMAC, none, and an algorithm that does not fit the key', () => {
    expect(optionOf(jwtAuth({ privateKey: rsaPem, alg: 'HS256' }))).toBe(`${PATH}.alg`);
    expect(optionOf(jwtAuth({ privateKey: rsaPem, alg: 'none' }))).toBe(`${PATH}.alg`);
    expect(optionOf(jwtAuth({ privateKey: rsaPem, alg: 'ES256' }))).toBe(`${PATH}.alg`);
    expect(optionOf(jwtAuth({ privateKey: p384.privateKey, alg: 'ES256' }))).toBe(`${PATH}.alg`);
    expect(optionOf(jwtAuth({ privateKey: ed.privateKey, alg: 'RS256' }))).toBe(`${PATH}.alg`);
    const jwk = { ...rsa.privateKey.export({ format: 'jwk' }), alg: 'RS256' };
    expect(optionOf(jwtAuth({ privateKey: jwk, alg: 'PS256' }))).toBe(`${PATH}.alg`);
  });

  it('refuses an empty kid and a clientSecret', () => {
    expect(optionOf(jwtAuth({ privateKey: rsaPem, kid: '' }))).toBe(`${PATH}.kid`);
    expect(optionOf(jwtAuth({ privateKey: rsaPem, clientSecret: SECRET }))).toBe(
      `${PATH}.clientSecret`,
    );
  });
});

describe('normalizeClientAuth: client_credentials (RFC 6749 §4.4)', () => {
  it('fills the defaults: client_secret_basic, refreshSkewSec 30; resource becomes a frozen list', () => {
    const out = normalizeClientAuth({ ...cc, resource: 'https://api.example/' }, PATH, STRICT);
    expect(out).toMatchObject({
      method: 'client_credentials',
      tokenEndpointAuthMethod: 'client_secret_basic',
      refreshSkewSec: 30,
      resource: ['https://api.example/'],
      tokenEndpoint: 'https://id.example/oauth/token',
    });
    expect(Object.isFrozen(out.method === 'client_credentials' && out.resource)).toBe(true);
  });

  it('the token endpoint is optional (discovery supplies it)', () => {
    const { tokenEndpoint: _, ...withoutEndpoint } = cc;
    expect(normalizeClientAuth(withoutEndpoint, PATH, STRICT)).not.toHaveProperty('tokenEndpoint');
  });

  it('refuses a bad token endpoint: not a URL, http without allowInsecureHttp, credentials, fragment', () => {
    const at = `${PATH}.tokenEndpoint`;
    expect(optionOf({ ...cc, tokenEndpoint: '/oauth/token' })).toBe(at);
    expect(optionOf({ ...cc, tokenEndpoint: '' })).toBe(at);
    expect(optionOf({ ...cc, tokenEndpoint: 42 })).toBe(at);
    expect(optionOf({ ...cc, tokenEndpoint: 'ftp://id.example/token' })).toBe(at);
    expect(optionOf({ ...cc, tokenEndpoint: 'http://127.0.0.1:1/oauth/token' })).toBe(at);
    expect(optionOf({ ...cc, tokenEndpoint: `https://rs:${SECRET}@id.example/token` })).toBe(at);
    // RFC 6749 §3.2: the endpoint URI MUST NOT include a fragment.
    expect(optionOf({ ...cc, tokenEndpoint: 'https://id.example/token#x' })).toBe(at);
    expect(
      normalizeClientAuth({ ...cc, tokenEndpoint: 'http://127.0.0.1:1/t' }, PATH, LAX),
    ).toMatchObject({
      tokenEndpoint: 'http://127.0.0.1:1/t',
    });
  });

  it('checks the token-endpoint authentication method and its credentials', () => {
    expect(optionOf({ ...cc, tokenEndpointAuthMethod: 'none' })).toBe(
      `${PATH}.tokenEndpointAuthMethod`,
    );
    expect(optionOf({ ...cc, clientSecret: undefined })).toBe(`${PATH}.clientSecret`);
    expect(optionOf({ ...cc, clientId: '' })).toBe(`${PATH}.clientId`);
    expect(
      optionOf({ ...cc, tokenEndpointAuthMethod: 'client_secret_post', privateKey: rsaPem }),
    ).toBe(`${PATH}.privateKey`);
    expect(
      optionOf({ ...cc, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsaPem }),
    ).toBe(`${PATH}.clientSecret`);
    const { clientSecret: _, ...noSecret } = cc;
    expect(optionOf({ ...noSecret, tokenEndpointAuthMethod: 'private_key_jwt' })).toBe(
      `${PATH}.privateKey`,
    );
    const out = normalizeClientAuth(
      { ...noSecret, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: rsaPem, kid: 'k' },
      PATH,
      STRICT,
    );
    expect(out).toMatchObject({
      tokenEndpointAuthMethod: 'private_key_jwt',
      alg: 'RS256',
      kid: 'k',
    });
  });

  it('RFC 6749 §3.3: scope must be single-space-separated scope tokens', () => {
    expect(
      normalizeClientAuth({ ...cc, scope: 'introspect read:all' }, PATH, STRICT),
    ).toMatchObject({
      scope: 'introspect read:all',
    });
    for (const scope of ['', ' read', 'read  write', 'read ', 'a"b', 'a\\b', 'caf\u00e9', 7]) {
      expect(optionOf({ ...cc, scope })).toBe(`${PATH}.scope`);
    }
  });

  it('RFC 8707 §2: each resource is an absolute URI without a fragment', () => {
    expect(
      normalizeClientAuth({ ...cc, resource: ['https://a.example/', 'urn:x:y'] }, PATH, STRICT),
    ).toMatchObject({ resource: ['https://a.example/', 'urn:x:y'] });
    expect(optionOf({ ...cc, resource: [] })).toBe(`${PATH}.resource`);
    expect(optionOf({ ...cc, resource: '/relative' })).toBe(`${PATH}.resource`);
    expect(optionOf({ ...cc, resource: ['https://a.example/', 'https://b.example/#f'] })).toBe(
      `${PATH}.resource[1]`,
    );
    expect(optionOf({ ...cc, resource: [1] })).toBe(`${PATH}.resource[0]`);
  });

  it('refreshSkewSec is a number of seconds from 0 to 3600', () => {
    expect(normalizeClientAuth({ ...cc, refreshSkewSec: 0 }, PATH, STRICT)).toMatchObject({
      refreshSkewSec: 0,
    });
    for (const refreshSkewSec of [-1, Number.NaN, Number.POSITIVE_INFINITY, 3601, '30']) {
      expect(optionOf({ ...cc, refreshSkewSec })).toBe(`${PATH}.refreshSkewSec`);
    }
  });
});
