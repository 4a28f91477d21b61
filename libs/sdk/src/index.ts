/**
 * Typed client SDK for the messaging API: REST (`MessagingHttpClient`) and realtime
 * (`RealtimeSession`), both on the wire types of `libs/contracts`.
 *
 *   const api = new MessagingClient({ baseUrl: 'http://localhost:3000' });
 *   await api.login({ username: 'john_doe', password: '...' });
 *   const live = api.connect();
 *   live.onMessage((m) => render(m));          // each message once, in seq order per conversation
 *   await live.send({ recipientID, content: 'Hi' });
 */
import { MessagingHttpClient, type HttpClientOptions } from './http-client';
import { RealtimeSession, type RealtimeOptions } from './realtime-session';

export * from './api-error';
export * from './http-client';
export * from './realtime-session';
export * from './reconnect';
export * from './retry';
export type * from '../../contracts/src';
export { ErrorCode, ERROR_STATUS, WS_PATH } from '../../contracts/src';

export class MessagingClient extends MessagingHttpClient {
  constructor(private readonly options: HttpClientOptions) {
    super(options);
  }

  /**
   * Opens the realtime session with this client's access token; a token refused on a reconnect is
   * refreshed once with the refresh token.
   */
  connect(options: Omit<RealtimeOptions, 'baseUrl' | 'token'> = {}): RealtimeSession {
    return new RealtimeSession({
      ...options,
      baseUrl: this.options.baseUrl,
      token: () => this.accessToken,
      refreshToken: () => this.refresh(),
      listVersions: () => this.conversationVersions(),
    });
  }
}
