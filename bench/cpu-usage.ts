// CPU time used by the dispatcher child and by this process (receiver and publisher) over a phase,
// to tell which side a figure is bound by. The child's time comes from /proc (Linux only).
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuShare {
  /** Percent of one core used by the dispatcher over the phase; null where /proc is missing. */
  dispatcherPercent: number | null;
  /** Percent of one core used by the benchmark process (receiver, publisher, tally). */
  benchPercent: number;
}

/** Starts measuring; call the returned function at the end of the phase. */
export function measureCpu(dispatcherPid: number | undefined): () => CpuShare {
  const startedAt = process.hrtime.bigint();
  const benchStart = process.cpuUsage();
  const dispatcherStart = processCpuSeconds(dispatcherPid);
  return () => {
    const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const bench = process.cpuUsage(benchStart);
    const dispatcherEnd = processCpuSeconds(dispatcherPid);
    return {
      dispatcherPercent:
        dispatcherStart === null || dispatcherEnd === null
          ? null
          : (100 * (dispatcherEnd - dispatcherStart)) / wallSeconds,
      benchPercent: (100 * (bench.user + bench.system)) / 1e6 / wallSeconds,
    };
  };
}

function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is first,
    // utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
