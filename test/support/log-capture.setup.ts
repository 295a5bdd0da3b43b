// Runs in every integration test file (jest setupFilesAfterEnv): the apps' JsonLoggers write to
// this test file's log (see log-capture.environment.js), not to the test output.
import { closeSync, openSync, writeSync } from 'node:fs';
import { setLogSink } from '@vowchat/platform';

const file = (globalThis as { __VOWCHAT_LOG_FILE__?: string }).__VOWCHAT_LOG_FILE__;
if (file) {
  // Written synchronously, so a failing test's tail is complete when it is shown.
  const fd = openSync(file, 'a');
  setLogSink({ write: (line: string) => writeSync(fd, line) });
  afterAll(() => {
    setLogSink({ write: () => true }); // late lines of closing apps are dropped, not written to a closed fd
    closeSync(fd);
  });
}

/** This test file's log file, for spawned apps to append to. */
export function testLogFile(): string | undefined {
  return file;
}
