// An API's contract as a small route table (method, path, access, the zod schemas of its params,
// query, body and answers), from which its OpenAPI 3.1 document is generated (zod 4 writes JSON
// Schema 2020-12, which 3.1 takes as is) and against which tests check every answer they get.
import { z } from 'zod';
import type { RouteAccess } from '../credentials/principal';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ApiAnswer {
  description: string;
  /** The body's schema; absent for an empty body. */
  schema?: z.ZodType;
  /** application/json unless told (text/html, text/plain). */
  contentType?: string;
}

export interface ApiRoute {
  method: HttpMethod;
  /** As Nest and express write it: `/api/v1/accounts/:account_id/webhooks`. */
  path: string;
  operationId: string;
  summary: string;
  access: RouteAccess;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (lower-case names), beyond the credentials. */
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** By status; every route also answers errors in the one error shape (errorBodySchema). */
  responses: Record<number, ApiAnswer>;
}

export const fieldProblemSchema = z.object({ field: z.string(), message: z.string() });

/** The one error shape of both apps (api-error.ts). */
export const errorBodySchema = z.strictObject({
  error: z.string().regex(/^[a-z_]+$/),
  message: z.string().min(1),
  problems: z.array(fieldProblemSchema),
});

const ACCESS_TEXT: Record<RouteAccess, string> = {
  public: 'Public: no token.',
  account: "An account's token (that account only), or the operator token.",
  publish: "An account's token (that account only), a service token, or the operator token.",
  operator: 'The operator token only.',
};

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(
  info: { title: string; version: string; description: string },
  routes: readonly ApiRoute[],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...parametersOf(route.params, 'path'),
      ...parametersOf(route.query, 'query'),
      ...parametersOf(route.headers, 'header'),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(route.responses)) responses[status] = responseOf(answer);
    responses.default = responseOf({
      description: 'An error, in the one error shape.',
      schema: errorBodySchema,
    });
    (paths[openApiPath(route.path)] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      description: ACCESS_TEXT[route.access],
      ...(route.access === 'public' ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        api_access_token: { type: 'apiKey', in: 'header', name: 'api_access_token' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ api_access_token: [] }, { bearer: [] }],
    paths,
  };
}

/** `/a/:b/c` as OpenAPI writes it: `/a/{b}/c`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The route of `routes` that serves `method` on the concrete `path` (query string ignored). */
export function routeFor(routes: readonly ApiRoute[], method: string, path: string): ApiRoute | undefined {
  const bare = path.split('?')[0];
  return routes.find(
    (r) =>
      r.method === method.toLowerCase() &&
      new RegExp(
        `^${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`,
      ).test(bare),
  );
}

/**
 * Problems with an answer `route` gave, against its contract: a status it does not declare (errors
 * excepted), or a body its schema refuses. Empty when the answer keeps the contract.
 */
export function answerProblems(
  route: ApiRoute,
  status: number,
  contentType: string | null,
  body: unknown,
): string[] {
  const answer: ApiAnswer | undefined = route.responses[status];
  const where = `${route.method.toUpperCase()} ${route.path} answered ${status}`;
  if (!answer) {
    if (status < 400) return [`${where}, a status its contract does not list`];
    const error = errorBodySchema.safeParse(body);
    return error.success
      ? []
      : [`${where} with an error body not in the error shape: ${z.prettifyError(error.error)}`];
  }
  const expectedType = answer.contentType ?? 'application/json';
  if (answer.schema && !(contentType ?? '').startsWith(expectedType))
    return [`${where} as ${contentType}, not ${expectedType}`];
  if (!answer.schema)
    return body === undefined || body === '' ? [] : [`${where} with a body; its contract has none`];
  const parsed = answer.schema.safeParse(body);
  return parsed.success
    ? []
    : [`${where} with a body its contract refuses: ${z.prettifyError(parsed.error)}`];
}

function responseOf(answer: ApiAnswer): Record<string, unknown> {
  if (!answer.schema) return { description: answer.description };
  return {
    description: answer.description,
    content: { [answer.contentType ?? 'application/json']: { schema: jsonSchema(answer.schema, 'output') } },
  };
}

function parametersOf(schema: z.ZodObject | undefined, location: 'path' | 'query' | 'header'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // Checks JSON Schema cannot say (refinements, transforms) are left out: the schema stays the truth.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** GET /openapi.json, /docs and its assets (libs/platform/src/http/api-docs.ts), in either app's table. */
export function apiDocsRoutes(): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This document',
      access: 'public',
      responses: {
        200: {
          description: 'The OpenAPI 3.1 document',
          schema: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
        },
      },
    },
    {
      method: 'get',
      path: '/docs',
      operationId: 'docs',
      summary: 'This document as an interactive page (Swagger UI)',
      access: 'public',
      responses: { 200: { description: 'The page', schema: z.string(), contentType: 'text/html' } },
    },
    {
      method: 'get',
      path: '/docs/assets/:name',
      operationId: 'docsAsset',
      summary: "The page's scripts and styles",
      access: 'public',
      params: z.object({ name: z.string() }),
      responses: { 200: { description: 'The asset', schema: z.unknown(), contentType: '' } },
    },
  ];
}

const terminusAnswer = z.looseObject({ status: z.enum(['ok', 'error', 'shutting_down']) });

/** GET /health/live, /health/ready (terminus's answers) and /metrics, the probes both apps serve. */
export function probeRoutes(readySummary: string): ApiRoute[] {
  const probe = (path: string, operationId: string, summary: string, down: string): ApiRoute => ({
    method: 'get',
    path,
    operationId,
    summary,
    access: 'public',
    responses: {
      200: { description: 'Up', schema: terminusAnswer },
      503: { description: down, schema: terminusAnswer },
    },
  });
  return [
    probe('/health/live', 'live', 'The process serves', 'Down'),
    probe('/health/ready', 'ready', readySummary, 'Not ready, naming the failed checks'),
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      access: 'public',
      responses: {
        200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain' },
      },
    },
  ];
}
