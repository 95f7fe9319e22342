/**
 * The query API of one environment: API Gateway (IAM auth) in front of the query function, and
 * the plan state machine that runs long plans step by step.
 */
import { join, resolve } from 'node:path';
import { CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { requestModelSchema } from '#core/api/openapi';
import type { ThermoclineConfig } from '#core/config/schema';
import {
  functionEnvironment,
  type FunctionEnvironment,
} from '#core/contracts/function-environment';
import { PLAN_DEFINITION, PLAN_PLACEHOLDERS } from '#etl/state-machines/index';
import { acknowledgeWildcardResource, glueTablesArn } from './constructs/nag-acknowledgements';
import { addStateMachine } from './constructs/state-machines';
import { ThermoclineFunction } from './constructs/thermocline-function';
import type { DatabaseStack } from './database-stack';
import type { MonitoringStack } from './monitoring-stack';
import { functionConfigJson } from './pipeline-stack';
import type { DeployEnvironmentName, StorageStack } from './storage-stack';

/** The repository root, where `lambdas/` lives. */
const ROOT = resolve(__dirname, '..');

/** Where the query side keeps plans, archived results, the cost ledger and the cache in the lake. */
export const QUERY_RESULTS_PREFIX = '_query/';

/** The API's routes: method and resource path. */
export const QUERY_ROUTES = [
  ['POST', '/plans'],
  ['GET', '/plans/{id}'],
  ['POST', '/estimate'],
  ['GET', '/catalog'],
  ['GET', '/costs'],
  ['GET', '/openapi.json'],
] as const;

/** Properties of a {@link QueryStack}. */
export interface QueryStackProps extends StackProps {
  /** The environment: names the functions, state machine and API (`thermocline-<env>-…`). */
  readonly envName: DeployEnvironmentName;
  /** The resolved configuration, passed to the functions (`THERMOCLINE_CONFIG_JSON`). */
  readonly config: ThermoclineConfig;
  /** The lake, catalog and Athena workgroup the queries read. */
  readonly storage: StorageStack;
  /** The Aurora cluster the hot steps read through the Data API. */
  readonly database: DatabaseStack;
  /** The alert topic (the plan state machine's failures are reported in the plan, not alerted). */
  readonly monitoring: MonitoringStack;
  /**
   * How long the functions', the state machine's and the API's access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH - logs are deleted after 30 days
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Steady-state requests per second the API accepts (all callers together).
   * @default 20 - requests per second
   */
  readonly throttlingRatePerSec?: number;
  /**
   * Requests the API accepts in a burst above the steady rate.
   * @default 40 - requests
   */
  readonly throttlingBurst?: number;
}

/**
 * The query stack of one environment (`Thermocline-<env>-Query`):
 * - `ApiFunction` (`thermocline-<env>-query-api`, `lambdas/query-api.ts`): arm64, 1024 MiB,
 *   29 s (API Gateway's integration limit); validates, estimates and starts plans, answers
 *   within `query.wait_seconds` or with 202;
 * - `PlanStepFunction` (`thermocline-<env>-plan-step`, `lambdas/plan-step.ts`): runs one step of
 *   a plan (Athena, the Data API, a Parquet read), 15 min;
 * - `PlanStateMachine` (`thermocline-<env>-plan`): `etl/state-machines/plan.asl.json`;
 * - `Api` (`thermocline-<env>-query`): a REST API whose every method requires AWS_IAM (SigV4)
 *   authorization, with request validation of the JSON bodies, JSON access logs, execution logs,
 *   X-Ray tracing and stage throttling.
 * Least privilege: both functions may run Athena queries in the environment's workgroup (read the
 * lake and the catalog, no write), use the Data API on the cluster with its secret, and write
 * under the lake's `_query/` prefix only; the API function may also start the plan state machine.
 * @example
 * new QueryStack(app, 'Thermocline-dev-Query', { envName: 'dev', config, storage, database, monitoring });
 */
export class QueryStack extends Stack {
  /** The API's function. */
  readonly apiFunction: ThermoclineFunction;
  /** The plan state machine's function. */
  readonly planStepFunction: ThermoclineFunction;
  /** The plan state machine. */
  readonly planStateMachine: sfn.StateMachine;
  /** The REST API. */
  readonly api: apigateway.RestApi;
  /** The API's access log group. */
  readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: QueryStackProps) {
    super(scope, id, {
      description: `Thermocline ${props.envName}: query API, plan functions and state machine (stateless)`,
      ...props,
    });
    Tags.of(this).add('thermocline:environment', props.envName);
    const prefix = `thermocline-${props.envName}`;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const { storage, database } = props;
    const variables = {
      THERMOCLINE_CONFIG_JSON: functionConfigJson(props.config, props.envName),
      THERMOCLINE_ENVIRONMENT: props.envName,
      LAKE_BUCKET: storage.lakeBucket.bucketName,
      RESULTS_PREFIX: QUERY_RESULTS_PREFIX,
      GLUE_DATABASE: storage.glueDatabaseName,
      ATHENA_WORKGROUP: storage.workgroupName,
      DATABASE_RESOURCE_ARN: database.clusterArn,
      DATABASE_SECRET_ARN: database.secret.secretArn,
      DATABASE_NAME: database.databaseName,
    } satisfies FunctionEnvironment<'plan-step'>;

    // Outside the VPC: the functions reach Aurora through the Data API (HTTPS), like Athena.
    this.planStepFunction = this.addPlanStepFunction(prefix, logRetention, variables);
    this.planStateMachine = this.addPlanStateMachine(prefix, logRetention);
    this.apiFunction = this.addApiFunction(prefix, logRetention, variables);
    for (const fn of [this.apiFunction, this.planStepFunction]) {
      storage.grantQuery(fn);
      storage.grantLakePrefixReadWrite(fn, QUERY_RESULTS_PREFIX);
      database.grantDataApiAccess(fn);
    }

    this.accessLogGroup = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logRetention });
    this.api = this.addApi(prefix, props);
    this.addRoutes();
    this.addGatewayResponses();
    this.acknowledgeFindings(storage);

    new CfnOutput(this, 'ApiUrl', {
      description: 'The query API (SigV4-signed requests, e.g. awscurl --service execute-api).',
      value: this.api.url,
    });
    new CfnOutput(this, 'PlanStateMachineArn', {
      description: 'The plan state machine.',
      value: this.planStateMachine.stateMachineArn,
    });
  }

  /** `PlanStepFunction`: runs one step of a plan (Athena, the Data API, a Parquet read). */
  private addPlanStepFunction(
    prefix: string,
    logRetention: logs.RetentionDays,
    variables: FunctionEnvironment<'plan-step'>,
  ): ThermoclineFunction {
    return new ThermoclineFunction(this, 'PlanStepFunction', {
      logRetention,
      entry: join(ROOT, 'lambdas', 'plan-step.ts'),
      functionName: `${prefix}-plan-step`,
      description: 'Thermocline query plans: load, run one step, finish or fail a plan',
      timeoutSec: 900,
      memoryMiB: 1024,
      environment: functionEnvironment('plan-step', variables),
    });
  }

  /** `PlanStateMachine` over the plan-step function, which it may invoke. */
  private addPlanStateMachine(prefix: string, logRetention: logs.RetentionDays): sfn.StateMachine {
    const { stateMachine } = addStateMachine(this, 'PlanStateMachine', {
      stateMachineName: `${prefix}-plan`,
      definition: PLAN_DEFINITION,
      substitutions: {
        PlanStepFunctionArn: this.planStepFunction.function.functionArn,
      } satisfies Record<(typeof PLAN_PLACEHOLDERS)[number], string>,
      comment: 'Thermocline query plan (etl/state-machines/plan.asl.json)',
      logRetention,
    });
    this.planStepFunction.grantInvoke(stateMachine);
    return stateMachine;
  }

  /** `ApiFunction`: the API's handler, which may start the plan state machine. */
  private addApiFunction(
    prefix: string,
    logRetention: logs.RetentionDays,
    variables: FunctionEnvironment<'plan-step'>,
  ): ThermoclineFunction {
    const apiFunction = new ThermoclineFunction(this, 'ApiFunction', {
      logRetention,
      entry: join(ROOT, 'lambdas', 'query-api.ts'),
      functionName: `${prefix}-query-api`,
      description: 'Thermocline query API: plans, estimates, catalog, costs',
      timeoutSec: 29,
      memoryMiB: 1024,
      environment: functionEnvironment('query-api', {
        ...variables,
        PLAN_STATE_MACHINE_ARN: this.planStateMachine.stateMachineArn,
      }),
    });
    this.planStateMachine.grantStartExecution(apiFunction);
    return apiFunction;
  }

  /** `Api`: the REST API (AWS_IAM on every method), its stage logging to the access log group. */
  private addApi(prefix: string, props: QueryStackProps): apigateway.RestApi {
    return new apigateway.RestApi(this, 'Api', {
      restApiName: `${prefix}-query`,
      description: `Thermocline ${props.envName} query API (AWS_IAM): plans, estimates, catalog, costs`,
      cloudWatchRole: true,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRatePerSec ?? 20,
        throttlingBurstLimit: props.throttlingBurst ?? 40,
      },
    });
  }

  /** Errors API Gateway answers itself (auth, validation, throttling), in the handler's shape. */
  private addGatewayResponses(): void {
    for (const [id, type] of [
      ['Default4xx', apigateway.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigateway.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(id, {
        type,
        responseHeaders: { 'x-request-id': 'context.requestId' },
        templates: {
          'application/json':
            '{"error":{"code":"$context.error.responseType","message":$context.error.messageString,' +
            '"detail":"$util.escapeJavaScript($context.error.validationErrorString)"}}',
        },
      });
    }
  }

  /** The routes, each a proxy integration of the API function; JSON bodies validated first. */
  private addRoutes(): void {
    const integration = new apigateway.LambdaIntegration(this.apiFunction.function, {
      proxy: true,
    });
    const bodyValidator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'json-body',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The models are the request schemas of the OpenAPI document (`#core/api/openapi`),
    // converted to JSON Schema draft 4: one source for the API Gateway, the handler and clients.
    const planModel = this.api.addModel('PlanModel', {
      contentType: 'application/json',
      modelName: 'Plan',
      description: 'A query plan: 1 to 20 ordered steps (GET /openapi.json, PlanRequest).',
      schema: requestModelSchema('Plan') as apigateway.JsonSchema,
    });
    const estimateModel = this.api.addModel('EstimateModel', {
      contentType: 'application/json',
      modelName: 'Estimate',
      description: 'An estimate request: {sql} or {plan} (GET /openapi.json, EstimateRequest).',
      schema: requestModelSchema('Estimate') as apigateway.JsonSchema,
    });
    const validated = (model: apigateway.IModel): apigateway.MethodOptions => ({
      requestValidator: bodyValidator,
      requestModels: { 'application/json': model },
    });

    const plans = this.api.root.addResource('plans');
    plans.addMethod('POST', integration, validated(planModel));
    plans.addResource('{id}').addMethod('GET', integration, {
      requestValidator: bodyValidator,
      requestParameters: { 'method.request.path.id': true },
    });
    this.api.root.addResource('estimate').addMethod('POST', integration, validated(estimateModel));
    this.api.root.addResource('catalog').addMethod('GET', integration);
    this.api.root.addResource('openapi.json').addMethod('GET', integration);
    this.api.root.addResource('costs').addMethod('GET', integration, {
      requestValidator: bodyValidator,
      requestParameters: { 'method.request.querystring.month': false },
    });
  }

  /** The cdk-nag findings this stack accepts, each with its reason. */
  private acknowledgeFindings(storage: StorageStack): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL: every method requires SigV4-signed requests of IAM principals of this ' +
          'account (AWS_IAM), and the stage is throttled; a web ACL costs US$5+/month per ' +
          'environment for an API no anonymous client can call.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are IAM principals (services, roles, SSO users via their role), authorized with ' +
          'AWS_IAM on every method; there is no end-user pool to put behind Cognito.',
      },
    );
    const cloudWatchRole = this.api.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role: the AWS-managed policy is the documented way " +
        'to let API Gateway write execution logs, and it grants log writes only.',
    });

    for (const fn of [this.apiFunction, this.planStepFunction]) {
      for (const action of ['Abort*', 'DeleteObject*', 'GetBucket*', 'GetObject*', 'List*']) {
        Validations.of(fn.role).acknowledge({
          id: `AwsSolutions-IAM5[Action::s3:${action}]`,
          reason:
            `s3:${action} comes from the read grants on the lake and from read/write on the ` +
            "lake's _query/ prefix and the Athena results prefix only: queries read any table-day " +
            'and write plans, archived results, ledger and cache entries under _query/.',
        });
      }
      for (const resource of [
        `${storage.lakeBucket.bucketArn}/*`,
        `${storage.lakeBucket.bucketArn}/${QUERY_RESULTS_PREFIX}*`,
        `${storage.resultsBucket.bucketArn}/athena/*`,
      ]) {
        acknowledgeWildcardResource(
          fn.role,
          resource,
          'Object keys of the lake (read), its _query/ prefix (read/write) and the Athena results ' +
            'prefix (read/write): keys are written at run time and cannot be listed.',
        );
      }
      acknowledgeWildcardResource(
        fn.role,
        glueTablesArn(this, storage.glueDatabaseName),
        `Read-only on the tables of this environment's Glue database ` +
          `(${storage.glueDatabaseName}): the ETL and the sync create them at run time.`,
      );
    }
    const machineRole = this.planStateMachine.role;
    Validations.of(machineRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only for actions without resource-level permissions: X-Ray tracing and CloudWatch Logs ' +
        'log delivery, which Step Functions needs to trace and log.',
    });
    acknowledgeWildcardResource(
      machineRole,
      `${this.planStepFunction.function.functionArn}:*`,
      'Invoke the plan-step function and its versions or aliases; no other function.',
    );
  }
}
