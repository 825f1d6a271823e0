// @ts-check
/**
 * Fastify scenario server. BENCH_CONFIG.auth: `none` (baseline), `tokenguard` or
 * `fastify-jwt` (@fastify/jwt with the identity server's RS256 public key, verified in an
 * onRequest hook as its README shows) or `handwritten` (lib/handwritten.js, in an onRequest hook).
 */
import Fastify from 'fastify';
import { announce, listenPort, readConfig } from '../lib/child.js';

const config = readConfig();
const app = Fastify({ logger: false });

/** @type {(request: any) => unknown} */
let subOf = () => 'anonymous';

switch (config.auth) {
  case 'none':
    break;
  case 'tokenguard': {
    const { tokenGuard } = await import('@tokenguard/fastify');
    await app.register(tokenGuard, config.options);
    subOf = (request) => request.auth.claims.sub;
    break;
  }
  case 'fastify-jwt': {
    const { default: fastifyJwt } = await import('@fastify/jwt');
    await app.register(fastifyJwt, {
      secret: { public: config.publicKeyPem },
      verify: { allowedIss: config.issuer, allowedAud: 'api', algorithms: ['RS256'] },
    });
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify();
    });
    subOf = (request) => request.user.sub;
    break;
  }
  case 'handwritten': {
    const { handwrittenCheck } = await import('../lib/handwritten.js');
    const check = handwrittenCheck(config);
    /** @type {(reply: import('fastify').FastifyReply, r: any) => void} */
    const refuse = (reply, r) => void reply.code(r.status).headers(r.headers).send(r.body);
    app.decorateRequest('auth', null);
    app.addHook('onRequest', (request, reply, done) => {
      let got;
      try {
        got = check(request.headers.authorization);
      } catch (r) {
        return refuse(reply, r);
      }
      if (!(got instanceof Promise)) {
        /** @type {any} */ (request).auth = got;
        return done();
      }
      got.then(
        (claims) => {
          /** @type {any} */ (request).auth = claims;
          done();
        },
        (r) => refuse(reply, r),
      );
    });
    subOf = (request) => request.auth.sub;
    break;
  }
  default:
    throw new Error(`unknown auth ${config.auth}`);
}

app.get('/', async (request) => ({ hello: 'world', sub: subOf(request) }));

await app.listen({ port: listenPort(), host: '127.0.0.1' });
const address = /** @type {import('node:net').AddressInfo} */ (app.server.address());
announce(address.port, () => app.close());
