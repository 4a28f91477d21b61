import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RateLimitService } from '../common/rate-limit/rate-limit.service';

/** RATE_LIMIT_AUTH: register, login and refresh requests per minute per client IP. */
@Injectable()
export class AuthRateLimitGuard implements CanActivate {
  constructor(private readonly rateLimits: RateLimitService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.rateLimits.consume('auth', request.ip ?? request.socket.remoteAddress ?? 'unknown');
    return true;
  }
}
