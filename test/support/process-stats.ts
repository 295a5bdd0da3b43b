// What a child process holds, read from /proc (Linux): for memory budgets in tests.
import { readFileSync } from 'node:fs';

/** The resident set size of process `pid`, in MB. */
export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}
