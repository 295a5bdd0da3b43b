// Preloaded into each dispatcher child (NODE_OPTIONS=--require) when BENCH_CPU_PROF_DIR is set:
// profiles the CPU from start-up, starts over when the benchmark resumes the frozen dispatcher
// (SIGCONT: the profile then covers the measured phase only, not start-up and warm-up), and
// writes a .cpuprofile into that directory on SIGUSR2 (open it in Chrome DevTools or speedscope). Node 20 refuses --cpu-prof in NODE_OPTIONS, and a dispatcher
// stopped by a signal would not write it anyway. Plain JavaScript: the dispatcher runs from dist/.
'use strict';
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')),
  );
  process.on('SIGCONT', () => session.post('Profiler.stop', () => session.post('Profiler.start')));
  process.on('SIGUSR2', () =>
    session.post('Profiler.stop', (error, result) => {
      if (error) return process.stderr.write(`cpu profile not taken: ${error.message}\n`);
      const file = join(dir, `dispatcher-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
      process.stderr.write(`cpu profile written to ${file}\n`);
    }),
  );
}
