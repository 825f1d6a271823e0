// What a partial Fastify snippet may use without declaring it (top-level await included).
declare const app: import('fastify').FastifyInstance;
declare const tokenGuard: typeof import('@tokenguard/fastify').tokenGuard;
declare const sharedSignalsReceiver: typeof import('@tokenguard/fastify').sharedSignalsReceiver;
declare const clientId: string;
declare const clientSecret: string;
declare const issuer: string;
declare const jwksUri: string;
declare const audience: string;
