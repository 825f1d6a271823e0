// @ts-check
/**
 * Express scenario server. BENCH_CONFIG.auth chooses what guards `GET /`:
 * `none` (baseline), `tokenguard`, `auth0` (express-oauth2-jwt-bearer), `express-jwt`
 * (with jwks-rsa) or `handwritten` (lib/handwritten.js). Imports are dynamic so that a
 * baseline runs even when the other libraries are not built.
 */
import express from 'express';
import { announce, listenPort, readConfig } from '../lib/child.js';

const config = readConfig();
const app = express();

/** @type {(req: any) => unknown} */
let subOf = () => 'anonymous';

switch (config.auth) {
  case 'none':
    break;
  case 'tokenguard': {
    const { tokenGuard } = await import('@tokenguard/express');
    app.use(tokenGuard(config.options));
    subOf = (req) => req.auth.claims.sub;
    break;
  }
  case 'auth0': {
    const { auth } = await import('express-oauth2-jwt-bearer');
    app.use(
      auth({
        issuer: config.issuer,
        jwksUri: config.jwksUri,
        audience: 'api',
        tokenSigningAlg: 'RS256',
      }),
    );
    subOf = (req) => req.auth.payload.sub;
    break;
  }
  case 'express-jwt': {
    const { expressjwt } = await import('express-jwt');
    const { default: jwksRsa } = await import('jwks-rsa');
    app.use(
      expressjwt({
        secret: /** @type {any} */ (
          jwksRsa.expressJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true })
        ),
        audience: 'api',
        issuer: config.issuer,
        algorithms: ['RS256'],
      }),
    );
    subOf = (req) => req.auth.sub;
    break;
  }
  case 'handwritten': {
    const { handwrittenCheck } = await import('../lib/handwritten.js');
    const check = handwrittenCheck(config);
    /** @type {(res: import('express').Response, r: any) => void} */
    const refuse = (res, r) => void res.status(r.status).set(r.headers).json(r.body);
    app.use((req, res, next) => {
      let got;
      try {
        got = check(req.headers.authorization);
      } catch (r) {
        return refuse(res, r);
      }
      if (!(got instanceof Promise)) {
        /** @type {any} */ (req).auth = got;
        return next();
      }
      got.then(
        (claims) => {
          /** @type {any} */ (req).auth = claims;
          next();
        },
        (r) => refuse(res, r),
      );
    });
    subOf = (req) => req.auth.sub;
    break;
  }
  default:
    throw new Error(`unknown auth ${config.auth}`);
}

app.get('/', (req, res) => {
  res.json({ hello: 'world', sub: subOf(req) });
});

// The peers throw their errors into Express; answer them as a user would (status + JSON).
app.use(
  /** @type {import('express').ErrorRequestHandler} */ (
    (err, _req, res, _next) => {
      const status = err.status ?? err.statusCode ?? 500;
      if (err.headers) res.set(err.headers);
      res.status(status).json({ error: err.code ?? 'error' });
    }
  ),
);

const server = app.listen(listenPort(), '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  announce(address.port, () => new Promise((resolve) => server.close(() => resolve())));
});
