// Where the machine's CPU goes per delivery, set against what one raw undici POST costs it: the
// arithmetic behind "end-to-end / lower ceiling" when both run on the same cores. A rate is the
// busy core-seconds per second divided by the CPU each unit of work takes, so
//   end-to-end / ceiling = (busy share end-to-end / busy share of the ceiling)
//                        × (machine CPU per raw request / machine CPU per delivery),
// and at equal busy shares a target ratio t allows a delivery at most (CPU per raw request) / t.
import type { CpuShare } from './cpu-usage';

export interface CpuBudget {
  /** µs of CPU per delivery by part; null where a part was not measured. */
  perDeliveryUs: {
    dispatcher: number | null;
    kafka: number | null;
    postgres: number | null;
    /** The benchmark process: the receiver and the tally (the publisher is idle while measured). */
    bench: number;
    /** Everything else the machine did: the kernel's share of the network, other services. */
    rest: number | null;
    machine: number | null;
  };
  /** µs of machine CPU per raw undici request (client, receiver and whatever else ran). */
  perRawRequestUs: number | null;
  /** µs of CPU per record a plain kafkajs consumer takes, and the broker serving it: a delivery reads two records (its event, and its outcome for the projection). */
  perRawRecordUs: { consumer: number | null; broker: number | null };
  /** The most machine CPU a delivery may take for the target ratio, at equal busy shares. */
  allowedPerDeliveryUs: number | null;
  /** What is left of that allowance for the dispatcher once Kafka, Postgres, the receiver and the rest have theirs. */
  leftForDispatcherUs: number | null;
}

export function cpuBudget(
  endToEnd: { cpu: CpuShare; delivered: number },
  ceiling: { cpu: CpuShare | null; requests: number },
  rawKafka: { cpu: CpuShare | null; records: number },
  targetRatio: number,
): CpuBudget {
  const perDelivery = (seconds: number | null) =>
    seconds === null || endToEnd.delivered === 0 ? null : (seconds * 1e6) / endToEnd.delivered;
  const { cpu } = endToEnd;
  const machine = perDelivery(cpu.machineBusySeconds);
  const dispatcher = perDelivery(cpu.dispatcherSeconds);
  const kafka = perDelivery(cpu.kafkaSeconds);
  const postgres = perDelivery(cpu.postgresSeconds);
  const bench = perDelivery(cpu.benchSeconds) ?? 0;
  const rest =
    machine === null || dispatcher === null || kafka === null || postgres === null
      ? null
      : Math.max(0, machine - dispatcher - kafka - postgres - bench);
  const perRawRequestUs =
    ceiling.cpu?.machineBusySeconds == null || ceiling.requests === 0
      ? null
      : (ceiling.cpu.machineBusySeconds * 1e6) / ceiling.requests;
  const perRawRecord = (seconds: number | null | undefined) =>
    seconds == null || rawKafka.records === 0 ? null : (seconds * 1e6) / rawKafka.records;
  const allowedPerDeliveryUs = perRawRequestUs === null ? null : perRawRequestUs / targetRatio;
  return {
    perDeliveryUs: { dispatcher, kafka, postgres, bench, rest, machine },
    perRawRequestUs,
    perRawRecordUs: {
      consumer: perRawRecord(rawKafka.cpu?.benchSeconds),
      broker: perRawRecord(rawKafka.cpu?.kafkaSeconds),
    },
    allowedPerDeliveryUs,
    leftForDispatcherUs:
      allowedPerDeliveryUs === null || kafka === null || postgres === null || rest === null
        ? null
        : allowedPerDeliveryUs - kafka - postgres - bench - rest,
  };
}
