// CPU time used by the dispatcher child and by this process (receiver and publisher) over a phase,
// to tell which side a figure is bound by. The child's time comes from /proc (Linux only).
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuShare {
  /** Percent of one core used by the dispatchers (all of them) over the phase; null where /proc is missing. */
  dispatcherPercent: number | null;
  /** CPU seconds the dispatchers used over the phase (start-up included); null where /proc is missing. */
  dispatcherSeconds: number | null;
  /** Percent of one core used by the benchmark process (receiver, publisher, tally). */
  benchPercent: number;
  /** Percent of the whole machine busy (all cores, every process: Kafka and Postgres too); null where /proc is missing. */
  machineBusyPercent: number | null;
}

/** Starts measuring; call the returned function at the end of the phase. */
export function measureCpu(dispatcherPids: (number | undefined)[]): () => CpuShare {
  const startedAt = process.hrtime.bigint();
  const benchStart = process.cpuUsage();
  const dispatcherStart = processesCpuSeconds(dispatcherPids);
  const machineStart = machineTicks();
  return () => {
    const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const bench = process.cpuUsage(benchStart);
    const dispatcherEnd = processesCpuSeconds(dispatcherPids);
    const machineEnd = machineTicks();
    return {
      dispatcherPercent:
        dispatcherStart === null || dispatcherEnd === null
          ? null
          : (100 * (dispatcherEnd - dispatcherStart)) / wallSeconds,
      dispatcherSeconds:
        dispatcherStart === null || dispatcherEnd === null ? null : dispatcherEnd - dispatcherStart,
      benchPercent: (100 * (bench.user + bench.system)) / 1e6 / wallSeconds,
      machineBusyPercent:
        machineStart === null || machineEnd === null || machineEnd.total === machineStart.total
          ? null
          : (100 * (machineEnd.busy - machineStart.busy)) / (machineEnd.total - machineStart.total),
    };
  };
}

function processesCpuSeconds(pids: (number | undefined)[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds === null) return null;
    sum += seconds;
  }
  return sum;
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

/** Busy and total ticks of all cores since boot, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // cpu user nice system idle iowait irq softirq steal ...: idle and iowait are the idle ones.
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((sum, t) => sum + t, 0);
    return { busy: total - ticks[3] - (ticks[4] ?? 0), total };
  } catch {
    return null;
  }
}
