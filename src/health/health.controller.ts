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
import { Public } from '../common/decorators/public.decorator';
import { RawResponse } from '../common/decorators/raw-response.decorator';
import { REDIS_CLIENT } from '../common/redis/redis.module';
import { DatabaseProbe } from '../database/database-probe';
import { MetricsService } from '../metrics/metrics.service';
import { HealthDto } from './health.dto';

type DependencyState = 'up' | 'down' | 'disabled';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly probe: DatabaseProbe,
    private readonly metrics: MetricsService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
  ) {}

  /** Liveness and readiness for load balancers: a bare object (no envelope), 503 when the database is down. */
  @Public()
  @RawResponse()
  @Get()
  @ApiOperation({
    summary: 'Health check',
    description:
      'Public, outside /api, and a bare object without the success envelope (load balancers read it). 200 ' +
      'with `status` `ok`, or `degraded` when Redis is configured but unreachable; 503 with `status` ' +
      '`error` when the database is unreachable.',
  })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database is unreachable' })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthDto> {
    const [database, redis, totalUsers, connections] = await Promise.all([
      this.databaseState(),
      this.redisState(),
      this.probe.countUsers(),
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
}
