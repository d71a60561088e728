// What went wrong with an exec, in a few kinds the report counts: the API server or kubelet did not
// answer in time, the pod is gone (replaced), its container is not running, the node's kubelet is
// unreachable, the API server refused the connection, the exec ended without a status, or the agent
// exited non-zero. None of these is a policy verdict: the cells of a failed exec are errors.

export const EXEC_FAULT_KINDS = ['timeout', 'pod-gone', 'container-not-running', 'node-unreachable', 'api-unreachable', 'no-status', 'agent-exit', 'other'] as const;
export type ExecFaultKind = (typeof EXEC_FAULT_KINDS)[number];

/** Classifies an exec error message (client-node and API server wording). */
export function classifyExecError(message: string): ExecFaultKind {
  const m = message;
  if (/did not finish within|timed? ?out|ETIMEDOUT|deadline exceeded/i.test(m)) return 'timeout';
  if (/container not found|is not running|ContainerCreating|waiting to start|container .* not (ready|running)/i.test(m)) return 'container-not-running';
  if (/pods? "[^"]*" not found|\b404\b|NotFound|No such container/i.test(m)) return 'pod-gone';
  if (/error dialing backend|no route to host|kubelet|\b50[23]\b|proxy error/i.test(m)) return 'node-unreachable';
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|socket hang up|ENOTFOUND|connect/i.test(m)) return 'api-unreachable';
  return 'other';
}

/** One failed exec attempt, as the prober reports it. */
export interface ExecFault {
  /** ms since the epoch. */
  at: number;
  kind: ExecFaultKind;
  /** Source endpoint id and the pod exec'd into. */
  endpoint: string;
  pod: string;
  node?: string;
  message: string;
  /** The exec is tried again (after a back-off, or from a replacement pod). */
  willRetry: boolean;
}

export interface RetryPolicy {
  /** Further attempts after the first (default 2). */
  retries: number;
  /** Back-off before the first retry, doubled each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 500, maxDelayMs: 4000 };

export function backoffMs(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}
