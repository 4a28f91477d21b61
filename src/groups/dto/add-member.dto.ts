import { IsUUID } from 'class-validator';
import type { AddMemberRequest } from '../../../libs/contracts/src';

export class AddMemberDto implements AddMemberRequest {
  /**
   * The user to add.
   * @example 0f8fad5b-d9cb-469f-a165-70867728950e
   */
  @IsUUID('all', { message: 'userID must be a UUID' })
  userID!: string;
}
