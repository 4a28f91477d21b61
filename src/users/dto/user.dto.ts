import { ApiDateTime, ApiUuid } from '../../common/http/api-docs';
import { ApiProperty } from '@nestjs/swagger';
import type { PresenceStatus, PublicUser, User, UserStatus } from '../../../libs/contracts/src';

const STATUSES = ['online', 'away', 'offline'];

export class PublicUserDto implements PublicUser {
  /** @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  @ApiUuid()
  id!: string;
  /** @example john_doe */
  @ApiProperty({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]{3,32}$' })
  username!: string;
  @ApiProperty({ enum: STATUSES, example: 'online' })
  status!: PresenceStatus;
  /** Last time the user was connected; null if never. @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime({ nullable: true })
  lastSeen!: string | null;
}

export class UserStatusDto extends PublicUserDto implements UserStatus {}

export class UserDto extends PublicUserDto implements User {
  /** @example john@example.com */
  @ApiProperty({ format: 'email', maxLength: 254 })
  email!: string;
  /** @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime()
  createdAt!: string;
}
