/**
 * SigV4 signing of query API requests (API Gateway with AWS_IAM authorization, service
 * `execute-api`), with the standard credential chain (environment, SSO, profiles, instance or
 * container roles) unless credentials are given.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequestToSign, RequestSigner } from '#core/client/http-client';

/** Credentials, or a provider of them, as the signer takes them. */
export type SigV4Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** Options of {@link sigV4Signer}. */
export interface SigV4SignerOptions {
  /** The API's region, e.g. `eu-west-1` (see {@link regionOfApiUrl}). */
  readonly region: string;
  /** @default the standard credential chain (`@aws-sdk/credential-provider-node`) */
  readonly credentials?: SigV4Credentials;
  /** @default 'execute-api' */
  readonly service?: string;
  /** The signing time. @default now */
  readonly clock?: () => Date;
}

/** SHA-256 and HMAC-SHA-256 over node:crypto, in the shape the signer takes. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', toBuffer(this.secret));
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * The region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com/…`), or
 * undefined for another host (a custom domain, the local server).
 * @example
 * regionOfApiUrl('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/'); // 'eu-west-1'
 */
export function regionOfApiUrl(url: string): string | undefined {
  try {
    return /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(
      new URL(url).hostname,
    )?.[1];
  } catch {
    return undefined;
  }
}

/**
 * A {@link RequestSigner} that signs with SigV4 for `execute-api` in `region`: the
 * `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256` (and with temporary credentials
 * `X-Amz-Security-Token`) headers over the method, path, query, host and body.
 * @example
 * const signer = sigV4Signer({ region: 'eu-west-1' });
 * const client = new ThermoclineHttpClient({ baseUrl, signer });
 */
export function sigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
    applyChecksum: true,
  });
  return {
    async sign(request: HttpRequestToSign): Promise<Record<string, string>> {
      const query: Record<string, string> = {};
      for (const [key, value] of request.url.searchParams) query[key] = value;
      const signed = await signer.sign(
        {
          method: request.method,
          protocol: request.url.protocol,
          hostname: request.url.hostname,
          ...(request.url.port ? { port: Number(request.url.port) } : {}),
          path: request.url.pathname,
          query,
          headers: { ...request.headers, host: request.url.host },
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        options.clock ? { signingDate: options.clock() } : {},
      );
      return { ...signed.headers };
    },
  };
}
