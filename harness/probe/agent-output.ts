// Parses the agent's JSON-lines output. A target without a result line is an error, never a deny.
import type { ObservedClass } from '../diff/result.js';

export interface AgentResult {
  id: string;
  class: ObservedClass;
  latencyMs?: number;
  detail?: string;
  /** Set by the guard (observe/guard.ts): an error because a fault was seen, not what the probe answered. */
  distrusted?: true;
}

const CLASSES = new Set<ObservedClass>(['connected', 'refused', 'timeout', 'dns-failure', 'error', 'unsupported']);

export interface ParsedOutput {
  results: Map<string, AgentResult>;
  done: boolean;
  /** Lines that were not valid result JSON (reported as detail when targets are missing). */
  garbage: string[];
}

export function parseAgentOutput(stdout: string): ParsedOutput {
  const results = new Map<string, AgentResult>();
  const garbage: string[] = [];
  let done = false;
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      garbage.push(t);
      continue;
    }
    if (typeof v !== 'object' || v === null) {
      garbage.push(t);
      continue;
    }
    const o = v as Record<string, unknown>;
    if (o.done === true) {
      done = true;
      continue;
    }
    if (typeof o.id === 'string' && typeof o.class === 'string' && CLASSES.has(o.class as ObservedClass)) {
      results.set(o.id, {
        id: o.id,
        class: o.class as ObservedClass,
        ...(typeof o.latencyMs === 'number' ? { latencyMs: o.latencyMs } : {}),
        ...(typeof o.detail === 'string' && o.detail !== '' ? { detail: o.detail } : {}),
      });
    } else {
      garbage.push(t);
    }
  }
  return { results, done, garbage };
}
