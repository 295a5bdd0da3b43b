export * from './api-error';
export * from './error-response';
export * from './api-exception.filter';
export * from './openapi';
export * from './api-docs';
