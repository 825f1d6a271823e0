/**
 * The README's recipe, as printed: a Nest app under `@nestjs/testing` behind the real guard,
 * against `@tokenguard/testing`'s identity server on loopback, driven with supertest.
 */
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth,
  type AuthContext,
  RequireScopes,
  TOKEN_GUARD,
  type TokenGuard,
  TokenGuardModule,
} from '../src/index.js';

@Controller('orders')
class OrdersController {
  @Get()
  @RequireScopes('orders:read')
  list(@Auth() auth: AuthContext) {
    return { user: auth.claims.sub };
  }
}

describe('recipe: @nestjs/testing with @tokenguard/testing', () => {
  let idp: IdentityServer;
  let app: INestApplication;

  beforeAll(async () => {
    idp = await createIdentityServer();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TokenGuardModule.forRoot({
          issuer: idp.issuer, // discovery finds the introspection endpoint and the JWKS
          allowInsecureHttp: true, // the test server is plain http on loopback
          introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
        }),
      ],
      controllers: [OrdersController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close(); // closes the guard too
    await idp.close();
  });

  it('an opaque token with the scope → 200 with its subject', async () => {
    const token = idp.mintToken({ sub: 'alice', scope: 'orders:read' });
    const answer = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${token}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ user: 'alice' });
  });

  it('a JWT from the same server is verified locally', async () => {
    const jwt = await idp.mintJwt({ sub: 'bob', scope: 'orders:read' });
    const answer = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${jwt}`);
    expect(answer.body).toEqual({ user: 'bob' });
  });

  it('no token → 401 with the RFC 6750 challenge; a missing scope → 403', async () => {
    const none = await request(app.getHttpServer()).get('/orders');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
    const token = idp.mintToken({ scope: 'profile' });
    const refused = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${token}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_scope');
  });

  it('the guard is in the testing module for assertions on its counters', () => {
    const guard = app.get<TokenGuard>(TOKEN_GUARD);
    expect(guard.metrics().upstreamCalls).toBeGreaterThan(0);
  });
});
