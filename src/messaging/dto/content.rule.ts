import {
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  type ValidationArguments,
} from 'class-validator';

export const MAX_CONTENT_CODE_POINTS = 10_000;

/** A message with attachments may have empty content. */
function carriesAttachments(body: object | undefined): boolean {
  const ids = (body as { attachmentIDs?: unknown } | undefined)?.attachmentIDs;
  return Array.isArray(ids) && ids.length > 0;
}

/** Length in Unicode code points (an emoji counts once), 1-10,000, and no NUL (PostgreSQL text cannot hold it). */
@ValidatorConstraint({ name: 'messageContent', async: false })
export class ContentRule implements ValidatorConstraintInterface {
  validate(value: unknown, args?: ValidationArguments): boolean {
    if (typeof value !== 'string' || value.includes('\u0000')) {
      return false;
    }
    let count = 0;
    for (const _ of value) {
      count += 1;
      if (count > MAX_CONTENT_CODE_POINTS) {
        return false;
      }
    }
    return count >= 1 || carriesAttachments(args?.object);
  }

  defaultMessage(args: ValidationArguments): string {
    const value: unknown = args.value;
    if (typeof value === 'string' && value.includes('\u0000')) {
      return 'content must not contain NUL characters';
    }
    return `content must be 1 to ${MAX_CONTENT_CODE_POINTS} characters`;
  }
}
