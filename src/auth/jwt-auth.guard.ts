import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '../common/decorators/public.decorator';
import { AppError } from '../common/errors/app-error';
import { isDependencyUnavailable } from '../common/errors/dependency-error';

/** Global and deny-by-default: every HTTP route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (context.getType() !== 'http') {
      return true;
    }
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      return true;
    }
    return super.canActivate(context);
  }

  /**
   * Passport reports a bad token as "no user" and a failure inside validation (the session lookup) as
   * an error. Only the first is a 401: a database that cannot be reached is 503 UNAVAILABLE and any
   * other failure a 500, so clients never sign a user out because the server had trouble.
   */
  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof AppError) {
      throw error;
    }
    if (error instanceof Error) {
      throw isDependencyUnavailable(error)
        ? AppError.unavailable('The access token could not be checked, try again shortly', 2)
        : error;
    }
    if (error) {
      throw new Error('Authentication failed with a non-Error value');
    }
    if (!user) {
      throw AppError.unauthorized('Missing, invalid or expired access token');
    }
    return user;
  }
}
