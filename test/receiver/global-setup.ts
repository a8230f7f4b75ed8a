// Vitest global setup for the workerd project: starts the receiver (./server.ts) in Node and hands
// its origin to the tests (`inject('receiverOrigin')`).
import type { TestProject } from 'vitest/node';
import { startReceiver } from './server.ts';

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide('receiverOrigin', receiver.origin);
  return () => receiver.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    receiverOrigin: string;
  }
}
