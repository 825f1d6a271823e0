// The demo: a local identity server, the five example apps, and a walk through the cases.
// `node examples/demo.js` prints a table and exits 0 when every answer is the expected one;
// `--serve` keeps everything running and prints curl lines to try.
import { createIdentityServer } from '@tokenguard/testing';
import { createExpressApp } from './express-app.js';
import { createFastifyApp } from './fastify-app.js';
import { createHonoApp } from './hono-app.js';
import { createKoaApp } from './koa-app.js';
import { createNestApp } from './nest-app.js';

const serve = process.argv.includes('--serve');
const idp = await createIdentityServer();

// As a real deployment would: the apps obtain their own token with client_credentials and
// find every endpoint through discovery of the issuer's metadata.
const guardOptions = {
  issuer: idp.issuer,
  introspection: {
    clientAuth: { method: 'client_credentials', ...idp.defaultClient },
  },
  http: { timeoutMs: 1000 },
  cache: { maxTtlMs: 300 },
  allowInsecureHttp: true,
  logger: { warn() {}, error() {} },
};

const apps = [];
for (const [name, create] of [
  ['Express', createExpressApp],
  ['Koa', createKoaApp],
  ['Fastify', createFastifyApp],
  ['Hono', createHonoApp],
  ['Nest', createNestApp],
]) {
  const { app, guard } = await create(guardOptions);
  const url = await listen(name, app);
  apps.push({ name, url, guard, app });
}

const tokens = {
  reader: idp.mintToken({ sub: 'alice', scope: 'profile orders:read', brand: 'acme' }),
  noScope: idp.mintToken({ sub: 'bob', scope: 'profile', brand: 'acme' }),
  otherBrand: idp.mintToken({ sub: 'carol', scope: 'orders:read', brand: 'globex' }),
};

if (serve) {
  console.log(`identity server: ${idp.issuer}`);
  for (const { name, url } of apps) console.log(`${name.padEnd(8)} ${url}`);
  console.log('\nTry:');
  console.log(`curl -i ${apps[0].url}/profile`);
  console.log(`curl -i -H 'Authorization: Bearer ${tokens.reader}' ${apps[0].url}/orders`);
  console.log(`curl -i -H 'Authorization: Bearer ${tokens.noScope}' ${apps[1].url}/orders`);
  console.log(`curl -i -H 'Authorization: Bearer ${tokens.otherBrand}' ${apps[2].url}/orders`);
  console.log('\nCtrl-C to stop.');
} else {
  const cases = [
    { label: 'GET /profile, no token', path: '/profile', expect: 401 },
    {
      label: 'GET /profile, valid token',
      path: '/profile',
      token: () => tokens.reader,
      expect: 200,
    },
    {
      label: 'GET /orders, token without orders:read',
      path: '/orders',
      token: () => tokens.noScope,
      expect: 403,
    },
    {
      label: 'GET /orders, token of brand globex',
      path: '/orders',
      token: () => tokens.otherBrand,
      expect: 403,
    },
    { label: 'GET /orders, valid token', path: '/orders', token: () => tokens.reader, expect: 200 },
    {
      label: 'GET /profile, malformed header',
      path: '/profile',
      header: 'Bearer a b',
      expect: 400,
    },
    {
      label: 'GET /profile, revoked token (after cache TTL)',
      path: '/profile',
      revoked: true,
      expect: 401,
    },
    { label: 'GET /profile, identity server down', path: '/profile', down: true, expect: 503 },
  ];
  const rows = [];
  let failures = 0;
  for (const c of cases) {
    const cells = [];
    for (const app of apps) {
      const { status, detail } = await runCase(c, app);
      if (status !== c.expect) failures++;
      cells.push(`${status}${status === c.expect ? '' : ` ✗ (expected ${c.expect})`}${detail}`);
    }
    rows.push([c.label, ...cells]);
  }
  printTable(['request', ...apps.map((a) => a.name)], rows);
  console.log(
    `\nidentity server calls: introspect ${idp.calls.introspect}, token ${idp.calls.token}, metadata ${idp.calls.oauthMetadata}`,
  );
  for (const { name, guard } of apps) {
    const m = guard.metrics();
    console.log(
      `${name.padEnd(8)} cache hits ${m.cacheHits}, misses ${m.cacheMisses}, upstream calls ${m.upstreamCalls}, token endpoint calls ${m.tokenEndpointCalls}`,
    );
  }
  await shutdown();
  console.log(failures === 0 ? '\nAll answers as expected.' : `\n${failures} unexpected answers.`);
  process.exit(failures === 0 ? 0 : 1);
}

async function runCase(c, app) {
  let token = c.token?.();
  if (c.revoked) {
    token = idp.mintToken({ sub: 'dave', scope: 'profile', brand: 'acme' });
    const before = await request(app.url + c.path, `Bearer ${token}`);
    idp.revoke(token);
    await new Promise((r) => setTimeout(r, 400)); // past cache.maxTtlMs
    const after = await request(app.url + c.path, `Bearer ${token}`);
    return { status: after.status, detail: `${await describe(after)} (was ${before.status})` };
  }
  if (c.down) {
    token = idp.mintToken({ sub: 'erin', brand: 'acme' });
    idp.injectFault('introspect', { kind: 'reset' });
    const response = await request(app.url + c.path, `Bearer ${token}`);
    idp.clearFaults();
    return { status: response.status, detail: await describe(response) };
  }
  const header = c.header ?? (token === undefined ? undefined : `Bearer ${token}`);
  const response = await request(app.url + c.path, header);
  return { status: response.status, detail: await describe(response) };
}

/** The body's `error` code for a refusal, the subject for a success. */
async function describe(response) {
  const body = await response.json().catch(() => ({}));
  return response.status === 200 ? ` sub=${body.sub ?? body.for}` : ` ${body.error ?? ''}`;
}

function request(url, authorization) {
  return fetch(url, { headers: authorization === undefined ? {} : { authorization } });
}

async function listen(name, app) {
  if (name === 'Fastify') {
    return app.listen({ port: 0, host: '127.0.0.1' });
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  app.server = server;
  return `http://127.0.0.1:${server.address().port}`;
}

async function shutdown() {
  for (const { name, app, guard } of apps) {
    if (name === 'Fastify') await app.close();
    else {
      app.server.closeAllConnections?.();
      await new Promise((resolve) => app.server.close(resolve));
      await guard.close();
    }
  }
  await idp.close();
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

process.on('SIGINT', async () => {
  await shutdown();
  process.exit(0);
});
