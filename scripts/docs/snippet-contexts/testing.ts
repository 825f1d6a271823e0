// A test file's surroundings: the local identity server and the app factory of app.ts.
declare const idp: import('@tokenguard/testing').IdentityServer;
declare function createApp(options: import('@tokenguard/express').GuardOptions): {
  app: import('express').Express;
  close(): Promise<void>;
};
