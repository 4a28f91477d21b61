import { Global, Module } from '@nestjs/common';
import { RateLimitService } from './rate-limit.service';
import { RequestBudget } from './request-budget.middleware';

@Global()
@Module({
  providers: [RateLimitService, RequestBudget],
  exports: [RateLimitService, RequestBudget],
})
export class RateLimitModule {}
