// Vitest global setup for the workerd project: starts the receiver (./server.ts) in Node and hands
// its origin to the tests (`inject('receiverOrigin')`, typed in test/env.ts).
import type { TestProject } from 'vitest/node';
import { startReceiver } from './server.ts';

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  (project.provide as (key: string, value: unknown) => void)('receiverOrigin', receiver.origin);
  return () => receiver.stop();
}
