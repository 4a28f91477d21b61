import { describe, it } from 'node:test';
import { expect } from 'expect';
import { PresenceTable } from './cluster-presence.store';

describe('PresenceTable (cluster presence without Redis)', () => {
  it('should count sockets per worker and go online once', () => {
    const table = new PresenceTable();
    expect(table.setCount(1, 'u', 1, 10, false)).toEqual([1, 1]);
    expect(table.setCount(2, 'u', 1, 11, false)).toEqual([2, 0]);
    expect(table.setCount(1, 'u', 0, 12, true)).toEqual([1, 0]);
    expect(table.get(['u']).u).toMatchObject({ sockets: 1, status: 'online' });
  });

  it('should not create a record when a socket closes for an unknown user', () => {
    const table = new PresenceTable();
    expect(table.setCount(1, 'ghost', 0, 10, true)).toEqual([0, 0]);
    expect(table.get(['ghost'])).toEqual({});
  });

  it('should go offline only when no worker holds a socket, exactly once', () => {
    const table = new PresenceTable();
    table.setCount(1, 'u', 1, 10, false);
    table.setCount(2, 'u', 1, 10, false);
    table.setCount(1, 'u', 0, 20, true);
    expect(table.release(1, 'u', 30)).toBe(0);
    table.setCount(2, 'u', 0, 40, true);
    expect(table.release(2, 'u', 50)).toBe(1);
    expect(table.release(2, 'u', 60)).toBe(0);
    expect(table.get(['u']).u).toEqual({ sockets: 0, status: 'offline', lastSeen: 50 });
    table.forget('u');
    expect(table.get(['u'])).toEqual({});
  });

  it('should keep away while connected and refuse it while not', () => {
    const table = new PresenceTable();
    expect(table.setStatus('u', 'away')).toBe(0);
    table.setCount(1, 'u', 1, 10, false);
    expect(table.setStatus('u', 'away')).toBe(1);
    expect(table.setStatus('u', 'away')).toBe(0);
    table.setCount(1, 'u', 2, 11, false);
    expect(table.get(['u']).u?.status).toBe('away');
  });

  it('should release a dead worker: users left elsewhere stay online', () => {
    const table = new PresenceTable();
    table.setCount(1, 'alone', 2, 10, false);
    table.setCount(1, 'both', 1, 10, false);
    table.setCount(2, 'both', 1, 10, false);
    expect(table.workerGone(1, 99)).toEqual(['alone']);
    expect(table.get(['alone', 'both'])).toEqual({
      alone: { sockets: 0, status: 'offline', lastSeen: 99 },
      both: { sockets: 1, status: 'online', lastSeen: 10 },
    });
  });
});
