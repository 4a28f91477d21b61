import { ApiProperty } from '@nestjs/swagger';
import type { ConversationChanges } from '../../../../libs/contracts/src';
import { MessageDto } from '../../dto/message.dto';

export class ConversationChangesDto implements ConversationChanges {
  @ApiProperty({ type: [MessageDto], maxItems: 100 })
  messages!: MessageDto[];
  /** The version reached once this page is applied. @example 57 */
  version!: number;
  /** More changes follow: ask again with sinceVersion = version. @example false */
  hasMore!: boolean;
}
