// app.ts
import { type GuardOptions, requireScopes, tokenGuard } from '@tokenguard/express';
import express, { type Express } from 'express';

export function createApp(guardOptions: GuardOptions): { app: Express; close(): Promise<void> } {
  const guard = tokenGuard(guardOptions);
  const app = express();
  app.use(guard);
  app.get('/orders', requireScopes('orders:read'), (req, res) => {
    res.json({ user: req.auth?.claims.sub });
  });
  return { app, close: () => guard.guard.close() };
}
