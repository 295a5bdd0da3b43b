// Assertions for the short chaos tests (test/chaos*.test.ts): a scenario's chosen targets met, its
// table in the test log either way, and in the failure message when one is missed.
import { appendFileSync } from 'node:fs';
import { formatResult, type ScenarioResult } from '../../chaos/result';
import { testLogFile } from './log-capture.setup';

/** What every short scenario must meet: nothing acknowledged lost, Postgres equal to the topic. */
export const CORE_TARGETS = ['zero lost', 'Postgres equals the delivery topic'];

/** The targets (by the start of their name) `result` must meet; a scenario that did not finish fails too. */
export function expectTargets(result: ScenarioResult, targets: string[]): void {
  const table = formatResult(result);
  const logFile = testLogFile();
  if (logFile) appendFileSync(logFile, `${table}\n`);
  const missed = result.checks
    .filter(
      (c) =>
        !c.ok && (c.target === 'scenario runs to its end' || targets.some((t) => c.target.startsWith(t))),
    )
    .map((c) => `${c.target}: ${c.detail}`);
  const absent = targets.filter((t) => !result.checks.some((c) => c.target.startsWith(t)));
  expect({ missed, absent, table: missed.length + absent.length > 0 ? table : '' }).toEqual({
    missed: [],
    absent: [],
    table: '',
  });
}

/** Progress lines of the scenarios go to the test's log file, not to jest's output. */
export function progressToTestLog(): (line: string) => void {
  const logFile = testLogFile();
  return (line) => (logFile ? appendFileSync(logFile, line) : undefined);
}
