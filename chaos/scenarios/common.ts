// What the scenarios share: running a body against a prepared system and always cleaning up, and
// waiting on the load without sleeping blindly.
import { ChaosSystem, sleep, type ChaosSystemOptions } from '../chaos-system';
import { log } from '../progress';
import { failedRun, type ScenarioResult } from '../result';

/** Prepares a system, runs `body` with it, and cleans up whatever happens. */
export async function withSystem(
  options: ChaosSystemOptions,
  body: (system: ChaosSystem) => Promise<ScenarioResult>,
  { title }: { title: string },
): Promise<ScenarioResult> {
  const started = Date.now();
  const system = new ChaosSystem(options);
  try {
    await system.prepare();
    return await body(system);
  } catch (error) {
    log(`${options.scenario}: failed: ${(error as Error).stack ?? String(error)}`);
    return failedRun(options.scenario, title, started, error);
  } finally {
    await system.cleanUp().catch((error: Error) => log(`${options.scenario}: clean-up: ${error.message}`));
  }
}

/** Waits until `count()` reaches `target` (the load has got that far). */
export async function untilCount(count: () => number, target: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < target) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${target} (at ${count()})`);
    await sleep(100);
  }
}

/** Events for a scale, at least `min`. */
export function scaled(base: number, scale: number, min = 100): number {
  return Math.max(min, Math.round(base * scale));
}
