import { IsIn } from 'class-validator';

/** Socket `set_status`: what the user wants others to see while connected. */
export class SetStatusDto {
  /** `online` or `away` (offline follows from closing every socket). */
  @IsIn(['online', 'away'])
  status!: 'online' | 'away';
}
