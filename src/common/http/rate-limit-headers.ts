import type { ServerResponse } from 'node:http';

/** The policy name used in both headers (one policy: the general request budget). */
export const RATE_LIMIT_POLICY = 'default';

export interface RateLimitHeaderState {
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * The IETF draft headers (draft-ietf-httpapi-ratelimit-headers, structured-field form), e.g.
 * `RateLimit-Policy: "default";q=600;w=60` and `RateLimit: "default";r=599;t=42`.
 */
export function rateLimitHeaders(state: RateLimitHeaderState): Record<string, string> {
  return {
    'RateLimit-Policy': `"${RATE_LIMIT_POLICY}";q=${state.limit};w=${state.windowSeconds}`,
    RateLimit: `"${RATE_LIMIT_POLICY}";r=${state.remaining};t=${state.resetSeconds}`,
  };
}

export function setRateLimitHeaders(response: ServerResponse, state: RateLimitHeaderState): void {
  if (response.headersSent) {
    return;
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(state))) {
    response.setHeader(name, value);
  }
}
