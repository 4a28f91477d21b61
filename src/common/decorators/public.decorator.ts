import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/** Opens a route to callers without an access token (auth is deny-by-default). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
