// The integration tests' environment: what the apps under test log (in-process apps and spawned
// children alike) goes to one file per test file under .run/test-logs/, so `npm test` prints test
// results, not service logs; when a test fails, the tail of that file is printed after it.
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

const TAIL_LINES = 60;

class LogCaptureEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const dir = join(config.projectConfig.rootDir, '.run', 'test-logs');
    mkdirSync(dir, { recursive: true });
    this.logFile = join(dir, `${basename(context.testPath)}.log`);
    writeFileSync(this.logFile, '');
    this.global.__VOWCHAT_LOG_FILE__ = this.logFile;
  }

  async handleTestEvent(event) {
    if (event.name !== 'test_done' || event.test.errors.length === 0) return;
    let lines = [];
    try {
      lines = readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      return;
    }
    if (lines.length === 0) return;
    const tail = lines.slice(-TAIL_LINES).join('\n');
    process.stderr.write(
      `\n--- last ${Math.min(TAIL_LINES, lines.length)} of ${lines.length} log lines of the apps under test (${this.logFile}) ---\n${tail}\n---\n`,
    );
  }
}

module.exports = LogCaptureEnvironment;
