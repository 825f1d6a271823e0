// A shared-tier snippet's surroundings: the app's logger and server, the guard, the store and
// its client, and the HMAC key read from the environment (checked) as many-instances.md shows.
declare const logger: { warn(detail: object, message: string): void };
declare const createRedisStore: typeof import('@tokenguard/redis').createRedisStore;
declare const server: import('node:http').Server;
declare const middleware: import('@tokenguard/express').TokenGuardMiddleware;
declare const store: import('@tokenguard/redis').RedisStore;
declare const client: { close(): Promise<void> };
declare const hmacKey: string;
