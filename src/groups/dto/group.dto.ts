import { ApiDateTime, ApiUuid } from '../../common/http/api-docs';
import { ApiProperty } from '@nestjs/swagger';
import type {
  Group,
  GroupMember,
  GroupMembership,
  GroupRole,
  GroupVisibility,
  LeaveGroupResult,
  PresenceStatus,
} from '../../../libs/contracts/src';

const ROLES: GroupRole[] = ['owner', 'admin', 'member'];

export class GroupDto implements Group {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  @ApiUuid()
  id!: string;
  // The Swagger plugin drops the @example of a property called `name`; state it explicitly.
  @ApiProperty({ example: 'Backend team', minLength: 1, maxLength: 100 })
  name!: string;
  /** @example Where the backend team talks shop */
  @ApiProperty({ type: String, maxLength: 500, nullable: true })
  description!: string | null;
  @ApiProperty({ enum: ['public', 'private'], example: 'public' })
  visibility!: GroupVisibility;
  /** The user who created the group (taken from their access token). @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  @ApiUuid()
  createdBy!: string;
  /** Current members; 0 once everyone has left (the group is kept). @example 3 */
  memberCount!: number;
  /** The group's conversation: pass it (or the group id) to the message history routes. @example 9b2d1c4e-3f5a-4b6c-8d7e-0f1a2b3c4d5e */
  @ApiUuid()
  conversationID!: string;
  /** @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime()
  createdAt!: string;
}

/** A group in the caller's list, with the caller's role in it. */
export class MyGroupDto extends GroupDto {
  @ApiProperty({ enum: ROLES, example: 'owner' })
  role!: GroupRole;
}

export class GroupMemberDto implements GroupMember {
  /** @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  @ApiUuid()
  userID!: string;
  /** @example john_doe */
  @ApiProperty({ minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9_.-]{3,32}$' })
  username!: string;
  @ApiProperty({ enum: ROLES, example: 'member' })
  role!: GroupRole;
  @ApiProperty({ enum: ['online', 'away', 'offline'], example: 'online' })
  status!: PresenceStatus;
  /** When this membership began (a member who left and came back starts again). @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime()
  joinedAt!: string;
}

export class GroupMembershipDto implements GroupMembership {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  @ApiUuid()
  groupID!: string;
  /** @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  @ApiUuid()
  userID!: string;
  @ApiProperty({ enum: ROLES, example: 'member' })
  role!: GroupRole;
  /** @example 2026-01-15T10:30:00.000Z */
  @ApiDateTime()
  joinedAt!: string;
}

export class LeaveGroupResultDto implements LeaveGroupResult {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  @ApiUuid()
  groupID!: string;
  /** @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  @ApiUuid()
  userID!: string;
  /** @example true */
  left!: true;
  /** Set when the owner left and ownership passed to the longest-standing member; null otherwise. @example 1b4e28ba-2fa1-11d2-883f-0016d3cca427 */
  @ApiUuid({ nullable: true })
  newOwnerID!: string | null;
}

export class RemoveMemberResultDto {
  /** @example 7c9e6679-7425-40de-944b-e07fc1f90ae7 */
  @ApiUuid()
  groupID!: string;
  /** @example 0f8fad5b-d9cb-469f-a165-70867728950e */
  @ApiUuid()
  userID!: string;
  /** @example true */
  removed!: true;
}
