import { Injectable, Logger } from '@nestjs/common';
import { ErrorCode } from '../../libs/contracts/src';
import { AppError } from '../common/errors/app-error';
import { handshakeInfoOf } from './socket-io.adapter';
import { TokenService } from '../auth/token.service';
import type { AppSocket } from './realtime.types';

/**
 * Socket.IO middleware: verifies the access token (from `auth.token`, else `?token=`) with the same
 * token service as HTTP, revoked sessions included. A failure rejects the handshake, so the client gets
 * `connect_error` with message `UNAUTHORIZED` and no unauthenticated socket ever connects.
 */
@Injectable()
export class SocketAuthMiddleware {
  private readonly logger = new Logger('SocketAuth');

  constructor(private readonly tokens: TokenService) {}

  readonly use = (socket: AppSocket, next: (error?: Error) => void): void => {
    this.authenticate(socket).then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof AppError)) {
          this.logger.error(`Handshake check failed: ${String(error)}`);
        }
        const refusal = new Error(ErrorCode.UNAUTHORIZED) as Error & { data?: unknown };
        refusal.data = {
          code: ErrorCode.UNAUTHORIZED,
          message: error instanceof AppError ? error.message : 'Authentication required',
        };
        next(refusal);
      },
    );
  };

  private async authenticate(socket: AppSocket): Promise<void> {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const fromAuth = typeof auth?.token === 'string' ? auth.token : undefined;
    const token = (fromAuth ?? handshakeInfoOf(socket.conn).queryToken)?.replace(/^Bearer\s+/i, '');
    socket.data.user = await this.tokens.verifyAccessToken(token);
  }
}
