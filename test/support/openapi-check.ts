// Every answer an API test gets is checked against the app's OpenAPI document: the operation is
// looked up in the document by method and path, and the answer validated with the zod schemas the
// document was generated from (the route tables in apps/*/src/api-contract). A status the
// operation does not list, or a body its schema refuses, fails the test that got it.
import { answerProblems, openApiPath, routeFor, type ApiRoute } from '@vowchat/platform';
import { dispatcherOpenApi, DISPATCHER_ROUTES } from '../../apps/dispatcher/src/api-contract/dispatcher-api';
import { producerOpenApi, PRODUCER_ROUTES } from '../../apps/producer/src/api-contract/producer-api';

export type ApiName = 'dispatcher' | 'producer';

const CONTRACTS: Record<ApiName, { routes: readonly ApiRoute[]; document: Record<string, unknown> }> = {
  dispatcher: { routes: DISPATCHER_ROUTES, document: dispatcherOpenApi() },
  producer: { routes: PRODUCER_ROUTES, document: producerOpenApi() },
};

export interface CheckedAnswer {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  /** Parsed JSON when the answer is JSON, else its text ('' when empty). */
  body: unknown;
}

/** Throws naming how `answer` breaks `api`'s contract; returns quietly when it keeps it. */
export function expectKeepsContract(api: ApiName, answer: CheckedAnswer): void {
  const { routes, document } = CONTRACTS[api];
  const route = routeFor(routes, answer.method, answer.path);
  const where = `${api}: ${answer.method} ${answer.path.slice(0, 200)} answered ${answer.status}`;
  if (!route) {
    // No such route: only the error shape may answer (404, or 401 before routing, ...).
    if (answer.status < 400) throw new Error(`${where}, but its OpenAPI document has no such operation`);
    const problems = answerProblems(
      { method: 'get', path: '', operationId: '', summary: '', access: 'public', responses: {} },
      answer.status,
      answer.contentType,
      answer.body,
    );
    if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
    return;
  }
  const paths = document.paths as Record<string, Record<string, { operationId?: string }>>;
  const operation = paths[openApiPath(route.path)]?.[route.method];
  if (operation?.operationId !== route.operationId)
    throw new Error(`${where}: the document has no operation ${route.operationId} at ${route.path}`);
  const problems = answerProblems(route, answer.status, answer.contentType, answer.body);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
}

/** The body of a fetch Response as the check takes it: JSON parsed when it is JSON, else the text. */
export async function readAnswer(
  response: Response,
): Promise<{ text: string; body: unknown; contentType: string | null }> {
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  let body: unknown = text;
  if (contentType?.startsWith('application/json') && text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { text, body, contentType };
}
