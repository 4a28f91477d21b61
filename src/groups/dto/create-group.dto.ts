import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { CreateGroupRequest, GroupVisibility } from '../../../libs/contracts/src';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/**
 * At least one character that shows: not only whitespace, zero-width and bidi controls (format
 * characters), combining marks on nothing, or the Hangul and Braille blanks.
 */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Mn}\p{Me}\u115F\u1160\u3164\uFFA0\u2800]/u;

export const VISIBILITIES: GroupVisibility[] = ['public', 'private'];

export class CreateGroupDto implements CreateGroupRequest {
  /**
   * 1-100 characters after trimming surrounding whitespace.
   * @example Backend team
   */
  // The Swagger plugin drops the @example of a property called `name`; state it explicitly.
  @ApiProperty({ example: 'Backend team' })
  @Transform(trim)
  @IsString()
  @Length(1, 100, { message: 'name must be 1 to 100 characters and not blank' })
  @Matches(VISIBLE, { message: 'name must be 1 to 100 characters and not blank' })
  name!: string;

  /**
   * Up to 500 characters; surrounding whitespace is trimmed and an empty one is stored as null.
   * @example Where the backend team talks shop
   */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500, { message: 'description must be at most 500 characters' })
  description?: string | null;

  /**
   * `public` (anyone may find and join it) or `private` (members only; join by being added). Default `public`.
   * @example public
   */
  @IsOptional()
  @IsIn(VISIBILITIES, { message: 'visibility must be public or private' })
  visibility?: GroupVisibility;
}
