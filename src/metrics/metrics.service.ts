import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerGcMetrics } from './runtime-metrics';

/**
 * Event-loop delay sampling step (ms) for prom-client's `nodejs_eventloop_lag_{min,max,mean,p50,p90,p99}_seconds`
 * (reset at each scrape): 1 ms instead of its 10 ms default, so short stalls are resolved too.
 */
const EVENT_LOOP_RESOLUTION_MS = 1;

/** Every Prometheus series the service exports, in one registry. */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly stopGcMetrics: () => void;

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly socketConnections = new Gauge({
    name: 'ws_connections',
    help: 'Socket.IO connections currently open on this instance',
    registers: [this.registry],
  });

  readonly messagesSent = new Counter({
    name: 'messages_sent_total',
    help: 'Messages stored (HTTP and socket)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly messagesDelivered = new Counter({
    name: 'messages_delivered_total',
    help: 'Message events emitted to recipient sockets (one per message per recipient user)',
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'message_delivery_latency_seconds',
    help: 'Time from commit to hand-off to the socket layer',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly messageBatchSize = new Histogram({
    name: 'message_write_batch_size',
    help: 'Messages committed per group-commit transaction',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });

  readonly messageWriteDuration = new Histogram({
    name: 'message_write_duration_seconds',
    help: 'Time one group-commit transaction took in PostgreSQL (round trip to commit); a stall here holds every send queued behind it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly shed = new Counter({
    name: 'requests_shed_total',
    help: 'Requests answered 503 UNAVAILABLE at once because a bound was reached (admission control)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly handshakesRefused = new Counter({
    name: 'ws_handshakes_refused_total',
    help: 'New connections (Socket.IO and plain WebSocket) refused UNAVAILABLE at once by the connect admission gate',
    labelNames: ['reason', 'transport'] as const,
    registers: [this.registry],
  });

  readonly handshakesInFlight = new Gauge({
    name: 'ws_handshakes_in_flight',
    help: 'Admitted connections still being authenticated or set up (rooms, presence, catch-up)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({
      register: this.registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS,
    });
    this.stopGcMetrics = registerGcMetrics(this.registry);
  }

  onModuleDestroy(): void {
    this.stopGcMetrics();
  }
}
