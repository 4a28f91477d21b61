import type { IncomingMessage } from 'node:http';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import { AttachmentsModule } from './attachments/attachments.module';
import { AuthModule } from './auth/auth.module';
import { BlocksModule } from './blocks/blocks.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { EnvelopeInterceptor } from './common/http/envelope.interceptor';
import { requestIdOf } from './common/http/request-id';
import { createValidationPipe } from './common/http/validation';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import { RedisModule } from './common/redis/redis.module';
import { configNamespaces, type RootConfig } from './config/configuration';
import { validateEnv } from './config/env.schema';
import { DatabaseModule } from './database/database.module';
import { GroupsModule } from './groups/groups.module';
import { HealthModule } from './health/health.module';
import { MessageLifecycleModule } from './messaging/lifecycle/lifecycle.module';
import { MessagingModule } from './messaging/messaging.module';
import { SearchModule } from './search/search.module';
import { RealtimeModule } from './realtime/realtime.module';
import { MetricsModule } from './metrics/metrics.module';
import { PresenceModule } from './presence/presence.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      ignoreEnvFile: true,
      load: configNamespaces,
      validate: (raw) => {
        validateEnv(raw);
        return raw;
      },
    }),
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<RootConfig, true>) => ({
        pinoHttp: {
          level: config.get('app.logLevel', { infer: true }),
          genReqId: (request: IncomingMessage, response) => requestIdOf(request, response),
          redact: {
            paths: [
              'req.headers.authorization',
              'req.headers.cookie',
              'req.query.token',
              'req.body.password',
              'req.body.refreshToken',
              'res.headers["set-cookie"]',
            ],
            censor: '[redacted]',
          },
          serializers: {
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            // The raw URL may carry ?token= (Socket.IO handshakes): log the path only.
            req: (req: { id: string; method: string; url: string }) => ({
              id: req.id,
              method: req.method,
              url: req.url?.split('?')[0],
            }),
          },
          autoLogging: {
            ignore: (request: IncomingMessage) =>
              request.url === '/health' ||
              request.url === '/metrics' ||
              (request.url ?? '').startsWith('/ws'),
          },
          customLogLevel: (_request, response, error) =>
            error || response.statusCode >= 500
              ? 'error'
              : response.statusCode >= 400
                ? 'warn'
                : 'info',
        },
      }),
    }),
    EventEmitterModule.forRoot({ wildcard: false, maxListeners: 20 }),
    RedisModule,
    RateLimitModule,
    MetricsModule,
    // First of the feature modules (AuthModule imports UsersModule): routes register in module
    // order, and `GET /api/users/blocked` must come before `GET /api/users/:userID`.
    BlocksModule,
    DatabaseModule,
    HealthModule,
    AuthModule,
    UsersModule,
    GroupsModule,
    MessagingModule,
    AttachmentsModule,
    SearchModule,
    MessageLifecycleModule,
    PresenceModule,
    RealtimeModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
  ],
})
export class AppModule {}
