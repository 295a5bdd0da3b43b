// How many dispatcher instances share each endpoint's rate: the members of the event consumer
// group, as this instance last saw them when it joined the group (every join and leave rebalances
// the group, so every member hears of it). One until the first join, and at least one always.
export class InstanceCount {
  private count = 1;

  get value(): number {
    return this.count;
  }

  /** The consumer group's member count, after a (re)join. */
  update(members: number): void {
    if (Number.isSafeInteger(members) && members >= 1) this.count = members;
  }
}
