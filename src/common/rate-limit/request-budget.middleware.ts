import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { NextFunction, Request, Response } from 'express';
import type { RootConfig } from '../../config/configuration';
import { AppError } from '../errors/app-error';
import { AllExceptionsFilter } from '../filters/all-exceptions.filter';
import { setRateLimitHeaders } from '../http/rate-limit-headers';
import { RateLimitService } from './rate-limit.service';

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * SPEC 3's general request budget: RATE_LIMIT_REQUESTS requests per minute over all /api routes,
 * counted per user when the bearer token's signature verifies and per client IP otherwise (sign-in,
 * bad or missing tokens). Mounted once on /api ahead of the body parser, so every /api answer,
 * including 401s, 404s, 413s and its own 429, carries the RateLimit headers.
 *
 * Only the token's signature and claims are checked here (a cheap HMAC, no session lookup): the
 * auth guard still does the full check. A token of a revoked session thus counts against its user.
 */
@Injectable()
export class RequestBudget {
  private readonly verifier: JwtService | undefined;
  private readonly filter = new AllExceptionsFilter();

  constructor(
    private readonly limits: RateLimitService,
    config: ConfigService<RootConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    this.verifier = auth.jwtSecret
      ? new JwtService({
          secret: auth.jwtSecret,
          verifyOptions: { algorithms: ['HS256'], issuer: auth.issuer, audience: auth.audience },
        })
      : undefined;
  }

  /** Express middleware; mount on `/api`. */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    if (!this.limits.isEnabled('requests')) {
      next();
      return;
    }
    this.limits.take('requests', this.keyOf(request)).then(
      (state) => {
        if (state) {
          setRateLimitHeaders(response, state);
        }
        if (state?.limited) {
          this.reject(AppError.rateLimited(state.resetSeconds), request, response, next);
          return;
        }
        next();
      },
      () => next(),
    );
  };

  /** `user:<id>` for a token that verifies, else `ip:<address>`. */
  keyOf(request: Request): string {
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (token && this.verifier) {
      try {
        const claims = this.verifier.verify<{ sub?: unknown }>(token);
        if (typeof claims.sub === 'string' && claims.sub !== '') {
          return `user:${claims.sub}`;
        }
      } catch {
        // Not a valid token: counted by IP like any anonymous request.
      }
    }
    return `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
  }

  private reject(error: AppError, request: Request, response: Response, next: NextFunction): void {
    this.filter.catch(error, {
      getType: () => 'http',
      switchToHttp: () => ({
        getRequest: () => request,
        getResponse: () => response,
        getNext: () => next,
      }),
    } as never);
  }
}
