import { Injectable, Logger } from '@nestjs/common';
import { mapError } from '../common/errors/error-mapping';
import { HandshakeAdmission } from './handshake-admission';
import { handshakeInfoOf } from './socket-io.adapter';
import { TokenService } from '../auth/token.service';
import type { AppSocket } from './realtime.types';

/**
 * Socket.IO middleware: verifies the access token (from `auth.token`, else `?token=`) with the same
 * token service as HTTP, revoked sessions included. A failure rejects the handshake, so the client gets
 * `connect_error` with message `UNAUTHORIZED` and no unauthenticated socket ever connects. When the
 * token could not be checked (the database is unreachable) the message is `UNAVAILABLE` with
 * `data.retryAfterMs` instead: the client should retry, not sign the user out. Before any of that,
 * HandshakeAdmission may refuse the connection for now (the loop is late, or too many handshakes are
 * in flight): `UNAVAILABLE` with a spread `retryAfterMs`, at the cost of a few comparisons.
 */
@Injectable()
export class SocketAuthMiddleware {
  private readonly logger = new Logger('SocketAuth');

  constructor(
    private readonly tokens: TokenService,
    private readonly admission: HandshakeAdmission,
  ) {}

  readonly use = (socket: AppSocket, next: (error?: Error) => void): void => {
    const busy = this.admission.admit('socket.io');
    if (busy) {
      next(Object.assign(new Error(busy.code), { data: busy }));
      return;
    }
    this.authenticate(socket).then(
      () => {
        this.admission.done();
        next();
      },
      (error: unknown) => {
        this.admission.done();
        const mapped = mapError(error);
        const code = mapped.body.code;
        if (mapped.unexpected) {
          this.logger.error(`Handshake check failed: ${String(error)}`);
        }
        const refusal = new Error(code) as Error & { data?: unknown };
        refusal.data = {
          code,
          message: mapped.body.message,
          ...(mapped.retryAfterSeconds !== undefined
            ? { retryAfterMs: mapped.retryAfterSeconds * 1000 }
            : {}),
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
    // The token is not needed again (socket.data.user is the identity): not kept per socket.
    socket.handshake.auth = {};
  }
}
