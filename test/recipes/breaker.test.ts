// breaker.test.ts
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import request from 'supertest';
import { afterAll, beforeAll, it } from 'vitest';
import { createApp } from './app.js';

let idp: IdentityServer;
beforeAll(async () => {
  idp = await createIdentityServer();
});
afterAll(() => idp.close());

/** An app whose guard introspects at the test server; `breakerThreshold: 0` turns the breaker off. */
function ordersApp(breakerThreshold?: number) {
  return createApp({
    issuer: idp.issuer,
    introspection: {
      clientAuth: { method: 'bearer', token: idp.callerToken },
      ...(breakerThreshold === undefined ? {} : { breakerThreshold }),
    },
    allowInsecureHttp: true,
  });
}

async function faultTwentyTimes(orders: ReturnType<typeof createApp>) {
  idp.injectFault('introspect', { kind: 'status', status: 500 }, 20);
  for (let i = 0; i < 20; i++) {
    const token = idp.mintToken({ scope: 'orders:read' }); // a new token each time
    await request(orders.app).get('/orders').set('Authorization', `Bearer ${token}`).expect(503);
  }
}

it('opens after 20 faulted answers: a healthy token is answered 503 too', async () => {
  const orders = ordersApp();
  await faultTwentyTimes(orders);
  const healthy = idp.mintToken({ scope: 'orders:read' });
  await request(orders.app).get('/orders').set('Authorization', `Bearer ${healthy}`).expect(503);
  await orders.close();
});

it('stays closed with breakerThreshold: 0', async () => {
  const orders = ordersApp(0);
  await faultTwentyTimes(orders);
  const healthy = idp.mintToken({ scope: 'orders:read' });
  await request(orders.app).get('/orders').set('Authorization', `Bearer ${healthy}`).expect(200);
  await orders.close();
});
