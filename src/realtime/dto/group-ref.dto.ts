import { IsUUID } from 'class-validator';
import type { GroupRequest } from '../../../libs/contracts/src';

/** Socket `join_group` / `leave_group`. */
export class GroupRefDto implements GroupRequest {
  @IsUUID('all')
  groupID!: string;
}
