// GET /openapi.json and GET /docs for either app: the document, and Swagger UI's own files served
// by the app itself (no CDN), public like the health probes. The page loads the document from the
// same origin; the token a reader types into "Authorize" goes only to this app.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Res, type Type } from '@nestjs/common';
import type { Response } from 'express';
import { Access } from '../api-token.guard';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'docs-init.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>API documentation</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/assets/docs-init.js"></script>
  </body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

let swaggerDir: string | undefined;
function assetBody(name: string): Buffer | string {
  if (name === 'docs-init.js') return INIT;
  swaggerDir ??= dirname(require.resolve('swagger-ui-dist/package.json'));
  return readFileSync(join(swaggerDir, name));
}

/** A controller serving `document` at /openapi.json and its Swagger UI page at /docs. */
export function apiDocsController(document: () => Record<string, unknown>): Type<unknown> {
  @Controller()
  @Access('public')
  class ApiDocsController {
    private readonly cache = new Map<string, Buffer | string>();

    @Get('openapi.json')
    @Header('cache-control', 'no-cache')
    openapi(): Record<string, unknown> {
      return document();
    }

    @Get('docs')
    page(@Res() response: Response): void {
      response.set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP }).send(PAGE);
    }

    @Get('docs/assets/:name')
    asset(@Param('name') name: string, @Res() response: Response): void {
      const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (type === undefined) throw new NotFoundException(`no docs asset ${name}`);
      let body = this.cache.get(name);
      if (body === undefined) this.cache.set(name, (body = assetBody(name)));
      response.set({
        'content-type': type,
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      });
      response.send(body);
    }
  }
  return ApiDocsController;
}
