import '#adapters/local/promise-with-resolvers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Alerts } from '#ports/alerts';

/**
 * Pause between Retry attempts when the CLI runs a definition locally: the definitions' 10–30 s
 * × 2ⁿ backoff is for AWS, where the failures it waits out are the network's and the services'.
 */
export const LOCAL_RETRY_PAUSE_MS = 1000;

/** A Task state's local stand-in: receives the state's input, returns its result. */
export type LocalTaskHandler = (input: never) => Promise<unknown>;

/** One event of a local execution, compact: state name, type, what happened, Map index. */
export interface StateEvent {
  readonly event: string;
  readonly state?: string;
  readonly type?: string;
  readonly index?: number;
  readonly error?: string;
  readonly output?: unknown;
}

/** How a local execution ended. */
export interface LocalExecution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: { readonly error: string; readonly cause: string };
  readonly events: StateEvent[];
}

/** Options of {@link runLocalStateMachine}. */
export interface LocalRunOptions {
  /** Milliseconds between Retry attempts instead of the definition's IntervalSeconds. */
  readonly retryPauseMs?: number;
  /** Called with every event as the execution runs (progress displays). */
  readonly onEvent?: (event: StateEvent) => void;
}

/**
 * Runs a state machine definition with `aws-local-stepfunctions`, every Task state bound to a local
 * handler by state name (nothing calls AWS). Map, Retry, Catch, Choice and intrinsic functions run
 * as the definition says; only Retry pauses can be shortened (`retryPauseMs`).
 * @example
 * const run = await runLocalStateMachine(definition, { PlanRun: async () => ({ items: [] }) }, {});
 */
export async function runLocalStateMachine(
  definition: Record<string, unknown>,
  handlers: Readonly<Record<string, LocalTaskHandler>>,
  input: unknown,
  options: LocalRunOptions = {},
): Promise<LocalExecution> {
  const machine = new StateMachine(definition as never);
  const taskNames = Object.keys(handlers);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(options.retryPauseMs === undefined
        ? {}
        : {
            retryIntervalOverrides: Object.fromEntries(
              taskNames.map((name) => [name, options.retryPauseMs as number]),
            ),
          }),
    },
  });
  const events: StateEvent[] = [];
  const collecting = (async () => {
    for await (const raw of execution.eventLogs) {
      const event = compact(raw as unknown as RawEvent);
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  try {
    const output = await execution.result;
    await collecting;
    return { status: 'SUCCEEDED', output, events };
  } catch (failure) {
    await collecting.catch(() => undefined);
    const cause = (failure as { cause?: { name?: string; message?: string } }).cause;
    return {
      status: 'FAILED',
      error: {
        error: cause?.name ?? (failure as Error).name,
        cause: cause?.message ?? (failure as Error).message,
      },
      events,
    };
  }
}

interface RawEvent {
  type: string;
  state?: { name: string; type: string; output?: unknown };
  index?: number;
  Error?: string;
  error?: string;
}

function compact(raw: RawEvent): StateEvent {
  return {
    event: raw.type,
    ...(raw.state ? { state: raw.state.name, type: raw.state.type } : {}),
    ...(raw.index === undefined ? {} : { index: raw.index }),
    ...(raw.Error || raw.error ? { error: raw.Error ?? raw.error } : {}),
    ...(raw.type === 'StateExited' && raw.state?.output !== undefined
      ? { output: raw.state.output }
      : {}),
  };
}

/**
 * The local stand-in of a definition's SNS Publish task (`NotifyFailure`, `NotifyHeld`): the
 * message goes to `alerts` (locally a log file and stderr) and the state gets `{}`.
 * @example
 * runLocalStateMachine(definition, { …, NotifyFailure: alertTask(alerts) }, input);
 */
export function alertTask(
  alerts: Alerts,
): (message: { Subject: string; Message: string }) => Promise<object> {
  return async (message) => {
    await alerts.notify(message.Subject, message.Message);
    return {};
  };
}

/**
 * How an execution ended and its states without their outputs (which can be large), as the CLI's
 * `--json` prints them.
 * @example
 * const { execution: outcome, states } = executionReport(await runLocalStateMachine(…));
 */
export function executionReport(execution: LocalExecution): {
  execution: { status: LocalExecution['status']; error?: LocalExecution['error'] };
  states: StateEvent[];
} {
  return {
    execution: {
      status: execution.status,
      ...(execution.error ? { error: execution.error } : {}),
    },
    states: execution.events.map(({ output: _output, ...event }) => event),
  };
}
