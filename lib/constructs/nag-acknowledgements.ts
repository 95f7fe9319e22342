/**
 * cdk-nag acknowledgements whose finding names a CloudFormation reference (an ARN from another
 * resource or stack), which is only known once the app's references are resolved.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM5[Resource::…]` finding for one wildcard resource of
 * `scope`'s policies, e.g. `${bucket.bucketArn}/*`. cdk-nag names such a finding after the
 * resolved reference (`<Fn.Arn>:*`, or the cross-stack output the ARN is read from), which exists
 * only after the app's references are resolved; so the acknowledgement is made then, in a
 * validation of `scope`, with the finding's exact name (cdk-nag's own flattening). Only that
 * resource is acknowledged: another wildcard on the same policy is still reported.
 * @example
 * acknowledgeWildcardResource(role, `${lake.bucketArn}/*`, 'Object-level access to the lake bucket only');
 */
export function acknowledgeWildcardResource(
  scope: IConstruct,
  resource: string,
  reason: string,
): void {
  scope.node.addValidation({
    validate: () => {
      const finding = flattenCfnReference(Stack.of(scope).resolve(resource));
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
      return [];
    },
  });
}

/**
 * The ARN of every table of Glue database `databaseName` in `scope`'s stack (what the catalog
 * grants name), for {@link acknowledgeWildcardResource}: with an environment-agnostic stack it is
 * `arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/<db>/*`, with a pinned one the
 * literal account and region.
 * @example
 * acknowledgeWildcardResource(role, glueTablesArn(this, 'thermocline_dev'), 'Tables created at run time');
 */
export function glueTablesArn(scope: IConstruct, databaseName: string): string {
  return Stack.of(scope).formatArn({
    service: 'glue',
    resource: 'table',
    resourceName: `${databaseName}/*`,
  });
}
