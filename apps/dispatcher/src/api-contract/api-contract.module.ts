// Serves the dispatcher's contract: GET /openapi.json and the /docs page (public).
import { Module } from '@nestjs/common';
import { apiDocsController } from '@vowchat/platform';
import { dispatcherOpenApi } from './dispatcher-api';

const document = dispatcherOpenApi();

@Module({ controllers: [apiDocsController(() => document)] })
export class ApiContractModule {}
