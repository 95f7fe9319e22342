/**
 * Where Thermocline's alerts go: an encrypted SNS topic that the CloudWatch alarms and the ETL
 * state machine publish to, with an optional email subscription.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ALARM_KEY_ACTIONS, ALARM_TOPIC_ACTIONS } from '../perms';

/** The service principal CloudWatch alarms publish to SNS as. */
const CLOUDWATCH_PRINCIPAL = 'cloudwatch.amazonaws.com';

/** Properties of an {@link AlertTopic}. */
export interface AlertTopicProps {
  /** The topic's name, e.g. `thermocline-dev-alerts`: letters, digits, `-` and `_`. */
  readonly topicName: string;
  /**
   * Name prefix of the CloudWatch alarms allowed to publish, e.g. `thermocline-dev-`: the topic
   * policy and the key policy let the CloudWatch service publish on behalf of alarms of this
   * account whose names start with it, and no others.
   */
  readonly alarmNamePrefix: string;
  /**
   * Email address subscribed to the topic. AWS sends it a confirmation message first; nothing is
   * delivered until the link in it is followed.
   * @default - no subscription (alerts reach only what subscribes later)
   */
  readonly alertEmail?: string | null;
  /**
   * The name alert emails come from.
   * @default - the topic's name
   */
  readonly displayName?: string;
}

/**
 * An SNS topic for alerts:
 * - encrypted with a customer-managed KMS key (rotated yearly) whose policy lets CloudWatch
 *   alarms of this account, named with `alarmNamePrefix`, use it. The AWS-managed key
 *   `alias/aws/sns` cannot serve: its policy cannot be changed, and CloudWatch alarms cannot
 *   publish to a topic encrypted with it. The key costs US$1 a month; it is deleted (after
 *   KMS's 30-day waiting period) with the stack, since SNS keeps no message beyond delivery;
 * - a topic policy that denies `sns:Publish` without TLS (`aws:SecureTransport`) to everyone and
 *   lets the CloudWatch service publish for those same alarms (publishers of this account are
 *   allowed by their IAM policies, see {@link AlertTopic.grantPublish});
 * - an email subscription when `alertEmail` is given.
 * @example
 * const alerts = new AlertTopic(this, 'Alerts', {
 *   topicName: 'thermocline-dev-alerts',
 *   alarmNamePrefix: 'thermocline-dev-',
 *   alertEmail: 'oncall@example.com',
 * });
 * alarm.addAlarmAction(new cloudwatchActions.SnsAction(alerts.topic));
 * alerts.grantPublish(etlStateMachine);
 */
export class AlertTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  /** The key the topic's messages are encrypted with. */
  readonly key: kms.Key;
  /** The email subscription, when an address was given. */
  readonly emailSubscription?: sns.Subscription;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(props.topicName)) {
      throw new Error(
        `SNS topic name '${props.topicName}' is not valid; use 1 to 256 letters, digits, - and _, ` +
          `e.g. 'thermocline-dev-alerts'`,
      );
    }
    if (!/^[A-Za-z0-9._-]+$/.test(props.alarmNamePrefix)) {
      throw new Error(
        `alarm name prefix '${props.alarmNamePrefix}' is not valid; use letters, digits, ., _ ` +
          `and -, e.g. 'thermocline-dev-' (it must not contain wildcards)`,
      );
    }
    const stack = Stack.of(this);
    // The alarms may publish only for this account and only as alarms named with the prefix
    // (no confused deputy: another account's alarm cannot use the key or the topic).
    const fromTheseAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${props.alarmNamePrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the messages of SNS topic ${props.topicName}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
        actions: [...ALARM_KEY_ACTIONS],
        resources: ['*'],
        conditions: fromTheseAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.displayName ?? props.topicName,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
        actions: [...ALARM_TOPIC_ACTIONS],
        resources: [this.topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    );

    if (props.alertEmail != null) {
      this.emailSubscription = this.topic.addSubscription(
        new subscriptions.EmailSubscription(props.alertEmail),
      );
    }
  }

  /**
   * Lets `grantee` publish to the topic: `sns:Publish` on it and the KMS actions that encrypt a
   * message with its key.
   * @example
   * alerts.grantPublish(etlStateMachine);
   */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.topic.grantPublish(grantee);
  }
}
