import { describe, it } from 'node:test';
import { expect } from 'expect';
import { contentDisposition } from './content-disposition';

describe('contentDisposition', () => {
  it('should keep a plain ASCII name as is in both parameters', () => {
    expect(contentDisposition('attachment', 'report.pdf')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
  });

  it('should encode non-ASCII, quotes, backslashes and header-breaking characters', () => {
    expect(contentDisposition('inline', 'naïve "x"\\y%.png')).toBe(
      `inline; filename="na_ve _x__y_.png"; filename*=UTF-8''na%C3%AFve%20%22x%22%5Cy%25.png`,
    );
    const header = contentDisposition('attachment', 'a\r\nSet-Cookie: x=1');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toContain(`filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1`);
  });
});
