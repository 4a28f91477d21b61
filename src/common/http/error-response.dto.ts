import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '../../../libs/contracts/src';

export class ErrorDetailDto {
  /** @example username */
  field!: string;
  /** @example username must be 3 to 32 characters of A-Z a-z 0-9 _ . - */
  message!: string;
}

export class ErrorBodyDto {
  @ApiProperty({ enum: Object.values(ErrorCode), example: ErrorCode.VALIDATION_FAILED })
  code!: ErrorCode;
  /** @example username must be 3 to 32 characters of A-Z a-z 0-9 _ . - */
  message!: string;
  @ApiPropertyOptional({ type: [ErrorDetailDto] })
  details?: ErrorDetailDto[];
  /** Correlates the response with the server log. @example 5b0c3a0e-0d1f-4f0e-9f41-3a8a1c2b7d10 */
  requestId?: string;
}

/** Every error response, whatever the route. */
export class ErrorResponseDto {
  @ApiProperty({ example: false })
  success!: false;
  error!: ErrorBodyDto;
}
