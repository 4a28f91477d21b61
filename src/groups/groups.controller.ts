import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type {
  Group,
  GroupMember,
  GroupMembership,
  LeaveGroupResult,
} from '../../libs/contracts/src';
import { CurrentUser, type AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ErrorCode } from '../common/errors/app-error';
import { ApiErrors, ApiSuccess, MAX_PAGE_SIZE } from '../common/http/api-docs';
import { Paginated } from '../common/http/paginated';
import { uuidPipe } from '../common/http/uuid-pipe';
import { AddMemberDto } from './dto/add-member.dto';
import { CreateGroupDto } from './dto/create-group.dto';
import {
  GroupDto,
  GroupMemberDto,
  GroupMembershipDto,
  LeaveGroupResultDto,
  MyGroupDto,
  RemoveMemberResultDto,
} from './dto/group.dto';
import { ListMembersDto } from './dto/list-members.dto';
import { UpdateMemberRoleDto } from './dto/update-member-role.dto';
import { GroupAdminService, type RemoveMemberResult } from './group-admin.service';
import { GroupMembershipService } from './group-membership.service';
import { GroupQueriesService, type MyGroup } from './group-queries.service';

@ApiTags('groups')
@ApiBearerAuth()
@Controller('groups')
export class GroupsController {
  constructor(
    private readonly admin: GroupAdminService,
    private readonly membership: GroupMembershipService,
    private readonly queries: GroupQueriesService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a group; the caller becomes its owner',
    description:
      "`visibility` defaults to `public`. The group's conversation is created with it (`conversationID`), " +
      "the caller is its first member (`memberCount` 1), and the caller's sockets get group_member_joined.",
  })
  @ApiSuccess(GroupDto, { status: 201 })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async create(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: CreateGroupDto,
  ): Promise<Group> {
    return this.admin.create(caller.userId, body);
  }

  @Get()
  @ApiOperation({
    summary: "The caller's groups, most recently joined first, with the caller's role",
    description:
      'Every group the caller is a member of now, in one list without paging; groups they left or were ' +
      'removed from are not included. `role` is `owner`, `admin` or `member`.',
  })
  @ApiSuccess(MyGroupDto, { isArray: true })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  async mine(@CurrentUser() caller: AuthenticatedUser): Promise<MyGroup[]> {
    return this.queries.listMine(caller.userId);
  }

  @Get(':groupID')
  @ApiOperation({
    summary: 'A group (a private group is NOT_FOUND to non-members)',
    description:
      'Any signed-in user may read a public group, member or not. A private group answers non-members ' +
      'exactly like an unknown id (404, never 403), so its existence is not revealed.',
  })
  @ApiSuccess(GroupDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async get(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
  ): Promise<Group> {
    return this.queries.get(caller.userId, groupId);
  }

  @Get(':groupID/members')
  @ApiOperation({
    summary: 'Members by seniority, cursor paged',
    description:
      "Anyone signed in may list a public group's members; a private group's only its members " +
      '(NOT_FOUND otherwise). Pass `pagination.nextCursor` as `cursor` for the next page.',
  })
  @ApiSuccess(GroupMemberDto, { isArray: true, maxItems: MAX_PAGE_SIZE, paginated: true })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async members(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
    @Query() query: ListMembersDto,
  ): Promise<Paginated<GroupMember>> {
    const { members, pagination } = await this.queries.listMembers(
      caller.userId,
      groupId,
      query.limit ?? 50,
      query.cursor,
    );
    return new Paginated(members, pagination);
  }

  @Post(':groupID/join')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Join a public group (idempotent)',
    description:
      'A member who joins again gets the same membership back. A private group answers FORBIDDEN to ' +
      'non-members (an owner or admin adds members there). Whoever joins a group everyone has left becomes its owner.',
  })
  @ApiSuccess(GroupMembershipDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async join(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
  ): Promise<GroupMembership> {
    return this.membership.join(caller.userId, groupId);
  }

  @Delete(':groupID/leave')
  @ApiOperation({
    summary: 'Leave a group',
    description:
      'NOT_FOUND when the caller is not a member. An owner who leaves hands ownership to the ' +
      'longest-standing remaining member (`newOwnerID`); the last member to leave leaves the group ' +
      'empty (it is kept, with memberCount 0).',
  })
  @ApiSuccess(LeaveGroupResultDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.NOT_FOUND)
  async leave(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
  ): Promise<LeaveGroupResult> {
    return this.membership.leave(caller.userId, groupId);
  }

  @Post(':groupID/members')
  @ApiOperation({
    summary: 'Add a member (owner or admin)',
    description:
      'The way into a private group. 201 with the new membership; 200 with the existing one when ' +
      'the user already is a member.',
  })
  @ApiSuccess(GroupMembershipDto, { status: 201, description: 'Added' })
  @ApiSuccess(GroupMembershipDto, { status: 200, description: 'Already a member' })
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async addMember(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
    @Body() body: AddMemberDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<GroupMembership> {
    const { membership, created } = await this.admin.addMember(caller.userId, groupId, body.userID);
    response.status(created ? 201 : 200);
    return membership;
  }

  @Delete(':groupID/members/:userID')
  @ApiOperation({
    summary: 'Remove a member (owner or admin)',
    description:
      'An admin may remove plain members only; the owner anyone but themself (use leave). ' +
      'NOT_FOUND when the user is not a member.',
  })
  @ApiSuccess(RemoveMemberResultDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async removeMember(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
    @Param('userID', uuidPipe('userID')) userId: string,
  ): Promise<RemoveMemberResult> {
    return this.admin.removeMember(caller.userId, groupId, userId);
  }

  @Patch(':groupID/members/:userID')
  @ApiOperation({
    summary: 'Promote or demote a member (owner only)',
    description:
      "`role` is admin or member; the owner's own role cannot be changed (FORBIDDEN): ownership " +
      'passes on only when the owner leaves.',
  })
  @ApiSuccess(GroupMembershipDto)
  @ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND)
  async updateRole(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('groupID', uuidPipe('groupID')) groupId: string,
    @Param('userID', uuidPipe('userID')) userId: string,
    @Body() body: UpdateMemberRoleDto,
  ): Promise<GroupMembership> {
    return this.admin.updateRole(caller.userId, groupId, userId, body.role);
  }
}
