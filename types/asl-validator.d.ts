// Types for asl-validator 3 (it ships none): the default export validates a definition.
declare module 'asl-validator' {
  interface AslValidationResult {
    isValid: boolean;
    errors: unknown[];
    errorsText(separator?: string): string;
  }
  export default function validator(
    definition: unknown,
    options?: Record<string, unknown>,
  ): AslValidationResult;
}
