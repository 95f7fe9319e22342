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
