import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '../../../libs/contracts/src';

/*
 * The bounds below are what the server can produce, not what it usually does: a field name (and so
 * a message naming it) comes from the request body, which is at most 64 KiB.
 */
const MAX_FIELD_LENGTH = 64 * 1024;
const MAX_MESSAGE_LENGTH = 2 * MAX_FIELD_LENGTH + 256;

export class ErrorDetailDto {
  /** @example username */
  @ApiProperty({ maxLength: MAX_FIELD_LENGTH })
  field!: string;
  /** @example username must be 3 to 32 characters of A-Z a-z 0-9 _ . - */
  @ApiProperty({ maxLength: MAX_MESSAGE_LENGTH })
  message!: string;
}

export class ErrorBodyDto {
  @ApiProperty({ enum: Object.values(ErrorCode), example: ErrorCode.VALIDATION_FAILED })
  code!: ErrorCode;
  /** @example username must be 3 to 32 characters of A-Z a-z 0-9 _ . - */
  @ApiProperty({ maxLength: MAX_MESSAGE_LENGTH })
  message!: string;
  /** One per failed rule, each naming a field of the (at most 64 KiB) body. */
  @ApiPropertyOptional({ type: [ErrorDetailDto], maxItems: MAX_FIELD_LENGTH })
  details?: ErrorDetailDto[];
  /** Correlates the response with the server log. @example 5b0c3a0e-0d1f-4f0e-9f41-3a8a1c2b7d10 */
  @ApiPropertyOptional({ maxLength: 64, pattern: '^[A-Za-z0-9._-]{1,64}$' })
  requestId?: string;
}

/** Every error response, whatever the route. */
export class ErrorResponseDto {
  @ApiProperty({ example: false })
  success!: false;
  error!: ErrorBodyDto;
}
