// Progress lines on stderr with the time of day, so stdout keeps only the tables.
let sink: (line: string) => void = (line) => void process.stderr.write(line);

/** One progress line. */
export function log(message: string): void {
  sink(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** Sends progress lines elsewhere (the jest test keeps them quiet); returns the previous sink. */
export function setProgressSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}
