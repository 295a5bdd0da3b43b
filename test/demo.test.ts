// The README's demo command, run as a newcomer would (on free ports, for a fresh account): the
// whole system comes up and the spec's 8 example events arrive, signed and verified.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './support/names';

describe('npm run demo', () => {
  it('brings the system up and shows the 8 example events arriving at the sample receiver', async () => {
    const [producer, dispatcher, receiver] = [await freePort(), await freePort(), await freePort()];
    const { stdout } = await promisify(execFile)('bash', [join(__dirname, '../scripts/demo.sh'), '--once'], {
      env: {
        ...process.env,
        DEMO_SKIP_BUILD: '1',
        DEMO_PRODUCER_PORT: String(producer),
        DEMO_DISPATCHER_PORT: String(dispatcher),
        DEMO_RECEIVER_PORT: String(receiver),
        DEMO_ACCOUNT_ID: String(100_000 + Math.floor(Math.random() * 100_000)),
        LOG_LEVEL: 'warn',
      },
      timeout: 90_000,
    });
    const received = stdout.split('\n').filter((line) => line.trim().startsWith('received '));
    expect(received.map((line) => line.trim().split(/\s+/)[1]).sort()).toEqual(
      [
        'conversation_created',
        'conversation_status_changed',
        'conversation_typing_off',
        'conversation_typing_on',
        'conversation_updated',
        'message_created',
        'message_updated',
        'webwidget_triggered',
      ].sort(),
    );
    expect(stdout).toContain('All 8 events were delivered, signed and verified.');
    expect(stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard \(operator token: /);
  });
});
