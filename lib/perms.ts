/**
 * The IAM actions the stacks grant, in one place and named for the code that needs them. Each
 * list that serves an adapter is checked against the SDK commands that adapter sends
 * (`test/unit/perms.test.ts`), so a new call cannot ship without its permission.
 */

/**
 * The Glue actions the ETL's and the sync's `GlueCatalog` adapter calls: read the database, create
 * and update tables, register, switch and remove partitions.
 */
export const CATALOG_WRITE_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
  'glue:BatchCreatePartition',
  'glue:BatchUpdatePartition',
  'glue:BatchDeletePartition',
] as const;

/** The Glue read actions a query (Athena, the estimate) and the retention check need. */
export const CATALOG_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
] as const;

/** What running a query in a workgroup takes (the `AthenaQueryEngine` adapter's calls). */
export const QUERY_EXECUTION_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
] as const;

/** What the Glue schema crawler does in its database's tables. */
export const CRAWLER_CATALOG_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
  'glue:CreatePartition',
  'glue:BatchCreatePartition',
  'glue:UpdatePartition',
  'glue:BatchUpdatePartition',
  'glue:GetSecurityConfiguration',
] as const;

/** What the crawler needs on its own log group. */
export const CRAWLER_LOG_ACTIONS = [
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'logs:AssociateKmsKey',
] as const;

/** What CloudWatch Logs needs of a KMS key that encrypts a log group. */
export const LOGS_KEY_ACTIONS = [
  'kms:Encrypt*',
  'kms:Decrypt*',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:Describe*',
] as const;

/** What CloudWatch alarms need of the alert topic's KMS key to publish to it. */
export const ALARM_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'] as const;

/** What CloudWatch alarms need on the alert topic. */
export const ALARM_TOPIC_ACTIONS = ['sns:Publish'] as const;
