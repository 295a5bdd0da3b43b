// Counts (event, webhook) pairs at the receiver. Every event the chaos load publishes carries a
// sequence number (`chaos_seq`) and goes to the webhooks of its account, one receiver path each
// (`/chaos/<account>/<slot>`): pair = seq × webhooksPerAccount + slot. Flat typed arrays rather
// than a Set of strings: a soak counts millions of pairs.
import type { ReceivedRequest } from '../test/support/receiver';

const SEQ = /"chaos_seq":(\d+)/;
const PATH = /^\/chaos\/(\d+)\/(\d+)/;

export class PairTally {
  /** Requests that carried a chaos event (first deliveries and duplicates). */
  requests = 0;
  /** Requests for anything else (should stay 0). */
  foreign = 0;
  /** Requests the receiver answered with a failure (told by `answersOk`): attempts, not deliveries. */
  refused = 0;
  /** Whether the receiver answers this path with a 2xx right now (set by the system). */
  answersOk: (path: string) => boolean = () => true;
  /** Distinct pairs received whose event was acknowledged. */
  delivered = 0;
  /** Distinct pairs received whose event was never acknowledged (a publish that failed after all). */
  deliveredUnacked = 0;
  /** Requests beyond the first of a pair. */
  duplicates = 0;
  acked = 0;
  attempted = 0;
  /** When the latest new pair arrived (epoch ms). */
  lastArrival = 0;
  private readonly counts: Uint8Array;
  /** When each pair first arrived (epoch ms; 0: not yet). */
  readonly firstAt: Float64Array;
  /** When each event was acknowledged (epoch ms; 0: not, or not yet). */
  readonly ackedAt: Float64Array;
  /** New pairs per second (epoch second → count), for pauses and throughput. */
  readonly perSecond = new Map<number, number>();
  /** Optional per-slot counts of new pairs, for scenarios that treat one slot differently. */
  readonly perSlot: number[];
  /** Last arrival of a new pair per slot. */
  readonly lastNewAtBySlot: number[];
  /** Arrivals of new pairs per slot, in order (only kept when `keepSlotArrivals`). */
  readonly slotArrivals: number[][];

  constructor(
    readonly capacity: number,
    readonly webhooksPerAccount: number,
    private readonly keepSlotArrivals = false,
  ) {
    this.counts = new Uint8Array(capacity * webhooksPerAccount);
    this.firstAt = new Float64Array(capacity * webhooksPerAccount);
    this.ackedAt = new Float64Array(capacity);
    this.perSlot = new Array<number>(webhooksPerAccount).fill(0);
    this.lastNewAtBySlot = new Array<number>(webhooksPerAccount).fill(0);
    this.slotArrivals = Array.from({ length: webhooksPerAccount }, () => []);
  }

  /** Pairs the acknowledged events make. */
  get expected(): number {
    return this.acked * this.webhooksPerAccount;
  }

  markAcked(seq: number, at = Date.now()): void {
    if (this.ackedAt[seq] !== 0) return;
    this.ackedAt[seq] = at;
    this.acked++;
    // A pair that arrived before its acknowledgement was counted as unacked.
    for (let slot = 0; slot < this.webhooksPerAccount; slot++) {
      if (this.counts[seq * this.webhooksPerAccount + slot] > 0) {
        this.deliveredUnacked--;
        this.delivered++;
      }
    }
  }

  readonly onRequest = (request: ReceivedRequest): void => {
    const path = PATH.exec(request.path);
    const seqText = SEQ.exec(request.body)?.[1];
    if (!path || seqText === undefined) {
      this.foreign++;
      return;
    }
    const seq = Number(seqText);
    const slot = Number(path[2]);
    if (seq >= this.capacity || slot >= this.webhooksPerAccount) {
      this.foreign++;
      return;
    }
    if (!this.answersOk(request.path)) {
      this.refused++;
      return;
    }
    this.requests++;
    const pair = seq * this.webhooksPerAccount + slot;
    const n = this.counts[pair];
    if (n > 0) {
      this.duplicates++;
      if (n < 255) this.counts[pair] = n + 1;
      return;
    }
    const at = request.receivedAt.getTime();
    this.counts[pair] = 1;
    this.firstAt[pair] = at;
    if (this.ackedAt[seq] !== 0) this.delivered++;
    else this.deliveredUnacked++;
    this.perSlot[slot]++;
    this.lastNewAtBySlot[slot] = at;
    this.lastArrival = at;
    if (this.keepSlotArrivals) this.slotArrivals[slot].push(at);
    const second = Math.floor(at / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
  };

  /** Acknowledged pairs not (yet) received. */
  get missing(): number {
    return this.expected - this.delivered;
  }

  /** Pairs of acknowledged events never received, listed (at most `limit`). */
  missingPairs(limit = 20): { seq: number; slot: number }[] {
    const found: { seq: number; slot: number }[] = [];
    for (let seq = 0; seq < this.capacity && found.length < limit; seq++) {
      if (this.ackedAt[seq] === 0) continue;
      for (let slot = 0; slot < this.webhooksPerAccount; slot++)
        if (this.counts[seq * this.webhooksPerAccount + slot] === 0) found.push({ seq, slot });
    }
    return found;
  }

  /**
   * After a fault cleared at `clearedAt`: how long until the first new pair arrived, and until the
   * last pair of the events acknowledged before it arrived (the backlog drained); null when never.
   */
  recovery(clearedAt: number): { resumeMs: number | null; drainedMs: number | null } {
    let firstAfter = Infinity;
    let lastOfBacklog = 0;
    let backlogComplete = true;
    const w = this.webhooksPerAccount;
    for (let seq = 0; seq < this.capacity; seq++) {
      const acked = this.ackedAt[seq];
      for (let slot = 0; slot < w; slot++) {
        const at = this.firstAt[seq * w + slot];
        if (at >= clearedAt && at < firstAfter) firstAfter = at;
        if (acked !== 0 && acked <= clearedAt) {
          if (at === 0) backlogComplete = false;
          else if (at > lastOfBacklog) lastOfBacklog = at;
        }
      }
    }
    return {
      resumeMs: Number.isFinite(firstAfter) ? firstAfter - clearedAt : null,
      drainedMs: !backlogComplete ? null : Math.max(0, lastOfBacklog - clearedAt),
    };
  }

  /** The longest stretch, in whole seconds within [from, to], in which no new pair arrived. */
  longestPauseSeconds(from: number, to: number): number {
    let longest = 0;
    let run = 0;
    for (let s = Math.floor(from / 1000); s <= Math.floor(to / 1000); s++) {
      if ((this.perSecond.get(s) ?? 0) === 0) longest = Math.max(longest, ++run);
      else run = 0;
    }
    return longest;
  }

  /** New pairs within [from, to). */
  newPairsBetween(from: number, to: number): number {
    let n = 0;
    for (let s = Math.floor(from / 1000); s < Math.ceil(to / 1000); s++) n += this.perSecond.get(s) ?? 0;
    return n;
  }
}
