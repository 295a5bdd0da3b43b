// GET /dashboard: the operator's live page. The page and its assets carry no data and are served
// without a token; every figure on it comes from the token-guarded APIs (the health API and
// GET /api/v1/operator/dashboard below), which the page calls with the token the operator typed in.
// Decision 0011 says why.
import {
  Controller,
  Get,
  Header,
  HttpException,
  HttpStatus,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { Access, ApiTokenGuard } from '@vowchat/platform';
import type { Request, Response } from 'express';
import { loadAssets, type Asset } from './dashboard-assets';
import { parseRangeQuery } from './dashboard-range';
import { PlatformDashboardService, type PlatformDashboardView } from './platform-dashboard.service';

/**
 * Scripts, styles, images and API calls from this origin only; no inline script, no framing. uPlot
 * styles its elements through the CSSOM (element.style), which style-src does not govern.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

@Controller('dashboard')
export class DashboardPageController {
  private readonly assets = loadAssets();

  @Get()
  page(@Req() request: Request, @Res() response: Response): void {
    this.send('index.html', request, response);
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Req() request: Request, @Res() response: Response): void {
    if (name === 'index.html' || !this.assets.has(name))
      throw new NotFoundException(`no dashboard asset ${name}`);
    this.send(name, request, response);
  }

  private send(name: string, request: Request, response: Response): void {
    const asset = this.assets.get(name) as Asset;
    response.set({
      'content-type': asset.contentType,
      etag: asset.etag,
      // Revalidated every load (a 304 costs a round trip, not the bytes), so a new build shows at once.
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    if (request.headers['if-none-match'] === asset.etag) {
      response.status(304).end();
      return;
    }
    response.status(200).send(asset.body);
  }
}

@Controller('api/v1/operator/dashboard')
@UseGuards(ApiTokenGuard)
@Access('operator')
export class DashboardApiController {
  constructor(private readonly platform: PlatformDashboardService) {}

  /** The platform's delivery series and gauge history over `?range=15m|1h|24h|7d` (default 1h). */
  @Get()
  @Header('cache-control', 'no-store')
  async view(@Query() query: Record<string, unknown>): Promise<PlatformDashboardView> {
    const parsed = parseRangeQuery(query);
    if (!parsed.ok) {
      const fields = parsed.problems.map((p) => p.field).join(', ');
      throw new HttpException(
        {
          statusCode: 400,
          error: 'Bad Request',
          message: `fix the query parameter(s): ${fields}`,
          problems: parsed.problems,
        },
        HttpStatus.BAD_REQUEST,
      );
    }
    return this.platform.view(parsed.value);
  }
}
