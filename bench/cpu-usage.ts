// CPU time used over a phase by each part of the system: the dispatcher children, this process
// (receiver, publisher, tally), the Kafka broker, Postgres, and the machine as a whole, to tell
// which part a figure is bound by. Everything but this process comes from /proc (Linux only).
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat and of /proc/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface CpuShare {
  wallSeconds: number;
  /** Percent of one core used by the dispatchers (all of them) over the phase; null where /proc is missing. */
  dispatcherPercent: number | null;
  /** CPU seconds the dispatchers used over the phase; null where /proc is missing. */
  dispatcherSeconds: number | null;
  /** Percent of one core used by the benchmark process (receiver, publisher, tally, load worker). */
  benchPercent: number;
  benchSeconds: number;
  /** CPU seconds of the Kafka broker (a `kafka.Kafka` JVM on this host); null when none is found. */
  kafkaSeconds: number | null;
  /** CPU seconds of every `postgres` process on this host; null when none is found. */
  postgresSeconds: number | null;
  /** Percent of the whole machine busy (all cores, every process); null where /proc is missing. */
  machineBusyPercent: number | null;
  /** Busy core-seconds of the whole machine over the phase; null where /proc is missing. */
  machineBusySeconds: number | null;
}

/** Starts measuring; call the returned function at the end of the phase. */
export function measureCpu(dispatcherPids: (number | undefined)[] = []): () => CpuShare {
  const startedAt = process.hrtime.bigint();
  const benchStart = process.cpuUsage();
  const dispatcherStart = processesCpuSeconds(dispatcherPids);
  const servicesStart = serviceProcesses();
  const machineStart = machineTicks();
  return () => {
    const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const bench = process.cpuUsage(benchStart);
    const benchSeconds = (bench.user + bench.system) / 1e6;
    const dispatcherEnd = processesCpuSeconds(dispatcherPids);
    const servicesEnd = serviceProcesses();
    const machineEnd = machineTicks();
    const dispatcherSeconds =
      dispatcherStart === null || dispatcherEnd === null ? null : dispatcherEnd - dispatcherStart;
    const machine =
      machineStart === null || machineEnd === null || machineEnd.total === machineStart.total
        ? null
        : {
            percent: (100 * (machineEnd.busy - machineStart.busy)) / (machineEnd.total - machineStart.total),
            seconds: (machineEnd.busy - machineStart.busy) / CLOCK_TICKS_PER_SECOND,
          };
    return {
      wallSeconds,
      dispatcherPercent: dispatcherSeconds === null ? null : (100 * dispatcherSeconds) / wallSeconds,
      dispatcherSeconds,
      benchPercent: (100 * benchSeconds) / wallSeconds,
      benchSeconds,
      kafkaSeconds: serviceSeconds('kafka', servicesStart, servicesEnd),
      postgresSeconds: serviceSeconds('postgres', servicesStart, servicesEnd),
      machineBusyPercent: machine?.percent ?? null,
      machineBusySeconds: machine?.seconds ?? null,
    };
  };
}

type Service = 'kafka' | 'postgres';

interface ServiceProcess {
  service: Service;
  seconds: number;
}

/**
 * CPU used by a service's processes between two snapshots. A process that started during the
 * phase (a new Postgres backend) counts whole; one that ended during it is lost (backends of a
 * pool live as long as the pool).
 */
function serviceSeconds(
  service: Service,
  start: Map<number, ServiceProcess>,
  end: Map<number, ServiceProcess>,
): number | null {
  let found = false;
  let seconds = 0;
  for (const [pid, proc] of end) {
    if (proc.service !== service) continue;
    found = true;
    seconds += proc.seconds - (start.get(pid)?.seconds ?? 0);
  }
  return found ? seconds : null;
}

/** The Kafka broker's and Postgres's processes on this host, with their CPU seconds so far. */
function serviceProcesses(): Map<number, ServiceProcess> {
  const found = new Map<number, ServiceProcess>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      let service: Service | null = null;
      if (comm === 'postgres') service = 'postgres';
      else if (comm === 'java' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('\0kafka.Kafka\0'))
        service = 'kafka';
      if (service === null) continue;
      const seconds = processCpuSeconds(Number(pid));
      if (seconds !== null) found.set(Number(pid), { service, seconds });
    } catch {
      // The process ended while we looked: nothing to count.
    }
  }
  return found;
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
