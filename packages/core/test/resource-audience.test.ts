// MCP authorization / RFC 8707 / RFC 9728: a protected resource that publishes metadata and
// configures no audience of its own expects tokens issued for its resource identifier, so a
// token obtained for another resource is refused (the confused-deputy case).
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/create-guard.js';
import type { TokenGuard } from '../src/guard-types.js';
import type { GuardOptions } from '../src/options/types.js';
import { normalizeOptions } from '../src/settings/normalize-options.js';

const resource = 'https://api.example/mcp';
const resourceMetadata = { resource };

describe('the audience defaults to the RFC 9728 resource identifier', () => {
  const introspection = { endpoint: 'https://id.example/introspect' };

  it('JWT and introspection alike, and introspection answers must then name an audience', () => {
    const config = normalizeOptions({
      issuer: 'https://id.example',
      jwt: {},
      introspection,
      resourceMetadata,
    });
    expect(config.validation).toMatchObject({
      strategy: 'auto',
      jwt: { audience: [resource] },
      introspection: { audience: [resource], requireAudience: true },
    });
  });

  it('a configured audience wins, and keeps the answers without aud accepted as before', () => {
    const config = normalizeOptions({
      issuer: 'https://id.example',
      jwt: { audience: 'orders-api' },
      introspection,
      resourceMetadata,
    });
    expect(config.validation).toMatchObject({
      jwt: { audience: ['orders-api'] },
      introspection: { audience: ['orders-api'], requireAudience: false },
    });
  });

  it('introspection.requireAudClaim: false still accepts answers without aud', () => {
    const config = normalizeOptions({
      introspection: { ...introspection, requireAudClaim: false },
      resourceMetadata,
    });
    expect(config.validation).toMatchObject({
      introspection: { audience: [resource], requireAudience: false },
    });
  });

  it('each of several issuers without an audience expects the resource too', () => {
    const config = normalizeOptions({
      issuers: [{ issuer: 'https://a.example', introspection }],
      resourceMetadata,
    });
    expect(config.issuers?.entries[0]?.validation).toMatchObject({
      introspection: { audience: [resource], requireAudience: true },
    });
  });

  it('without resourceMetadata nothing changes', () => {
    const config = normalizeOptions({ introspection });
    expect(config.validation).toMatchObject({
      introspection: { audience: undefined, requireAudience: false },
    });
  });
});

describe('RFC 8707: a token issued for another resource is refused', () => {
  let idp: IdentityServer;
  let guard: TokenGuard;
  beforeAll(async () => {
    idp = await createIdentityServer();
    const options: GuardOptions = {
      issuer: idp.issuer,
      introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
      jwt: {},
      resourceMetadata: { resource: `${idp.url}/mcp` },
      allowInsecureHttp: true,
      logger: { warn() {}, error() {} },
    };
    guard = createGuard(options);
  });
  afterAll(async () => {
    await guard.close();
    await idp.close();
  });

  const reasonOf = (token: string) =>
    guard.verify(token).then(
      () => 'accepted',
      (error: { reason: string }) => error.reason,
    );

  it('introspected: aud = this resource passes; another resource, or none, is refused', async () => {
    expect(await reasonOf(idp.mintToken({ extra: { aud: `${idp.url}/mcp` } }))).toBe('accepted');
    expect(await reasonOf(idp.mintToken({ extra: { aud: 'https://other.example/mcp' } }))).toBe(
      'audience_mismatch',
    );
    expect(await reasonOf(idp.mintToken())).toBe('claim_missing');
  });

  it('JWT: aud = this resource passes; another resource is refused', async () => {
    expect(await reasonOf(await idp.mintJwt({ aud: `${idp.url}/mcp` }))).toBe('accepted');
    expect(await reasonOf(await idp.mintJwt({ aud: 'https://other.example/mcp' }))).toBe(
      'audience_mismatch',
    );
  });
});
