import { cpuBudget } from './cpu-budget';
import type { CpuShare } from './cpu-usage';

function share(overrides: Partial<CpuShare>): CpuShare {
  return {
    wallSeconds: 10,
    dispatcherPercent: null,
    dispatcherSeconds: null,
    benchPercent: 0,
    benchSeconds: 0,
    kafkaSeconds: null,
    postgresSeconds: null,
    machineBusyPercent: null,
    machineBusySeconds: null,
    ...overrides,
  };
}

describe('cpuBudget', () => {
  const noKafka = { cpu: null, records: 0 };
  const endToEnd = {
    delivered: 10_000,
    cpu: share({
      dispatcherSeconds: 1.5,
      kafkaSeconds: 0.25,
      postgresSeconds: 0.3,
      benchSeconds: 0.4,
      machineBusySeconds: 2.6,
    }),
  };

  it('splits the machine CPU per delivery by part, the unattributed remainder as rest', () => {
    const budget = cpuBudget(endToEnd, { cpu: null, requests: 0 }, noKafka, 0.5);
    expect(budget.perDeliveryUs.dispatcher).toBeCloseTo(150);
    expect(budget.perDeliveryUs.kafka).toBeCloseTo(25);
    expect(budget.perDeliveryUs.postgres).toBeCloseTo(30);
    expect(budget.perDeliveryUs.bench).toBeCloseTo(40);
    expect(budget.perDeliveryUs.rest).toBeCloseTo(15);
    expect(budget.perDeliveryUs.machine).toBeCloseTo(260);
  });

  it('allows a delivery the raw request cost over the target ratio, and leaves the dispatcher what the other parts do not use', () => {
    const budget = cpuBudget(
      endToEnd,
      { cpu: share({ machineBusySeconds: 3 }), requests: 50_000 },
      noKafka,
      0.5,
    );
    expect(budget.perRawRequestUs).toBeCloseTo(60);
    expect(budget.allowedPerDeliveryUs).toBeCloseTo(120);
    // 120 − Kafka 25 − Postgres 30 − bench 40 − rest 15
    expect(budget.leftForDispatcherUs).toBeCloseTo(10);
  });

  it('leaves unmeasured parts and what depends on them null, never zero', () => {
    const budget = cpuBudget(
      {
        delivered: 10_000,
        cpu: share({ dispatcherSeconds: 1.5, machineBusySeconds: 2.6, benchSeconds: 0.4 }),
      },
      { cpu: share({ machineBusySeconds: 3 }), requests: 50_000 },
      noKafka,
      0.5,
    );
    expect(budget.perDeliveryUs.kafka).toBeNull();
    expect(budget.perDeliveryUs.rest).toBeNull();
    expect(budget.leftForDispatcherUs).toBeNull();
    expect(budget.allowedPerDeliveryUs).toBeCloseTo(120);
  });

  it('is unmeasured when nothing was delivered or no request was answered', () => {
    const budget = cpuBudget(
      { delivered: 0, cpu: endToEnd.cpu },
      { cpu: share({ machineBusySeconds: 3 }), requests: 0 },
      noKafka,
      0.5,
    );
    expect(budget.perDeliveryUs.machine).toBeNull();
    expect(budget.perRawRequestUs).toBeNull();
  });

  it('gives the CPU per record of the plain kafkajs consumer and of the broker serving it', () => {
    const budget = cpuBudget(
      endToEnd,
      { cpu: null, requests: 0 },
      { cpu: share({ benchSeconds: 0.5, kafkaSeconds: 0.1 }), records: 100_000 },
      0.5,
    );
    expect(budget.perRawRecordUs.consumer).toBeCloseTo(5);
    expect(budget.perRawRecordUs.broker).toBeCloseTo(1);
  });
});
