// Counts every refused events-API request once it is answered, whoever refused it: the body
// parser (413), the token guard (401), validation (400/422) or Kafka (503). Registered before the
// body parser, so refusals raised there are seen too.
import type { NextFunction, Request, Response } from 'express';
import type { ProducerMetrics } from './producer-metrics';
import { refusalReasonOf } from './refusal-reason';

export function countRefusals(metrics: Pick<ProducerMetrics, 'refused'>) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.path.startsWith('/api/')) {
      response.once('finish', () => {
        const reason = refusalReasonOf(response.statusCode);
        if (reason !== null) metrics.refused.inc({ reason });
      });
    }
    next();
  };
}
