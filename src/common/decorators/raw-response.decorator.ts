import { SetMetadata } from '@nestjs/common';

export const RAW_RESPONSE_KEY = 'rawResponse';

/** Skips the success envelope (health checks and Prometheus read bare bodies). */
export const RawResponse = () => SetMetadata(RAW_RESPONSE_KEY, true);
