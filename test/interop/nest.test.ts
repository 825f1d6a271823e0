/**
 * The interop suite against oidc-provider, for NestJS 12 on Fastify (the conformance suite's
 * full run is on Express for Nest 12; the identity provider does not care which).
 */

import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { GuardOptions } from '@tokenguard/core';
import { Auth, type AuthContext, TokenGuardModule } from '@tokenguard/nestjs';
import { type InteropHarness, runInteropSuite, summarizeAuth } from './run-interop-suite.js';
import { runMultiIssuerInterop } from './run-multi-issuer-interop.js';

@Controller()
class WhoAmI {
  @Get('whoami')
  whoami(@Auth() auth: AuthContext | undefined) {
    return summarizeAuth(auth);
  }
}

function nestInterop(platform: 'express' | 'fastify'): InteropHarness {
  return {
    name: `Nest 12 on ${platform}`,
    async start(options: GuardOptions) {
      @Module({ imports: [TokenGuardModule.forRoot(options)], controllers: [WhoAmI] })
      class App {}
      const app: INestApplication = await NestFactory.create(
        App,
        platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
        { logger: false, abortOnError: false },
      );
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as { port: number };
      // The module closes the guard it built when the app closes.
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    },
  };
}

runInteropSuite(nestInterop('fastify'));
runMultiIssuerInterop(nestInterop('fastify'));
