import { IsIn } from 'class-validator';
import type { SetStatusRequest } from '../../../libs/contracts/src';

/** Socket `set_status`: what the user wants others to see while connected. */
export class SetStatusDto implements SetStatusRequest {
  /** `online` or `away` (offline follows from closing every socket). */
  @IsIn(['online', 'away'])
  status!: 'online' | 'away';
}
