// Serves the producer's contract: GET /openapi.json and the /docs page (public).
import { Module } from '@nestjs/common';
import { apiDocsController } from '@vowchat/platform';
import { producerOpenApi } from './producer-api';

const document = producerOpenApi();

@Module({ controllers: [apiDocsController(() => document)] })
export class ApiContractModule {}
