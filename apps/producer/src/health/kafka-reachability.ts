// Whether the producer can reach Kafka right now, for readiness: one metadata request through an
// admin client of its own that never retries (the publisher's client retries for seconds; a probe
// must answer quickly and truthfully). Connected lazily, reconnected after a failure.
import { Kafka, logLevel, type Admin } from 'kafkajs';

export class KafkaReachability {
  private readonly kafka: Kafka;
  private admin: Admin | null = null;

  constructor(clientId: string, brokers: string[]) {
    this.kafka = new Kafka({
      clientId: `${clientId}-health`,
      brokers,
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
  }

  /** Resolves with the brokers the cluster reports; rejects when none answers. */
  async check(): Promise<{ brokers: number }> {
    try {
      this.admin ??= await this.connect();
      const { brokers } = await this.admin.describeCluster();
      return { brokers: brokers.length };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }

  private async connect(): Promise<Admin> {
    const admin = this.kafka.admin();
    await admin.connect();
    return admin;
  }
}
