/**
 * Options grouped by what they govern: the renamed options are refused naming their new path,
 * one `http` group bounds every outbound call (one endpoint may bound its own), and an
 * `issuers[]` entry inherits the guard's `http`, key by key, unless it sets its own.
 */
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/create-guard.js';
import { TokenGuardConfigError } from '../src/errors.js';
import type { TokenGuard } from '../src/guard-types.js';
import { RENAMED_OPTIONS } from '../src/options/renamed-options.js';
import type { GuardOptions } from '../src/options/types.js';
import { normalizeOptions } from '../src/settings/normalize-options.js';

let idp: IdentityServer;
const guards: TokenGuard[] = [];
beforeAll(async () => {
  idp = await createIdentityServer();
});
afterEach(async () => {
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});
afterAll(() => idp.close());

const quiet = { warn() {}, error() {} };
const base = (): GuardOptions => ({
  allowInsecureHttp: true,
  logger: quiet,
  cache: false,
  issuer: 'https://id.example',
  introspection: { endpoint: 'https://id.example/introspect' },
  jwt: { audience: 'api' },
});

/** `{ a: { b: value } }` for the path `a.b`, merged into `options`. */
function withPath(options: GuardOptions, path: string, value: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = { ...options };
  let at = result;
  const keys = path.split('.');
  for (const key of keys.slice(0, -1)) {
    at[key] = { ...(at[key] as object) };
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1) as string] = value;
  return result;
}

function refusal(build: () => unknown): TokenGuardConfigError {
  try {
    build();
  } catch (error) {
    if (error instanceof TokenGuardConfigError) return error;
    throw error;
  }
  throw new Error('built without an error');
}

describe('renamed options (0.x): refused at construction, naming the new path', () => {
  it.each(Object.entries(RENAMED_OPTIONS))('`%s` → `%s`', (old, renamed) => {
    const error = refusal(() => createGuard(withPath(base(), old, 1) as GuardOptions));
    expect(error.option).toBe(old);
    expect(error.message).toContain(`it was renamed to \`${renamed}\``);
  });

  it('inside an issuers[] entry the path names the entry', () => {
    const error = refusal(() =>
      createGuard({
        allowInsecureHttp: true,
        logger: quiet,
        issuers: [
          {
            issuer: 'https://id.example',
            introspection: { endpoint: 'https://id.example/i', timeoutMs: 100 } as never,
          },
        ],
      }),
    );
    expect(error.option).toBe('issuers[0].introspection.timeoutMs');
    expect(error.message).toContain('it was renamed to `http.timeoutMs`');
  });

  it('a plain typo still gets its nearest known key', () => {
    const error = refusal(() => createGuard({ ...base(), token: { qeury: true } as never }));
    expect(error.option).toBe('token.qeury');
    expect(error.message).toContain('did you mean `query`?');
  });
});

describe('one http group: every outbound call, one endpoint may bound its own', () => {
  it('the guard http bounds introspection, JWKS and discovery alike', () => {
    const config = normalizeOptions({
      ...base(),
      http: { timeoutMs: 1200, maxResponseBytes: 4096 },
    });
    expect(config.http).toMatchObject({ timeoutMs: 1200, maxResponseBytes: 4096 });
    expect(config.introspection).toMatchObject({ timeoutMs: 1200, maxResponseBytes: 4096 });
    expect(config.jwt).toMatchObject({ jwksTimeoutMs: 1200, jwksMaxResponseBytes: 4096 });
  });

  it('introspection.http and jwt.http win for their endpoint only', () => {
    const config = normalizeOptions({
      ...base(),
      http: { timeoutMs: 1200 },
      introspection: { endpoint: 'https://id.example/introspect', http: { timeoutMs: 300 } },
      jwt: { audience: 'api', http: { maxResponseBytes: 1 << 20 } },
    });
    expect(config.http.timeoutMs).toBe(1200);
    expect(config.introspection).toMatchObject({ timeoutMs: 300, maxResponseBytes: 65_536 });
    expect(config.jwt).toMatchObject({ jwksTimeoutMs: 1200, jwksMaxResponseBytes: 1 << 20 });
  });

  it('a dispatcher or a pool size beside http.fetch is refused, in one group', () => {
    expect(refusal(() => createGuard({ ...base(), http: { fetch, connections: 4 } })).option).toBe(
      'http.connections',
    );
  });
});

describe('issuers[] entries inherit the guard http, key by key; their own value wins', () => {
  // An introspection answer well over 256 bytes: many scopes.
  const scope = Array.from({ length: 60 }, (_, i) => `scope-${i}`).join(' ');
  const entry = (http?: GuardOptions['http']) => ({
    issuer: idp.issuer,
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer' as const, token: idp.callerToken },
    },
    ...(http === undefined ? {} : { http }),
  });
  function guardWith(options: Partial<GuardOptions>): TokenGuard {
    const guard = createGuard({ allowInsecureHttp: true, logger: quiet, cache: false, ...options });
    guards.push(guard);
    return guard;
  }
  const statusOf = (guard: TokenGuard, token: string) =>
    guard.verify(token).then(
      () => 200,
      (error: unknown) => guard.errorResponse(error).status,
    );

  it('an entry without its own http uses the guard http (a 256-byte bound: the answer is an outage)', async () => {
    const guard = guardWith({ http: { maxResponseBytes: 256 }, issuers: [entry()] });
    expect(await statusOf(guard, idp.mintToken({ scope }))).toBe(503);
  });

  it("an entry's own http wins over the guard's", async () => {
    const guard = guardWith({
      http: { maxResponseBytes: 256 },
      issuers: [entry({ maxResponseBytes: 65_536 })],
    });
    expect(await statusOf(guard, idp.mintToken({ scope }))).toBe(200);
  });

  it('merged key by key: the entry keeps the guard keys it does not set', () => {
    const config = normalizeOptions({
      allowInsecureHttp: true,
      logger: quiet,
      http: { timeoutMs: 1200, connections: 8 },
      issuers: [entry({ timeoutMs: 300 }), { ...entry(), issuer: 'https://b.example' }],
    });
    const [own, inherited] = config.issuers?.entries ?? [];
    expect(own?.http).toMatchObject({ timeoutMs: 300, connections: 8 });
    expect(inherited?.http).toMatchObject({ timeoutMs: 1200, connections: 8 });
    expect(own?.validation).toMatchObject({ introspection: { timeoutMs: 300 } });
  });

  it('without any http the defaults apply (one defaults file)', () => {
    const config = normalizeOptions({ allowInsecureHttp: true, logger: quiet, issuers: [entry()] });
    expect(config.issuers?.entries[0]?.http).toMatchObject({
      timeoutMs: 5000,
      maxResponseBytes: 65_536,
      connections: 64,
    });
  });
});
