// Teardown, the last phase of a run: close the probe sessions before the pods they run in are deleted,
// then restore what the run changed and remove what it created (run/provision and deploy pushed each
// undo onto the cleanup stack as they went).
import type { CleanupReport, CleanupStack } from '../cluster/index.js';
import type { SessionPool } from '../probe/session.js';

export async function teardown(cleanup: CleanupStack, probeSessions: SessionPool | undefined): Promise<CleanupReport> {
  probeSessions?.close();
  return cleanup.run();
}
