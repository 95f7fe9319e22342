// Types for s3rver 3 (it ships none): the parts the tests' S3 server uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    /** Interface to listen on. @default 'localhost' */
    address?: string;
    /** Port; 0 picks a free one. @default 4568 */
    port?: number;
    /** No request log on the console. @default false */
    silent?: boolean;
    /** Where buckets and objects are stored. @default os.tmpdir()/s3rver */
    directory?: string;
    /** Removes every bucket when the server closes. @default false */
    resetOnClose?: boolean;
    /** Virtual-host addressing (`bucket.host`) besides path style. @default true */
    vhostBuckets?: boolean;
    /** Buckets created at start. */
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  type Middleware = (ctx: unknown, next: () => Promise<void>) => Promise<void> | void;

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Starts the HTTP server; resolves to the address it listens on. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Adds a Koa middleware in front of those added later (s3rver extends Koa). */
    use(middleware: Middleware): this;
    /** The Koa request handler. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** Koa's middleware stack (the router is its last entry). */
    middleware: Middleware[];
    reset(): void;
  }
  export default S3rver;
}

// s3rver's object model: what its file-system store's putObject takes.
declare module 's3rver/lib/models/object.js' {
  class S3Object {
    constructor(bucket: string, key: string, content: Buffer, metadata: Record<string, string>);
  }
  export = S3Object;
}
