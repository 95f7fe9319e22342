/**
 * The API Gateway REST API (v1) Lambda proxy integration shapes, from `@types/aws-lambda`
 * (`APIGatewayProxyEvent`, `APIGatewayProxyResult`), with only `httpMethod` and `path` required:
 * API Gateway sends every field, the local HTTP server builds the ones the query API reads, and
 * tests build fewer.
 */
import type {
  APIGatewayEventIdentity,
  APIGatewayEventRequestContext,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
} from 'aws-lambda';

/** The caller's identity as API Gateway sees it; with IAM auth `userArn` is the principal. */
export type ApiGatewayIdentity = Partial<APIGatewayEventIdentity>;

/** `requestContext` of a REST API proxy event (`requestId` is answered as `x-request-id`). */
export type ApiGatewayRequestContext = Partial<Omit<APIGatewayEventRequestContext, 'identity'>> & {
  readonly identity?: ApiGatewayIdentity | null;
};

/** A REST API (v1) Lambda proxy event: `path` is without the stage, e.g. `/plans/01J…`. */
export type ApiGatewayProxyEvent = Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'> &
  Partial<Omit<APIGatewayProxyEvent, 'httpMethod' | 'path' | 'requestContext'>> & {
    readonly requestContext?: ApiGatewayRequestContext;
  };

/** A REST API (v1) Lambda proxy result: the query API always sends string headers. */
export type ApiGatewayProxyResult = APIGatewayProxyResult & {
  readonly headers: Readonly<Record<string, string>>;
};
