// `npm run tokens -- create|list|revoke ...`: the operator's command for issued API tokens. It calls
// the dispatcher's operator API (so the CLI and the API share one write path, and the change reaches
// every instance the same way); the answer is printed as JSON on stdout.
import { parseTokensArgs, USAGE, UsageError } from './tokens-args';

async function main(): Promise<number> {
  let request;
  try {
    request = parseTokensArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const response = await fetch(request.baseUrl + request.path, {
    method: request.method,
    headers: { authorization: `Bearer ${request.operatorToken}`, 'content-type': 'application/json' },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  const text = await response.text();
  if (!response.ok) {
    process.stderr.write(`${request.method} ${request.path}: ${response.status} ${text}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  if (request.method === 'POST')
    process.stderr.write('the token is shown only this once: store it now (it is kept hashed)\n');
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    process.stderr.write(`tokens: ${error.message}\n`);
    process.exitCode = 1;
  },
);
