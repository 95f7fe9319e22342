import {
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SfnPlanLauncher } from '#adapters/aws/sfn-plan-launcher';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:thermocline-dev-plans';
const PLAN = '20250215T020000123Z-1a2b3c4d5e';

afterEach(() => {
  sfn.reset();
});

describe('starting a plan on Step Functions', () => {
  it('starts the plan state machine with the plan id as input and execution name', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:…', startDate: new Date() });

    await new SfnPlanLauncher(new SFNClient({}), { stateMachineArn: ARN }).start(PLAN);

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: PLAN,
      input: JSON.stringify({ planId: PLAN }),
    });
  });

  it('counts an execution that already exists under that name as started', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    await expect(
      new SfnPlanLauncher(new SFNClient({}), { stateMachineArn: ARN }).start(PLAN),
    ).resolves.toBeUndefined();
  });

  it('passes any other error on', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new StateMachineDoesNotExist({ message: 'no such machine', $metadata: {} }));

    await expect(
      new SfnPlanLauncher(new SFNClient({}), { stateMachineArn: ARN }).start(PLAN),
    ).rejects.toThrow('no such machine');
  });
});
