// The credentials a client-authentication snippet names.
declare const clientId: string;
declare const clientSecret: string;
declare const privateKey: string;
declare function readIntrospectionToken(): Promise<string>;
