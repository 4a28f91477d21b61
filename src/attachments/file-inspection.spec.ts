import { describe, it } from 'node:test';
import { expect } from 'expect';
import { detectContentType, displayFilename } from './file-inspection';

describe('displayFilename', () => {
  it('should keep only the last path segment and never an empty or dot name', () => {
    expect(displayFilename('../../etc/passwd')).toBe('passwd');
    expect(displayFilename('C:\\Users\\me\\photo.jpg')).toBe('photo.jpg');
    expect(displayFilename('')).toBe('file');
    expect(displayFilename('..')).toBe('file');
  });

  it('should drop control and bidi-override characters and cap the length', () => {
    expect(displayFilename('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    expect(displayFilename('a\u0000b\nc.txt')).toBe('abc.txt');
    expect([...displayFilename('é'.repeat(300))]).toHaveLength(255);
  });
});

describe('detectContentType', () => {
  it('should read the type from the bytes and fall back to octet-stream', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect(await detectContentType(png)).toBe('image/png');
    expect(await detectContentType(Buffer.from('<svg onload="alert(1)"></svg>'))).toBe(
      'application/octet-stream',
    );
  });
});
