import { IsIn } from 'class-validator';
import type { UpdateMemberRoleRequest } from '../../../libs/contracts/src';

export const ASSIGNABLE_ROLES = ['admin', 'member'] as const;

export class UpdateMemberRoleDto implements UpdateMemberRoleRequest {
  /**
   * The new role. Ownership is not assigned here: it passes on only when the owner leaves.
   * @example admin
   */
  @IsIn(ASSIGNABLE_ROLES, { message: 'role must be admin or member' })
  role!: (typeof ASSIGNABLE_ROLES)[number];
}
