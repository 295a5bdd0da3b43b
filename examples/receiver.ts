// A webhook receiver in the spirit of the spec's Express example: it verifies the signature, drops
// duplicates by event id, answers 200 at once and processes asynchronously. The demo runs it; copy
// it as a starting point. Plain node:http, no framework needed.
//
//   WEBHOOK_SECRET=whsec_... PORT=4000 node dist/examples/receiver.js
import { createServer } from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '@vowchat/events';

const secret = process.env.WEBHOOK_SECRET;
const port = Number(process.env.PORT ?? 4000);
if (!secret) {
  console.error('WEBHOOK_SECRET is required: the secret returned when the webhook was created');
  process.exit(1);
}

// Remembers recent event ids; a real receiver keeps them in its database with a unique index.
const seen = new Set<string>();

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/vowchat-webhook') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let event: { event?: string };
    try {
      event = verifyWebhook(secret, req.headers, body) as { event?: string };
    } catch (error) {
      // Reject what VowChat did not sign (4xx: VowChat will not retry it).
      const reason = error instanceof WebhookVerificationError ? error.message : 'unreadable request';
      console.log(JSON.stringify({ msg: 'rejected', reason }));
      res.writeHead(400).end(reason);
      return;
    }
    const eventId = String(req.headers['webhook-id']);
    const duplicate = seen.has(eventId);
    seen.add(eventId);
    // Respond quickly (the spec: 200 within 5 s), then process.
    res.writeHead(200).end('OK');
    if (duplicate) {
      console.log(JSON.stringify({ msg: 'duplicate ignored', event_id: eventId }));
      return;
    }
    setImmediate(() =>
      console.log(JSON.stringify({ msg: 'received', event: event.event, event_id: eventId, payload: event })),
    );
  });
});

server.listen(port, '127.0.0.1', () =>
  console.log(JSON.stringify({ msg: 'receiver listening', url: `http://127.0.0.1:${port}/vowchat-webhook` })),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
