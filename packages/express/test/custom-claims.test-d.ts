/**
 * Custom claims are typed by augmenting `TokenClaims` (README "Custom claims"): the
 * augmentation reaches `req.auth.claims` in handlers and the claims predicate of route helpers.
 */
import express from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { type AuthContext, requireClaims, type TokenClaims } from '../src/index.js';

declare module '@tokenguard/core' {
  interface TokenClaims {
    /** The tenant the token was issued for (a custom claim of the identity service). */
    readonly tenant_id?: string;
    /** Application roles. */
    readonly roles?: readonly string[];
  }
}

describe('custom claims by augmenting TokenClaims', () => {
  it('augmented claims have their declared types', () => {
    expectTypeOf<TokenClaims['tenant_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TokenClaims['roles']>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<AuthContext['claims']['tenant_id']>().toEqualTypeOf<string | undefined>();
  });

  it('the standard claims keep their types', () => {
    expectTypeOf<TokenClaims['sub']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TokenClaims['active']>().toEqualTypeOf<true>();
  });

  it('claims that were not declared stay unknown, so they must be checked before use', () => {
    expectTypeOf<TokenClaims['not_declared']>().toEqualTypeOf<unknown>();
  });

  it('handlers and predicates see the augmented claims', () => {
    express().get(
      '/reports',
      requireClaims((auth) => auth.claims.roles?.includes('auditor') === true),
      (req, res) => {
        expectTypeOf(req.auth?.claims.tenant_id).toEqualTypeOf<string | undefined>();
        // @ts-expect-error tenant_id is a string, not a number
        const wrong: number | undefined = req.auth?.claims.tenant_id;
        res.json({ tenant: req.auth?.claims.tenant_id, wrong });
      },
    );
  });
});
