import { ApiDateTime } from '../common/http/api-docs';

export class HealthDto {
  /** `ok`, `degraded` (Redis down: this instance serves its own clients only) or `error` (database down). */
  status!: 'ok' | 'degraded' | 'error';
  /** @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime()
  timestamp!: string;
  /** Socket.IO connections open on this instance. */
  activeConnections!: number;
  /** Registered users, or null when the database cannot be read. */
  totalUsers!: number | null;
  database!: 'up' | 'down';
  /** `disabled` when REDIS_URL is not set. */
  redis!: 'up' | 'down' | 'disabled';
}
