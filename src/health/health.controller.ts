import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../common/decorators/public.decorator';
import { RawResponse } from '../common/decorators/raw-response.decorator';
import { REDIS_CLIENT } from '../common/redis/redis.module';
import { MetricsService } from '../metrics/metrics.service';
import { HealthDto } from './health.dto';

type DependencyState = 'up' | 'down' | 'disabled';

/** totalUsers is informational: it is counted at most this often, never once per probe. */
const USER_COUNT_TTL_MS = 10_000;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
  ) {}

  private userCount: { value: number; at: number } | null = null;
  private userCountFill: Promise<number | null> | null = null;

  /** Liveness and readiness for load balancers: a bare object (no envelope), 503 when the database is down. */
  @Public()
  @RawResponse()
  @Get()
  @ApiOperation({ summary: 'Health check' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database is unreachable' })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthDto> {
    const [database, redis, totalUsers, connections] = await Promise.all([
      this.databaseState(),
      this.redisState(),
      this.countUsers(),
      this.metrics.socketConnections.get(),
    ]);
    const ok = database === 'up';
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: ok ? (redis === 'down' ? 'degraded' : 'ok') : 'error',
      timestamp: new Date().toISOString(),
      activeConnections: connections.values[0]?.value ?? 0,
      totalUsers,
      database,
      redis,
    };
  }

  private async databaseState(): Promise<'up' | 'down'> {
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 2_000 })]);
      return 'up';
    } catch {
      return 'down';
    }
  }

  private async redisState(): Promise<DependencyState> {
    if (!this.redis) {
      return 'disabled';
    }
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000).unref()),
      ]);
      return 'up';
    } catch {
      return 'down';
    }
  }

  /**
   * The user count, refreshed at most every USER_COUNT_TTL_MS by one query at a time (load balancers
   * probe often and in parallel). A stale value is answered while the refresh runs, so a slow or
   * unreachable database never makes the probe wait on it.
   */
  private async countUsers(): Promise<number | null> {
    if (this.userCount && Date.now() - this.userCount.at < USER_COUNT_TTL_MS) {
      return this.userCount.value;
    }
    this.userCountFill ??= this.dataSource
      .query<{ count: string }[]>('SELECT count(*)::text AS count FROM users')
      .then(
        (rows) => {
          const value = Number(rows[0]?.count ?? 0);
          this.userCount = { value, at: Date.now() };
          return value;
        },
        () => this.userCount?.value ?? null,
      )
      .finally(() => {
        this.userCountFill = null;
      });
    if (this.userCount) {
      return this.userCount.value;
    }
    return Promise.race([
      this.userCountFill,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000).unref()),
    ]);
  }
}
