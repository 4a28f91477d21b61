import { EventEmitter2 } from '@nestjs/event-emitter';
import { expect } from 'expect';
import { after, before, describe, it } from 'node:test';
import {
  PRESENCE_EVENTS,
  type PresenceChangedEvent,
  type PresenceOfflineEvent,
} from './presence.events';
import { PresenceService } from './presence.service';
import { InMemoryPresenceStore } from './presence.store';

function newTestService(graceMs = 40) {
  const events = new EventEmitter2();
  const seen: PresenceChangedEvent[] = [];
  events.on(PRESENCE_EVENTS.changed, (event: PresenceChangedEvent) => seen.push(event));
  const lastSeen: { userId: string; at: Date }[] = [];
  events.on(PRESENCE_EVENTS.offline, (event: PresenceOfflineEvent) => {
    lastSeen.push({ userId: event.userId, at: event.at });
  });
  const service = new PresenceService(new InMemoryPresenceStore(), events);
  service.graceMs = graceMs;
  const offline = (userId: string) =>
    new Promise<PresenceChangedEvent>((resolve) => {
      const handler = (event: PresenceChangedEvent) => {
        if (event.userId === userId && event.status === 'offline') {
          events.off(PRESENCE_EVENTS.changed, handler);
          resolve(event);
        }
      };
      events.on(PRESENCE_EVENTS.changed, handler);
    });
  return { service, seen, lastSeen, offline };
}

describe('PresenceService', () => {
  // Grace timers are unref'd (they must not hold a closing app open): keep the loop alive here.
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => undefined, 1_000);
  });
  after(() => clearInterval(keepAlive));

  it('should be online while any socket is open and announce it once', async () => {
    const { service, seen } = newTestService();
    await service.socketConnected('u1');
    await service.socketConnected('u1');
    await service.socketDisconnected('u1');
    expect(seen.map((e) => e.status)).toEqual(['online']);
    expect((await service.getPresence(['u1'])).get('u1')?.status).toBe('online');
    service.onModuleDestroy();
  });

  it('should go offline only after the grace period and write lastSeen', async () => {
    const { service, seen, lastSeen, offline } = newTestService();
    await service.socketConnected('u1');
    const wentOffline = offline('u1');
    const closedAt = Date.now();
    await service.socketDisconnected('u1');
    expect((await service.getPresence(['u1'])).get('u1')?.status).toBe('online');
    const event = await wentOffline;
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(35);
    expect(event.lastSeen).toBeInstanceOf(Date);
    expect(seen.map((e) => e.status)).toEqual(['online', 'offline']);
    expect(lastSeen.map((l) => l.userId)).toEqual(['u1']);
    expect((await service.getPresence(['u1'])).get('u1')?.status).toBe('offline');
  });

  it('should not flap when the user reconnects within the grace period', async () => {
    const { service, seen } = newTestService(30);
    await service.socketConnected('u1');
    await service.socketDisconnected('u1');
    await service.socketConnected('u1');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(seen.map((e) => e.status)).toEqual(['online']);
    service.onModuleDestroy();
  });

  it('should switch between online and away only while connected', async () => {
    const { service, seen } = newTestService();
    expect(await service.setStatus('u1', 'away')).toBe('offline');
    await service.socketConnected('u1');
    expect(await service.setStatus('u1', 'away')).toBe('away');
    expect(await service.setStatus('u1', 'away')).toBe('away');
    expect(await service.setStatus('u1', 'online')).toBe('online');
    expect(seen.map((e) => e.status)).toEqual(['online', 'away', 'online']);
    service.onModuleDestroy();
  });

  it('should write lastSeen at once for users in grace when the app shuts down', async () => {
    const { service, seen, lastSeen } = newTestService(10_000);
    await service.socketConnected('u1');
    await service.socketDisconnected('u1');
    await service.beforeApplicationShutdown();
    expect(lastSeen.map((l) => l.userId)).toEqual(['u1']);
    expect(seen.map((e) => e.status)).toEqual(['online']);
  });
});
