import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Heartbeat, type HeartbeatTarget } from './heartbeat';

function target(): HeartbeatTarget & { pings: number; terminated: boolean } {
  return {
    missedPongs: 0,
    pings: 0,
    terminated: false,
    ping() {
      this.pings += 1;
    },
    terminate() {
      this.terminated = true;
    },
  };
}

describe('plain WebSocket heartbeat', () => {
  it('should close a connection after two unanswered pings, not before', () => {
    const heartbeat = new Heartbeat(60_000, 2);
    const silent = target();
    heartbeat.track(silent);
    heartbeat.tick();
    heartbeat.tick();
    expect(silent).toMatchObject({ pings: 2, terminated: false });
    heartbeat.tick();
    expect(silent).toMatchObject({ pings: 2, terminated: true });
    heartbeat.tick();
    expect(silent.pings).toBe(2);
    heartbeat.stop();
  });

  it('should keep a connection that answers', () => {
    const heartbeat = new Heartbeat(60_000, 2);
    const lively = target();
    heartbeat.track(lively);
    for (let i = 0; i < 10; i += 1) {
      heartbeat.tick();
      heartbeat.alive(lively);
    }
    expect(lively).toMatchObject({ pings: 10, terminated: false });
    heartbeat.untrack(lively);
    heartbeat.tick();
    expect(lively.pings).toBe(10);
  });
});
