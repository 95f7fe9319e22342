/**
 * The API Gateway REST API (v1) Lambda proxy integration shapes, reduced to the fields the query
 * API reads and writes. API Gateway sends more; the local HTTP server builds exactly these.
 * (`@types/aws-lambda` is not a dependency; these follow its `APIGatewayProxyEvent` and
 * `APIGatewayProxyResult` names and field types.)
 */

/** The caller's identity as API Gateway sees it; with IAM auth `userArn` is the principal. */
export interface ApiGatewayIdentity {
  readonly userArn?: string | null;
  readonly sourceIp?: string | null;
  readonly [key: string]: unknown;
}

/** `requestContext` of a REST API proxy event. */
export interface ApiGatewayRequestContext {
  /** API Gateway's id of the request; answered as `x-request-id`. */
  readonly requestId?: string;
  /** The resource template matched, e.g. `/plans/{id}`. */
  readonly resourcePath?: string;
  readonly httpMethod?: string;
  /** The path as called, with the stage or base path in front, e.g. `/prod/plans`. */
  readonly path?: string;
  readonly stage?: string;
  readonly identity?: ApiGatewayIdentity | null;
  readonly [key: string]: unknown;
}

/** A REST API (v1) Lambda proxy event. */
export interface ApiGatewayProxyEvent {
  readonly httpMethod: string;
  /** The path without the stage, e.g. `/plans/01J…`. */
  readonly path: string;
  /** The resource template, e.g. `/plans/{id}`. */
  readonly resource?: string;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueQueryStringParameters?: Readonly<
    Record<string, readonly string[] | undefined>
  > | null;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: ApiGatewayRequestContext;
}

/** A REST API (v1) Lambda proxy result. */
export interface ApiGatewayProxyResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}
