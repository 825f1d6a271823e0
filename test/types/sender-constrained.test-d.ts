/**
 * The sender-constrained surface (RFC 9449 DPoP, RFC 8705 mTLS) is the same in every
 * adapter: `requireDpop` as route middleware of that framework, the option and error types
 * from the one re-export list.
 */
import * as express from '@tokenguard/express';
import * as fastify from '@tokenguard/fastify';
import * as hono from '@tokenguard/hono';
import * as koa from '@tokenguard/koa';
import type { RequestHandler } from 'express';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { MiddlewareHandler } from 'hono';
import type Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

describe('sender-constrained types in every adapter', () => {
  it('requireDpop() and requireDpop("disabled") are route middleware of each framework', () => {
    expectTypeOf(express.requireDpop()).toExtend<RequestHandler>();
    expectTypeOf(koa.requireDpop('disabled')).toEqualTypeOf<Koa.Middleware>();
    expectTypeOf(fastify.requireDpop()).toEqualTypeOf<preHandlerAsyncHookHandler>();
    expectTypeOf(hono.requireDpop('disabled')).toEqualTypeOf<MiddlewareHandler>();
    // @ts-expect-error a route narrows the guard's mode: 'allowed' is the guard's to set
    hono.requireDpop('allowed');
  });

  it('the dpop and mtls options, the binding and the errors come from the adapter', () => {
    expectTypeOf<express.GuardOptions['dpop']>().toEqualTypeOf<express.DpopOption | undefined>();
    expectTypeOf<hono.DpopOptions['mode']>().toEqualTypeOf<'disabled' | 'allowed' | 'required'>();
    expectTypeOf<koa.GuardOptions['mtls']>().toEqualTypeOf<koa.MtlsOptions | undefined>();
    expectTypeOf<fastify.AuthContext['binding']>().toEqualTypeOf<'dpop' | 'mtls' | undefined>();
    expectTypeOf(new hono.UseDpopNonceError('n').nonce).toEqualTypeOf<string>();
    expectTypeOf(new express.InvalidDpopProofError()).toExtend<express.TokenGuardError>();
    const trusted: koa.MtlsOptions = {
      certificateFrom: { header: 'client-cert', trustedProxies: ['10.0.0.1'] },
    };
    expectTypeOf(trusted).toExtend<fastify.MtlsOptions>();
    // @ts-expect-error the proof algorithms are a list
    const bad: hono.DpopOptions = { mode: 'allowed', algorithms: 'ES256' };
    expectTypeOf(bad).toExtend<hono.DpopOptions>();
  });
});
