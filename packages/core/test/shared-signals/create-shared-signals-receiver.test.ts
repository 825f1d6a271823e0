import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import {
  CAEP_CREDENTIAL_CHANGE,
  CAEP_SESSION_REVOKED,
  createIdentityServer,
  type IdentityServer,
  type SecurityEventOptions,
} from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenGuardConfigError } from '../../src/errors.js';
import {
  createSharedSignalsReceiver,
  type SecurityEventAnswer,
  type SharedSignalsReceiverOptions,
} from '../../src/shared-signals/create-shared-signals-receiver.js';

const AUDIENCE = 'https://api.example/ssf';
let idp: IdentityServer;
let other: IdentityServer;
const evicted: string[] = [];
const guard = {
  evictSubject: async (sub: string) => {
    evicted.push(sub);
  },
};

beforeAll(async () => {
  [idp, other] = await Promise.all([
    createIdentityServer({ jwtAlgorithms: ['RS256', 'ES256'] }),
    createIdentityServer({ jwtAlgorithms: ['RS256'] }),
  ]);
});
afterEach(() => {
  evicted.length = 0;
  idp.clearFaults();
  vi.useRealTimers();
});
afterAll(async () => {
  await Promise.all([idp.close(), other.close()]);
});

function receiverFor(extra: Partial<SharedSignalsReceiverOptions> = {}) {
  return createSharedSignalsReceiver(guard, {
    issuer: idp.issuer,
    jwksUri: idp.jwksUri,
    audience: AUDIENCE,
    allowInsecureHttp: true,
    ...extra,
  });
}

const sessionRevoked = (over: Partial<SecurityEventOptions> = {}): SecurityEventOptions => ({
  audience: AUDIENCE,
  events: { [CAEP_SESSION_REVOKED]: { event_timestamp: Math.floor(Date.now() / 1000) } },
  subject: { format: 'iss_sub', iss: 'https://identity.example', sub: 'user-42' },
  ...over,
});

async function deliver(
  set: string,
  receiver = receiverFor(),
  headers: Record<string, string> = {},
): Promise<SecurityEventAnswer> {
  return receiver.handle({
    method: 'POST',
    headers: { 'content-type': 'application/secevent+jwt', ...headers },
    body: set,
  });
}

function errOf(answer: SecurityEventAnswer): string {
  expect(answer.headers['content-type']).toBe('application/json');
  return (JSON.parse(answer.body ?? '{}') as { err: string }).err;
}

describe('RFC 8935 §2.2: a verified SET is acknowledged with 202 and evicts its subject', () => {
  it('CAEP session-revoked, subject as SSF 1.0 sub_id in iss_sub format', async () => {
    const answer = await deliver(await idp.mintSecurityEvent(sessionRevoked()));
    expect(answer.status).toBe(202);
    expect(answer.body).toBeUndefined();
    expect(evicted).toEqual(['user-42']);
  });

  it('CAEP credential-change, subject in email format (ES256-signed)', async () => {
    const set = await idp.mintSecurityEvent({
      audience: AUDIENCE,
      alg: 'ES256',
      events: { [CAEP_CREDENTIAL_CHANGE]: { credential_type: 'password', change_type: 'update' } },
      subject: { format: 'email', email: 'alice@example.com' },
    });
    expect((await deliver(set)).status).toBe(202);
    expect(evicted).toEqual(['alice@example.com']);
  });

  it('RFC 8417 §2.2: the SET’s own sub claim', async () => {
    const set = await idp.mintSecurityEvent(
      sessionRevoked({ subject: undefined, claims: { sub: 'user-7' } }),
    );
    expect((await deliver(set)).status).toBe(202);
    expect(evicted).toEqual(['user-7']);
  });

  it('CAEP drafts: the subject inside the event payload; complex and aliases subjects', async () => {
    const set = await idp.mintSecurityEvent({
      audience: [AUDIENCE, 'another'],
      events: {
        [CAEP_SESSION_REVOKED]: {
          subject: {
            user: { format: 'opaque', id: 'user-9' },
            session: { format: 'opaque', id: 's-1' },
          },
        },
      },
      subject: {
        format: 'aliases',
        identifiers: [
          { format: 'email', email: 'nine@example.com' },
          { format: 'phone_number', phone_number: '+15555550100' },
        ],
      },
    });
    expect((await deliver(set)).status).toBe(202);
    expect(evicted.sort()).toEqual(['nine@example.com', 'user-9']);
  });

  it('event types other than the evicting ones are acknowledged and ignored', async () => {
    const set = await idp.mintSecurityEvent({
      audience: AUDIENCE,
      events: {
        'https://schemas.openid.net/secevent/ssf/event-type/verification': { state: 'x' },
      },
    });
    expect((await deliver(set)).status).toBe(202);
    expect(evicted).toEqual([]);
  });

  it('subjectFor maps formats the default does not know', async () => {
    const receiver = receiverFor({
      subjectFor: (id) =>
        id.format === 'phone_number' ? [`tel:${String(id.phone_number)}`] : undefined,
    });
    const set = await idp.mintSecurityEvent(
      sessionRevoked({ subject: { format: 'phone_number', phone_number: '+15555550100' } }),
    );
    expect((await deliver(set, receiver)).status).toBe(202);
    expect(evicted).toEqual(['tel:+15555550100']);
  });

  it('reads the body from an unread request stream', async () => {
    const set = await idp.mintSecurityEvent(sessionRevoked());
    const answer = await receiverFor().handle({
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt; charset=utf-8' },
      body: Readable.from([Buffer.from(set.slice(0, 10)), Buffer.from(set.slice(10))]),
    });
    expect(answer.status).toBe(202);
  });

  it('the transmitter’s Authorization header, when configured, is required (401 otherwise)', async () => {
    const receiver = receiverFor({ authorizationHeader: 'Bearer transmitter-secret' });
    const set = await idp.mintSecurityEvent(sessionRevoked());
    const refused = await deliver(set, receiver, { authorization: 'Bearer wrong' });
    expect(refused.status).toBe(401);
    expect(errOf(refused)).toBe('authentication_failed');
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="shared-signals"');
    expect((await deliver(set, receiver)).status).toBe(401);
    const accepted = await deliver(set, receiver, { authorization: 'Bearer transmitter-secret' });
    expect(accepted.status).toBe(202);
    expect(evicted).toEqual(['user-42']);
  });
});

describe('RFC 8935 §2.3: a SET that fails validation is answered 400 with an §2.4 code', () => {
  const cases: Array<[string, () => Promise<string>, string]> = [
    [
      'RFC 8417 §2.3: typ other than secevent+jwt',
      () => idp.mintSecurityEvent(sessionRevoked({ header: { typ: 'JWT' } })),
      'invalid_request',
    ],
    [
      'RFC 8417 §2.3: typ missing',
      () => idp.mintSecurityEvent(sessionRevoked({ header: { typ: undefined } })),
      'invalid_request',
    ],
    [
      'an RFC 9068 access token is never a SET',
      () => idp.mintJwt({ aud: AUDIENCE, events: { [CAEP_SESSION_REVOKED]: {} } }),
      'invalid_request',
    ],
    [
      'issuer mismatch',
      () => idp.mintSecurityEvent(sessionRevoked({ claims: { iss: 'https://other.example' } })),
      'invalid_issuer',
    ],
    [
      'audience mismatch',
      () => idp.mintSecurityEvent(sessionRevoked({ audience: 'https://someone-else.example' })),
      'invalid_audience',
    ],
    [
      'signed with a key the JWKS does not publish',
      () => idp.mintSecurityEvent(sessionRevoked({ signWith: 'attacker' })),
      'invalid_key',
    ],
    [
      'signed by another transmitter',
      () => other.mintSecurityEvent(sessionRevoked({ claims: { iss: idp.issuer } })),
      'invalid_key',
    ],
    [
      'a key named by the SET itself (jku)',
      () =>
        idp.mintSecurityEvent(sessionRevoked({ header: { jku: `${idp.url}/attacker/jwks.json` } })),
      'invalid_key',
    ],
    [
      'RFC 8417 §2.2: events missing',
      () => idp.mintSecurityEvent(sessionRevoked({ claims: { events: undefined } })),
      'invalid_request',
    ],
    [
      'RFC 8417 §2.2: an event payload that is not an object',
      () =>
        idp.mintSecurityEvent(sessionRevoked({ events: { [CAEP_SESSION_REVOKED]: [] as never } })),
      'invalid_request',
    ],
    [
      'RFC 8417 §2.2: jti missing',
      () => idp.mintSecurityEvent(sessionRevoked({ claims: { jti: undefined } })),
      'invalid_request',
    ],
    [
      'an evicting event with no subject this recipient can name',
      () =>
        idp.mintSecurityEvent(
          sessionRevoked({ subject: { format: 'phone_number', phone_number: '+15555550100' } }),
        ),
      'invalid_request',
    ],
    [
      'an evicting event with no subject at all',
      () => idp.mintSecurityEvent(sessionRevoked({ subject: undefined })),
      'invalid_request',
    ],
    [
      'alg none (RFC 7515 Appendix A.5)',
      async () => {
        const [, payload] = (await idp.mintSecurityEvent(sessionRevoked())).split('.');
        const header = Buffer.from('{"alg":"none","typ":"secevent+jwt"}').toString('base64url');
        return `${header}.${payload}.`;
      },
      'invalid_key',
    ],
    ['a body that is not a JWS at all', async () => 'not.a-jws.at-all', 'invalid_request'],
    ['an encrypted SET (JWE) is not accepted', async () => 'a.b.c.d.e', 'invalid_request'],
  ];
  for (const [name, mint, err] of cases) {
    it(`${name} → 400 ${err}, nothing evicted`, async () => {
      const answer = await deliver(await mint());
      expect(answer.status).toBe(400);
      expect(errOf(answer)).toBe(err);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(evicted).toEqual([]);
    });
  }

  it('RFC 8935 §2.1: a content type other than application/secevent+jwt → 400 invalid_request', async () => {
    const set = await idp.mintSecurityEvent(sessionRevoked());
    const answer = await deliver(set, receiverFor(), { 'content-type': 'application/jwt' });
    expect(answer.status).toBe(400);
    expect(errOf(answer)).toBe('invalid_request');
  });

  it('a body over maxBodyBytes → 400 invalid_request', async () => {
    const answer = await deliver('x'.repeat(2048), receiverFor({ maxBodyBytes: 1024 }));
    expect(answer.status).toBe(400);
    expect(errOf(answer)).toBe('invalid_request');
  });

  it('a method other than POST → 405 with Allow', async () => {
    const answer = await receiverFor().handle({ method: 'GET', headers: {}, body: undefined });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
  });

  it('publishes each refusal on tokenguard:shared-signals:refused, without SET content', async () => {
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push(message);
    subscribe('tokenguard:shared-signals:refused', listener);
    try {
      await deliver(await idp.mintSecurityEvent(sessionRevoked({ audience: 'nope' })));
    } finally {
      unsubscribe('tokenguard:shared-signals:refused', listener);
    }
    expect(seen).toEqual([{ status: 400, err: 'invalid_audience' }]);
  });
});

describe('our own outages are 503, so the transmitter delivers again (RFC 8935 §2.3)', () => {
  it('JWKS unreachable → 503 with Retry-After; once it is back the same SET is accepted', async () => {
    const receiver = receiverFor();
    const set = await idp.mintSecurityEvent(sessionRevoked());
    idp.injectFault('jwks', { kind: 'status', status: 500 });
    const during = await deliver(set, receiver);
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    expect(evicted).toEqual([]);
    idp.clearFaults();
    // A failed fetch is remembered for 5 s (no fetch storm): let that time pass.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 6000);
    expect((await deliver(set, receiver)).status).toBe(202);
    expect(evicted).toEqual(['user-42']);
  });

  it('an eviction that fails (shared store down) → 503', async () => {
    const receiver = createSharedSignalsReceiver(
      {
        evictSubject: () => Promise.reject(new Error('store down')),
      },
      { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, allowInsecureHttp: true },
    );
    const answer = await deliver(await idp.mintSecurityEvent(sessionRevoked()), receiver);
    expect(answer.status).toBe(503);
  });
});

describe('options are validated at construction', () => {
  const base = { issuer: 'https://id.example', jwksUri: 'https://id.example/jwks', audience: 'a' };
  const bad: Array<[string, Record<string, unknown>]> = [
    ['sharedSignalsReceiver.issuer', { issuer: undefined }],
    ['sharedSignalsReceiver.jwksUri', { jwksUri: undefined }],
    ['sharedSignalsReceiver.jwksUri', { jwksUri: 'http://id.example/jwks' }],
    ['sharedSignalsReceiver.audience', { audience: [] }],
    ['sharedSignalsReceiver.algorithms', { algorithms: ['HS256'] }],
    ['sharedSignalsReceiver.algorithms', { algorithms: ['none'] }],
    ['sharedSignalsReceiver.subjectFor', { subjectFor: 'sub' }],
    ['sharedSignalsReceiver.jwksUrl', { jwksUrl: 'https://x' }],
  ];
  for (const [option, patch] of bad) {
    it(`${JSON.stringify(patch)} → TokenGuardConfigError naming ${option}`, () => {
      let thrown: unknown;
      try {
        createSharedSignalsReceiver(guard, { ...base, ...patch } as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TokenGuardConfigError);
      expect((thrown as TokenGuardConfigError).option).toBe(option);
    });
  }

  it('a guard without evictSubject is refused', () => {
    expect(() => createSharedSignalsReceiver({} as never, base)).toThrow(TokenGuardConfigError);
  });
});
