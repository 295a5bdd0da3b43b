// The one shape of every error this API answers: a stable machine code, one sentence a person can
// act on, and for payload problems the fields at fault.
import type { FieldProblem } from '@vowchat/events';

export interface ErrorBody {
  error: string;
  message: string;
  problems?: FieldProblem[];
}

/** An error answer: the status, the JSON body and, for transient failures, when to retry. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

/** Thrown by handlers to answer with exactly this error; the exception filter renders it. */
export class ApiError extends Error {
  constructor(readonly response: ErrorResponse) {
    super(response.body.message);
    this.name = 'ApiError';
  }
}

/** Builds an ErrorResponse without the boilerplate. */
export function errorResponse(
  status: number,
  error: string,
  message: string,
  problems?: FieldProblem[],
): ErrorResponse {
  return { status, body: problems ? { error, message, problems } : { error, message } };
}
