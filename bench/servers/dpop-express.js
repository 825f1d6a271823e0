// @ts-check
/**
 * The server of bench/dpop.js: one Express app, two guarded routes on the same framework copy.
 * `/` is tokenguard (local JWTs, DPoP allowed); `/hw` is the hand-written floor: the token's
 * verdict from an lru-cache keyed by the raw token (verified once with node:crypto), and for
 * `Authorization: DPoP` the hand-written proof check of bench/lib/handwritten.js. Gets the
 * issuer over IPC, answers its port, its CPU time on request ('cpu'), and the CPU cost of one
 * bare node:crypto ES256 verification measured in this process ('es256').
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { createServer } from 'node:http';
import { tokenGuard } from '@tokenguard/express';
import express from 'express';
import { dpopProofCheck, handwrittenCheck, Refusal } from '../lib/handwritten.js';

/** µs of CPU per bare ES256 verification of a proof-sized input, median of 5 batches. */
function bareEs256Micros() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = Buffer.alloc(420, 97);
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const batches = [];
  for (let b = 0; b < 5; b++) {
    const start = process.cpuUsage();
    for (let i = 0; i < 200; i++) {
      verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    }
    const used = process.cpuUsage(start);
    batches.push((used.user + used.system) / 200);
  }
  return batches.sort((a, b) => a - b)[2];
}

process.once('message', (/** @type {any} */ config) => {
  const app = express();
  const guard = tokenGuard({
    jwt: { issuer: config.issuer, audience: 'api', jwksUri: config.jwksUri },
    allowInsecureHttp: true,
    dpop: 'allowed',
  });
  app.get('/', guard, (_req, res) => {
    res.json({ ok: true });
  });
  const bearer = handwrittenCheck({
    kind: 'jwt',
    cache: true,
    publicKeyPem: config.publicKeyPem,
    issuer: config.issuer,
    audience: 'api',
  });
  const proofCheck = dpopProofCheck();
  app.get(
    '/hw',
    (req, res, next) => {
      try {
        const authorization = req.headers.authorization ?? '';
        if (/^dpop /i.test(authorization)) {
          proofCheck(
            /** @type {string | undefined} */ (req.headers.dpop),
            req.method,
            `http://${req.headers.host}${req.path}`,
          );
          bearer(`Bearer ${authorization.slice(5)}`);
        } else {
          bearer(authorization);
        }
        next();
      } catch (r) {
        const refusal =
          r instanceof Refusal
            ? r
            : new Refusal(401, {}, { error: 'invalid_token', error_description: 'refused' });
        res.status(refusal.status).set(refusal.headers).json(refusal.body);
      }
    },
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  const server = createServer(app);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.(user + system);
    } else if (message === 'es256') {
      process.send?.(bareEs256Micros());
    }
  });
});
