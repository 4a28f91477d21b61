import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ErrorCode } from '../../libs/contracts/src';
import { AdmissionGate } from '../common/concurrency/admission-gate';
import type { RootConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';

export type HandshakeTransport = 'socket.io' | 'plain-ws';

/** What a refused handshake answers (Socket.IO `connect_error` data, the plain-ws 503 body + hint). */
export interface HandshakeRefusal {
  code: typeof ErrorCode.UNAVAILABLE;
  message: string;
  retryAfterMs: number;
}

/**
 * One admission gate for the handshakes of every transport (SPEC 6: messages keep priority over new
 * connections). A new connection is refused at once, before its token is checked or anything is read
 * from the database, while the event loop runs later than `realtime.connectLoopLagLimitMs` (lower
 * than the sends' bound, so connections give way first) or while `realtime.connectMaxInFlight`
 * handshakes are still being authenticated or set up (rooms, presence, catch-up). The refusal is
 * UNAVAILABLE with a spread retry hint; the clients come back later, the connected ones keep sending.
 */
@Injectable()
export class HandshakeAdmission implements OnModuleDestroy {
  private readonly gate: AdmissionGate;

  constructor(
    private readonly metrics: MetricsService,
    config: ConfigService<RootConfig, true>,
  ) {
    this.gate = new AdmissionGate({
      lagLimitMs: config.get('realtime.connectLoopLagLimitMs', { infer: true }),
      maxInFlight: config.get('realtime.connectMaxInFlight', { infer: true }),
    });
  }

  /**
   * Null when the handshake may go on (then `done()` must follow exactly once, when its token check
   * ends, whatever the outcome), else the refusal to answer.
   */
  admit(transport: HandshakeTransport): HandshakeRefusal | null {
    const refusal = this.gate.tryEnter();
    if (!refusal) {
      this.metrics.handshakesInFlight.set(this.gate.inFlight);
      return null;
    }
    this.metrics.handshakesRefused.inc({ reason: refusal.reason, transport });
    return {
      code: ErrorCode.UNAVAILABLE,
      message: 'The server is busy accepting connections, try again',
      retryAfterMs: refusal.retryAfterMs,
    };
  }

  /**
   * An authenticated connection's set-up (rooms, presence, catch-up) starts: counted in flight, never
   * refused (it was admitted before its token check). `done()` follows when it ends.
   */
  settingUp(): void {
    this.gate.enter();
    this.metrics.handshakesInFlight.set(this.gate.inFlight);
  }

  /** An admitted handshake's token check, or a connection's set-up, ended (whatever the outcome). */
  done(): void {
    this.gate.leave();
    this.metrics.handshakesInFlight.set(this.gate.inFlight);
  }

  /** Handshakes admitted and not yet done (tests). */
  get inFlight(): number {
    return this.gate.inFlight;
  }

  onModuleDestroy(): void {
    this.gate.stop();
  }
}
