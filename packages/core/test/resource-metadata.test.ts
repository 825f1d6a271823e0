import { describe, expect, it } from 'vitest';
import { TokenGuardConfigError } from '../src/errors.js';
import { buildChallenge } from '../src/http/build-challenge.js';
import { createResourceMetadata } from '../src/resource-metadata/create-resource-metadata.js';
import { serveResourceMetadata } from '../src/resource-metadata/serve-resource-metadata.js';
import { normalizeOptions } from '../src/settings/normalize-options.js';

const context = {
  issuers: ['https://idp.example'],
  bearerMethods: ['header'] as const,
  allowInsecureHttp: false,
};
const optionOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof TokenGuardConfigError ? error.option : 'other';
  }
  return 'none';
};

describe('RFC 9728 protected resource metadata', () => {
  it('§3.1: the well-known segment goes between host and path', () => {
    const metadata = createResourceMetadata({ resource: 'https://api.example/v1/mcp' }, context);
    expect(metadata.url).toBe('https://api.example/.well-known/oauth-protected-resource/v1/mcp');
    expect(metadata.paths).toEqual([
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/v1/mcp',
    ]);
    expect(metadata.document).toEqual({
      resource: 'https://api.example/v1/mcp',
      authorization_servers: ['https://idp.example'],
      bearer_methods_supported: ['header'],
    });
  });

  it('§3.1: a resource without a path has one location', () => {
    const metadata = createResourceMetadata({ resource: 'https://api.example' }, context);
    expect(metadata.url).toBe('https://api.example/.well-known/oauth-protected-resource');
    expect(metadata.paths).toEqual(['/.well-known/oauth-protected-resource']);
    expect(metadata.document.resource).toBe('https://api.example');
  });

  it('§2: DPoP algorithms are published when sender-constrained tokens are accepted', () => {
    const metadata = createResourceMetadata(
      { resource: 'https://api.example' },
      { ...context, dpopAlgorithms: ['ES256'] },
    );
    expect(metadata.document.dpop_signing_alg_values_supported).toEqual(['ES256']);
  });

  it('§2 / RFC 8705 §3.3: DPoP-only and certificate-bound tokens are published from the guard options', () => {
    const { resourceMetadata } = normalizeOptions({
      issuer: 'https://idp.example',
      jwt: { audience: 'api' },
      dpop: { mode: 'required', algorithms: ['ES256', 'EdDSA'] },
      mtls: { certificateFrom: 'socket' },
      resourceMetadata: { resource: 'https://api.example' },
      logger: { warn() {}, error() {} },
    });
    expect(resourceMetadata?.document).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: true,
      tls_client_certificate_bound_access_tokens: true,
    });
    const plain = createResourceMetadata({ resource: 'https://api.example' }, context);
    expect(Object.keys(plain.document)).not.toContain('dpop_bound_access_tokens_required');
    expect(Object.keys(plain.document)).not.toContain('tls_client_certificate_bound_access_tokens');
  });

  it.each([
    [{}, 'resourceMetadata.resource'],
    [{ resource: 'http://api.example' }, 'resourceMetadata.resource'],
    [{ resource: 'https://api.example/#x' }, 'resourceMetadata.resource'],
    [{ resource: 'https://api.example/?a=1' }, 'resourceMetadata.resource'],
    [
      { resource: 'https://api.example', authorizationServers: ['nope'] },
      'resourceMetadata.authorizationServers[0]',
    ],
    [
      { resource: 'https://api.example', scopesSupported: ['a b'] },
      'resourceMetadata.scopesSupported',
    ],
    [
      { resource: 'https://api.example', extra: { resource: 'https://other' } },
      'resourceMetadata.extra.resource',
    ],
    [{ resource: 'https://api.example', typo: 1 }, 'resourceMetadata.typo'],
  ])('%j is refused naming %s', (value, option) => {
    expect(optionOf(() => createResourceMetadata(value, context))).toBe(option);
  });

  it('extra members that are not JSON are refused', () => {
    expect(
      optionOf(() =>
        createResourceMetadata({ resource: 'https://api.example', extra: { big: 1n } }, context),
      ),
    ).toBe('resourceMetadata.extra');
  });

  it('serves GET and HEAD at its paths only', () => {
    const metadata = createResourceMetadata({ resource: 'https://api.example/mcp' }, context);
    const answer = serveResourceMetadata(
      metadata,
      'GET',
      '/.well-known/oauth-protected-resource/mcp?x',
    );
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer?.body ?? '')).toEqual(metadata.document);
    expect(
      serveResourceMetadata(metadata, 'HEAD', '/.well-known/oauth-protected-resource'),
    ).toBeDefined();
    expect(
      serveResourceMetadata(metadata, 'POST', '/.well-known/oauth-protected-resource'),
    ).toBeUndefined();
    expect(
      serveResourceMetadata(metadata, 'GET', '/.well-known/oauth-protected-resource/other'),
    ).toBeUndefined();
    expect(
      serveResourceMetadata(undefined, 'GET', '/.well-known/oauth-protected-resource'),
    ).toBeUndefined();
  });

  it('§5.1: the challenge carries resource_metadata, quoted and escaped', () => {
    expect(buildChallenge({ realm: 'api', resourceMetadata: 'https://a.example/x"y' })).toBe(
      'Bearer realm="api", resource_metadata="https://a.example/x\\"y"',
    );
  });
});
