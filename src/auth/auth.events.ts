/** Published by the auth module; the realtime layer disconnects the session's sockets. */
export const AUTH_EVENTS = {
  sessionRevoked: 'auth.session_revoked',
} as const;

export interface SessionRevokedEvent {
  sessionId: string;
  userId: string;
  reason: string;
}
