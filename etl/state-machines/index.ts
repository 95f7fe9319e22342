/**
 * The state machine definitions, one place for both runtimes: CDK deploys them with
 * `definitionSubstitutions` for the `${…}` placeholders (function and topic ARNs), and the local
 * runtime runs the same JSON with local values and each Task bound to its handler in-process.
 */
import etl from './etl.asl.json';

/** An Amazon States Language definition. */
export type StateMachineDefinition = Record<string, unknown> & {
  readonly StartAt: string;
  readonly States: Record<string, unknown>;
};

/** The nightly ETL: PlanRun → Map(ExportTableDay, Retry, Catch) → alert and fail on failures. */
export const ETL_DEFINITION = etl as unknown as StateMachineDefinition;

/** The placeholders of the ETL definition, which every deployment must fill. */
export const ETL_PLACEHOLDERS = ['PlanFunctionArn', 'ExportFunctionArn', 'AlertTopicArn'] as const;

/**
 * Fills `${Name}` placeholders in every string of a definition, as Step Functions'
 * `DefinitionSubstitutions` do; a placeholder left unfilled is an error naming it.
 * @example
 * substitute(ETL_DEFINITION, { PlanFunctionArn: 'arn:…', ExportFunctionArn: 'arn:…', AlertTopicArn: 'arn:…' });
 */
export function substitute(
  definition: StateMachineDefinition,
  values: Readonly<Record<string, string>>,
): StateMachineDefinition {
  const text = JSON.stringify(definition).replace(
    /\$\{([A-Za-z0-9_]+)\}/g,
    (whole, name: string) => {
      const value = values[name];
      if (value === undefined) {
        throw new Error(
          `state machine placeholder \${${name}} has no value; give one of: ${Object.keys(values).join(', ') || '(none)'}`,
        );
      }
      return JSON.stringify(value).slice(1, -1);
    },
  );
  return JSON.parse(text) as StateMachineDefinition;
}
