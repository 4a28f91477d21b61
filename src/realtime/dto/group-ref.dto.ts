import { IsUUID } from 'class-validator';

/** Socket `join_group` / `leave_group`. */
export class GroupRefDto {
  @IsUUID('all')
  groupID!: string;
}
