// app.test.ts
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from './app.js';

let idp: IdentityServer;
let orders: ReturnType<typeof createApp>;

beforeAll(async () => {
  idp = await createIdentityServer(); // a real server on 127.0.0.1, a free port
  orders = createApp({
    issuer: idp.issuer, // metadata, JWKS and introspection endpoint by discovery
    jwt: { audience: 'api' }, // the audience idp.mintJwt() uses by default
    introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
    allowInsecureHttp: true, // the test server speaks plain http on loopback
  });
});

afterAll(async () => {
  await orders.close();
  await idp.close();
});

it('lets a JWT with the scope in', async () => {
  const token = await idp.mintJwt({ sub: 'alice', scope: 'orders:read' });
  await request(orders.app)
    .get('/orders')
    .set('Authorization', `Bearer ${token}`)
    .expect(200, { user: 'alice' });
});

it('answers 403 without the scope', async () => {
  const token = await idp.mintJwt({ scope: 'profile' });
  const res = await request(orders.app).get('/orders').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(403);
});

it('answers 401 for an expired or revoked token', async () => {
  const expired = await idp.mintBadJwt('expired');
  await request(orders.app).get('/orders').set('Authorization', `Bearer ${expired}`).expect(401);
  const revoked = idp.mintToken({ scope: 'orders:read' }); // opaque: checked by introspection
  idp.revoke(revoked);
  await request(orders.app).get('/orders').set('Authorization', `Bearer ${revoked}`).expect(401);
});

it('answers 503 when the identity service fails', async () => {
  const token = idp.mintToken({ scope: 'orders:read' });
  idp.injectFault('introspect', { kind: 'status', status: 500 }, 1);
  await request(orders.app).get('/orders').set('Authorization', `Bearer ${token}`).expect(503);
});
