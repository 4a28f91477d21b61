import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import {
  answerClientErrors,
  envelopeFinalHandler,
  jsonBodiesOnly,
  limitSlowRequests,
} from './common/http/http-edges';
import { hardenOpenApiDocument } from './common/http/openapi-hardening';
import { requestIdOf } from './common/http/request-id';
import { UndeclaredInputGuard } from './common/http/undeclared-input.guard';
import { RequestBudget } from './common/rate-limit/request-budget.middleware';
import { buildAsyncApiDocument } from './realtime/asyncapi';
import { ScaleOut } from './realtime/scale-out';
import { AppIoAdapter } from './realtime/socket-io.adapter';
import type { RootConfig } from './config/configuration';

/** The REST prefix and the routes outside it (also used by scripts/openapi-document.js). */
export const API_PREFIX = 'api';
export const API_PREFIX_EXCLUDE = ['health', 'metrics'];

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Messaging API')
    .setDescription(
      'Real-time messaging backend. REST under /api with the envelope `{success, data, pagination?}` or ' +
        '`{success: false, error: {code, message, details?}}`; realtime over Socket.IO on path `/ws` ' +
        '(see docs/websocket-events.md and /docs/asyncapi.json).',
    )
    .setVersion('1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'The `accessToken` of login or refresh, sent as `Authorization: Bearer <token>`. A JWS ' +
        'following the JSON Web Token Best Current Practices of RFC8725: signed with HS256 only (the ' +
        'algorithm is pinned on verification, so `alg: none` and algorithm confusion are refused), ' +
        'issuer `messaging-api` and audience `messaging-api-clients` checked, expiring after 15 ' +
        'minutes (`exp`); the session it names (`sid`) must still be active. Renew it with ' +
        'POST /api/auth/refresh and the refresh token (30 days, rotated on every use).',
    })
    .build();
  return hardenOpenApiDocument(SwaggerModule.createDocument(app, config), `/${API_PREFIX}`);
}

/** Everything main.ts and the e2e tests share: the app as clients see it. */
export async function configureApp(app: NestExpressApplication): Promise<void> {
  const config = app.get<ConfigService<RootConfig, true>>(ConfigService);
  const appConfig = config.get('app', { infer: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use((request: Request, response: Response, next: NextFunction) => {
    requestIdOf(request, response);
    next();
  });
  app.set('trust proxy', 'loopback');
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.enableCors({ origin: appConfig.corsOrigins, credentials: appConfig.corsOrigins !== true });
  // The general request budget and its RateLimit headers, before the body checks (so 413s and 415s
  // carry them and count).
  app.use('/api', app.get(RequestBudget).middleware);
  app.use(jsonBodiesOnly({ multipartPaths: ['/api/attachments'] }));
  app.useBodyParser('json', { limit: appConfig.bodyLimit });
  // Registered so Nest does not add its default form parser; jsonBodiesOnly refuses form bodies first.
  app.useBodyParser('urlencoded', { limit: appConfig.bodyLimit, extended: false });
  // After the global JWT guard: a caller without a token hears 401 before anything about the input.
  app.useGlobalGuards(new UndeclaredInputGuard());
  envelopeFinalHandler(app.getHttpAdapter().getInstance());
  answerClientErrors(app.getHttpServer());
  limitSlowRequests(app.getHttpServer());
  app.setGlobalPrefix(API_PREFIX, { exclude: API_PREFIX_EXCLUDE });
  const asyncApi = buildAsyncApiDocument();
  // The Socket.IO contract, beside the OpenAPI one (registered before Swagger's /docs routes).
  app.use('/docs/asyncapi.json', (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' || request.path !== '/') {
      next();
      return;
    }
    response.json(asyncApi);
  });
  // Built on the first request for /docs or /docs-json (then kept), not on every start.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Messaging API',
  });
  app.useWebSocketAdapter(new AppIoAdapter(app, await ScaleOut.load(app)));
  app.enableShutdownHooks();
}

/**
 * body-parser rejects malformed or oversize bodies before Nest's pipeline; render those through the
 * same filter so they get the envelope too. Registered after routes (express error middleware).
 */
export function renderEarlyErrors(app: NestExpressApplication): void {
  const filter = new AllExceptionsFilter();
  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    filter.catch(error, {
      getType: () => 'http',
      switchToHttp: () => ({
        getRequest: () => request,
        getResponse: () => response,
        getNext: () => next,
      }),
    } as never);
  });
}
